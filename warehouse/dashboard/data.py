"""The dashboard's embedded data: units, reports with their DQ status, failing DQ rows with cells.

Failing rows come from ``dq_effective``: a corrected report shows its GX results after corrections. Counts come
from the views `gidar dq` reads too: ``dq_by_report.passes_critical`` is the one definition of a
passing report (checked, and no failing critical row attributed to it; cross-report rows are attributed to
the reports named in their cells), ``dq_summary_by_rule`` the per-rule figures. The page's JavaScript only
aggregates these records per county/year, so what it shows can be compared with SQL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from gidar.warehouse.crosschecks import RULES as CROSS_RULES

from .crops import BBox, CropRequest


class Unit(Protocol):
    """What the grid needs of a unit (`gidar.regions.Region` fits)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def prefecture(self) -> str | None: ...
    @property
    def prefecture_code(self) -> str | None: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class Violation:
    dq_id: int
    rule: str
    severity: str
    invariant: str | None
    suite: str | None
    description: str | None
    observed: str | None
    expected: str | None
    reports: tuple[str, ...]  # attributed reports, subject first
    cells: tuple[tuple[str, str | None, int | None, BBox | None], ...]  # (report_id, key, page, bbox)


def load_units(province_code: str, years: Sequence[int]) -> tuple[list[Unit], dict[str, list[int]]]:
    """Every unit valid in any report year (today's 90 for Zhejiang, plus e.g. 下城区 for 2019–2020), with the
    report years each one existed in (all of `years` for units whose history is unknown)."""
    from gidar.regions import units

    valid: dict[str, list[int]] = {}
    for y in years:
        for u in units(province_code, y):
            valid.setdefault(u.code, []).append(y)
    current = units(province_code, max(years) if years else None)
    by_code: dict[str, Unit] = {u.code: u for u in current}
    for u in units(province_code, None):
        if u.code in valid:
            by_code.setdefault(u.code, u)
    return sorted(by_code.values(), key=lambda u: u.code), valid


def _reports(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        """SELECT report_id, region_code, region_name, prefecture, report_year, agency, agency_type, status, quality,
                  source, file_name, template, n_checks, n_critical_failed, n_warning_failed, passes_critical,
                  passes_critical_as_read, after_corrections
           FROM dq_by_report ORDER BY region_code, report_year, agency"""
    ).fetchall()
    out = []
    for (
        rid,
        code,
        rname,
        pref,
        year,
        agency,
        atype,
        status,
        quality,
        source,
        fname,
        template,
        n_checks,
        _n_crit,
        _n_warn,
        passes,
        passes_as_read,
        after_corrections,
    ) in rows:
        out.append(
            {
                "id": rid,
                "region": code,
                "regionName": rname,
                "prefecture": pref,
                "year": year,
                "agency": agency,
                "type": atype,
                "status": status,
                "quality": quality,
                "source": source,
                "file": fname,
                "template": template,
                "checks": n_checks,
                "passes": bool(passes),
                # judged by GX re-run with a person's corrections; the verdict on the values as read beside it
                "afterCorrections": bool(after_corrections),
                "passesAsRead": bool(passes_as_read),
            }
        )
    return out


def _violations(
    con: duckdb.DuckDBPyConnection, known: set[str], report_ids: Sequence[str] | None = None
) -> list[Violation]:
    """Failed checks (``report_ids``: only those of these reports, none cross-report)."""
    only = "" if report_ids is None else "AND report_id IN (SELECT unnest($ids))"
    rows = con.execute(
        f"""SELECT dq_id, rule, severity, invariant, suite, description, observed, expected, report_id, cells
           FROM dq_effective WHERE NOT passed {only} ORDER BY dq_id""",
        {} if report_ids is None else {"ids": list(report_ids)},
    ).fetchall()
    parsed: list[tuple[Any, ...]] = []
    need: set[tuple[str, str]] = set()
    for row in rows:
        *head, report_id, cells_json = row
        try:
            cells = json.loads(cells_json) if cells_json else []
        except ValueError:
            cells = []
        cells = [c for c in cells if isinstance(c, dict)]
        for c in cells:
            if not c.get("report_id"):  # per-report rows store their cells with report_id null
                c["report_id"] = report_id
            if c.get("key") and (c.get("page") is None or not c.get("bbox")):
                need.add((c["report_id"], c["key"]))
        parsed.append((head, report_id, cells))
    positions = _positions(con, need)
    out = []
    for (dq_id, rule, sev, inv, suite, desc, obs, exp), report_id, cells in parsed:
        ids = [report_id] if report_id is not None else [c["report_id"] for c in cells if c.get("report_id")]
        reports = tuple(r for r in dict.fromkeys(ids) if r in known)
        refs = []
        for c in cells:
            page, bbox = c.get("page"), c.get("bbox")
            if (page is None or not bbox) and (c["report_id"], c.get("key")) in positions:
                page, bbox = positions[(c["report_id"], c["key"])]
            refs.append((c["report_id"], c.get("key"), page, tuple(bbox) if bbox else None))
        out.append(Violation(dq_id, rule, sev, inv, suite, desc, obs, exp, reports, tuple(refs)))
    return out


def _positions(con: duckdb.DuckDBPyConnection, need: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, BBox]]:
    """Page and box of cells named without them (per-report rules often list keys only)."""
    if not need:
        return {}
    wanted = pa.table({"report_id": [r for r, _ in need], "key": [k for _, k in need]})
    con.register("_dash_need", wanted)
    try:
        rows = con.execute(
            """SELECT c.report_id, c.key, c.page, c.x0, c.top, c.x1, c.bottom
               FROM cells c JOIN _dash_need n ON n.report_id = c.report_id AND n.key = c.key
               WHERE c.page IS NOT NULL AND c.x0 IS NOT NULL"""
        ).fetchall()
    finally:
        con.unregister("_dash_need")
    return {(r, k): (p, (x0, t, x1, b)) for r, k, p, x0, t, x1, b in rows}


def crop_requests(v: Violation, sources: dict[str, str | None]) -> list[CropRequest]:
    """One crop per (report, page) among a violation's located cells, subject report first."""
    groups: dict[tuple[str, int], list[BBox]] = {}
    for rid, _key, page, bbox in v.cells:
        if page is not None and bbox is not None:
            groups.setdefault((rid, int(page)), []).append(bbox)
    return [CropRequest(rid, sources.get(rid), page, tuple(boxes)) for (rid, page), boxes in groups.items()]


def rule_info(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per rule: severity, suite, invariant, how often checked and failed (all years), and a description."""
    out: dict[str, dict[str, Any]] = {}
    for rule, sev, suite, inv, checked, failed in con.execute(
        """SELECT rule, severity, suites, invariant, n_checks, n_failed
           FROM dq_summary_by_rule ORDER BY severity = 'critical' DESC, rule"""
    ).fetchall():
        out[f"{rule}|{sev}"] = {
            "rule": rule,
            "severity": sev,
            "suite": suite,
            "invariant": inv,
            "checked": checked,
            "failed": failed,
            "about": CROSS_RULES[rule][1] if rule in CROSS_RULES else None,
        }
    return out
