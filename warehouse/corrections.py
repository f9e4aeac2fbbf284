"""Human corrections of cell values, with an audit trail.

A correction never overwrites what was read: it is a row of ``corrections`` (who, when, why, the value
read then, the new value), and the latest one per report and key is *active*. The fact tables and rollups
use the active value (`warehouse.derived`); ``cells`` keeps the reading. Corrections are keyed by report_id
(the file's sha256) and cell key, so they survive re-ingest and re-extraction: every load re-applies them
and re-checks them against the template invariants; one that breaks an invariant is kept and flagged.

They are re-validated by the Great Expectations suites too, with the corrected values in place. GX lives in
expectations/, which the warehouse never imports: the flows' stage `revalidate_corrections` asks this module
which reports need it (`pending_gx`: a correction or a re-load drops a report's earlier results), reads
them as corrected (`corrected_tables`), validates and stores the records here (`store_corrected_dq`, with
``basis = 'corrected'``). The view ``dq_effective`` then uses them in place of the report's as-read rows, and
``correction_checks`` flags a correction whose cell is in a failing GX rule.
"""

from __future__ import annotations

import csv
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gidar.dq import CORRECTED, DQRecord
from gidar.schema import CELLS, CORRECTIONS, REPORTS

from .ddl import insert_arrow
from .derived import refresh
from .load import dq_table

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
    gx_failed: tuple[str, ...] | None = None  # failing GX rules on this cell after corrections; None: not run


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


def with_gx(con: duckdb.DuckDBPyConnection, applied: Sequence[Applied]) -> list[Applied]:
    """The corrections with their GX verdict after corrections (`gx_failures`)."""
    found = gx_failures(con, [a.correction_id for a in applied])
    return [replace(a, gx_failed=found.get(a.correction_id)) for a in applied]


def describe(applied: Iterable[Applied]) -> list[str]:
    out = []
    for a in applied:
        old = "—" if a.old_value is None else f"{a.old_value:g}"
        line = f"{a.report_id[:12]} {a.key}: {old} → {a.new_value:g}"
        line += f"  FLAGGED: {a.flag_reason}" if a.flagged else "  (invariants hold)"
        if a.gx_failed:
            line += f"  FLAGGED by GX: {', '.join(a.gx_failed)}"
        elif a.gx_failed is not None:
            line += "  (GX passes on this cell)"
        out.append(line)
    return out


# --- GX after corrections (validation itself is the flows' stage: the warehouse never imports GX) -------


def pending_gx(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Reports with active corrections and no GX results after corrections: corrected since their last
    validation, or re-loaded (`derived.refresh` drops those results with the report's other derived rows)."""
    rows = con.execute(
        f"""SELECT DISTINCT k.report_id FROM corrections AS k JOIN reports AS r USING (report_id)
            WHERE k.active AND NOT EXISTS (
              SELECT 1 FROM dq_results AS d WHERE d.report_id = k.report_id AND d.basis = '{CORRECTED}')
            ORDER BY 1"""
    ).fetchall()
    return [str(r) for (r,) in rows]


def corrected_tables(con: duckdb.DuckDBPyConnection, report_ids: Sequence[str]) -> tuple[pa.Table, pa.Table]:
    """The stored ``reports`` and ``cells`` rows of these reports as a person settled them: every active
    correction's value in place of the reading, and the corrected keys out of ``review`` (a cell in review is
    skipped by the identities; a corrected one is settled and must be checked)."""
    ids = {"ids": sorted(set(report_ids))}
    reports = con.sql("SELECT * FROM reports WHERE report_id IN (SELECT unnest($ids))", params=ids).to_arrow_table()
    settled: dict[str, set[str]] = {}
    for rid, key in con.execute(
        "SELECT report_id, key FROM corrections WHERE active AND report_id IN (SELECT unnest($ids))", ids
    ).fetchall():
        settled.setdefault(rid, set()).add(key)
    review = [
        None if keys is None else [k for k in keys if k not in settled.get(rid, set())]
        for rid, keys in zip(reports.column("report_id").to_pylist(), reports.column("review").to_pylist(), strict=True)
    ]
    reports = reports.set_column(
        reports.schema.get_field_index("review"), "review", pa.array(review, REPORTS.field("review").type)
    )
    cells = con.sql(
        """SELECT c.* REPLACE (coalesce(k.new_value, c.value) AS value) FROM cells AS c
           LEFT JOIN corrections AS k ON k.active AND k.report_id = c.report_id AND k.key = c.key
           WHERE c.report_id IN (SELECT unnest($ids))""",
        params=ids,
    ).to_arrow_table()
    return reports.select(REPORTS.names).cast(REPORTS), cells.select(CELLS.names).cast(CELLS)


def store_corrected_dq(
    con: duckdb.DuckDBPyConnection, report_ids: Sequence[str], records: Iterable[DQRecord], run_id: str | None = None
) -> int:
    """Replace the GX results after corrections of these reports (in the caller's transaction); their
    as-read rows stay, for the record. Returns how many rows were stored."""
    ids = sorted(set(report_ids))
    recs = [replace(r, basis=CORRECTED) for r in records]
    unknown = {r.report_id for r in recs} - set(ids)
    if unknown:
        raise ValueError(f"GX results of reports not being re-validated: {sorted(map(str, unknown))}")
    table = dq_table(recs, run_id=run_id)
    con.execute(f"DELETE FROM dq_results WHERE basis = '{CORRECTED}' AND report_id IN (SELECT unnest(?))", [ids])
    insert_arrow(con, "dq_results", table)
    return table.num_rows


def gx_failures(con: duckdb.DuckDBPyConnection, correction_ids: Sequence[str]) -> dict[str, tuple[str, ...] | None]:
    """Per correction: the GX rules failing after corrections that involve its cell (None: not validated)."""
    rows = con.execute(
        """SELECT correction_id, gx_checked, gx_failed_rules FROM correction_checks
           WHERE list_contains($ids, correction_id)""",
        {"ids": list(correction_ids)},
    ).fetchall()
    return {cid: (tuple(failed or ()) if checked else None) for cid, checked, failed in rows}
