"""Human corrections of cell values, with an audit trail.

A correction never overwrites what was read: it is a row of ``corrections`` (who, when, why, the value
read then, the new value), and the latest one per report and key is *active*. The fact tables and rollups
use the active value (`warehouse.derived`); ``cells`` keeps the reading. Corrections are keyed by report_id
(the file's sha256) and cell key, so they survive re-ingest and re-extraction: every load re-applies them
and re-checks them against the template invariants; one that breaks an invariant is kept and flagged.
"""

from __future__ import annotations

import csv
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gidar.schema import CORRECTIONS

from .derived import refresh

CSV_COLUMNS = ("report_id", "key", "value", "reason")  # required; optional: by
MIN_ID_PREFIX = 8  # a report id may be given by a unique prefix of at least this many hex digits


class CorrectionError(ValueError):
    """A correction that cannot be applied (unknown report or key, bad value); the message says why."""


@dataclass(frozen=True)
class Correction:
    report_id: str  # full id or a unique prefix
    key: str
    value: float
    reason: str
    by: str
    origin: str = "cli"


@dataclass(frozen=True)
class Applied:
    correction_id: str
    report_id: str
    key: str
    old_value: float | None
    new_value: float
    flagged: bool
    flag_reason: str | None


def _number(text: str, where: str) -> float:
    try:
        v = float(str(text).replace(",", "").strip())
    except ValueError:
        raise CorrectionError(f"{where}: value {text!r} is not a number") from None
    if not math.isfinite(v):
        raise CorrectionError(f"{where}: value {text!r} is not a finite number")
    return v


def parse_value(text: str) -> float:
    return _number(text, "correction")


def read_csv(path: Path, default_by: str) -> list[Correction]:
    """A corrections CSV (UTF-8, BOM allowed): columns report_id, key, value, reason, and optionally by."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise CorrectionError(f"{path}: missing columns {', '.join(missing)} (need {', '.join(CSV_COLUMNS)}[, by])")
        out = []
        for n, row in enumerate(reader, 2):
            where = f"{path}:{n}"
            if not (row.get("reason") or "").strip():
                raise CorrectionError(f"{where}: a correction needs a reason")
            out.append(
                Correction(
                    report_id=(row["report_id"] or "").strip(),
                    key=(row["key"] or "").strip(),
                    value=_number(row["value"], where),
                    reason=row["reason"].strip(),
                    by=(row.get("by") or "").strip() or default_by,
                    origin=f"csv:{Path(path).name}",
                )
            )
    return out


def _resolve(con: duckdb.DuckDBPyConnection, report_id: str) -> str:
    rid = report_id.strip().lower()
    if len(rid) < MIN_ID_PREFIX:
        raise CorrectionError(f"report id {report_id!r}: give at least {MIN_ID_PREFIX} characters")
    found = [
        r for (r,) in con.execute("SELECT report_id FROM reports WHERE starts_with(report_id, ?)", [rid]).fetchall()
    ]
    if not found:
        raise CorrectionError(f"no report {report_id!r} in the warehouse")
    if len(found) > 1:
        raise CorrectionError(f"report id {report_id!r} is ambiguous ({len(found)} reports); give more characters")
    return str(found[0])


def apply(con: duckdb.DuckDBPyConnection, items: Sequence[Correction]) -> list[Applied]:
    """Record corrections (all or none: the caller's transaction) and re-derive and re-check their reports.

    Each must name a stored report and one of its cells; the value read then is kept as ``old_value``."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for c in items:
        rid = _resolve(con, c.report_id)
        found = con.execute("SELECT value, raw FROM cells WHERE report_id = ? AND key = ?", [rid, c.key]).fetchall()
        cell = found[0] if found else None
        if cell is None:
            raise CorrectionError(f"report {rid[:12]} has no cell {c.key!r} (see `gidar review` for the keys)")
        if not c.reason.strip():
            raise CorrectionError("a correction needs a reason (--reason)")
        rows.append(
            {
                "correction_id": uuid.uuid4().hex,
                "report_id": rid,
                "key": c.key,
                "old_value": cell[0],
                "old_raw": cell[1],
                "new_value": float(c.value),
                "reason": c.reason.strip(),
                "corrected_by": c.by,
                "corrected_at": now,
                "origin": c.origin,
                "active": True,
                "flagged": None,
                "flag_reason": None,
                "validated_at": None,
            }
        )
    if not rows:
        return []
    keys = [(r["report_id"], r["key"]) for r in rows]
    if len(set(keys)) != len(keys):
        raise CorrectionError("the same report and key is corrected twice in one batch")
    table = pa.Table.from_pylist(rows, schema=CORRECTIONS)
    con.register("_new_corrections", table)
    try:
        con.execute(
            """UPDATE corrections SET active = false FROM _new_corrections n
               WHERE corrections.report_id = n.report_id AND corrections.key = n.key"""
        )
        con.execute("INSERT INTO corrections BY NAME SELECT * FROM _new_corrections")
    finally:
        con.unregister("_new_corrections")
    refresh(con, sorted({r["report_id"] for r in rows}))
    ids = [r["correction_id"] for r in rows]
    got = {
        cid: (flagged, reason)
        for cid, flagged, reason in con.execute(
            "SELECT correction_id, flagged, flag_reason FROM corrections WHERE list_contains(?, correction_id)", [ids]
        ).fetchall()
    }
    return [
        Applied(r["correction_id"], r["report_id"], r["key"], r["old_value"], r["new_value"], *got[r["correction_id"]])
        for r in rows
    ]


def describe(applied: Iterable[Applied]) -> list[str]:
    out = []
    for a in applied:
        line = f"{a.report_id[:12]} {a.key}: {a.old_value} → {a.new_value:g}"
        out.append(line + (f"  FLAGGED: {a.flag_reason}" if a.flagged else "  (invariants hold)"))
    return out
