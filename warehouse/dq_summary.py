"""The `gidar dq` summary: data-quality results per rule, county and year, and the failing reports.

Everything here is read from the warehouse views (`warehouse.views`): ``dq_by_report`` holds THE definition
of a passing report, ``dq_attributed`` the attribution of cross-report rows, ``dq_summary_by_*`` the
aggregates. This module only shapes their rows; `gidar.flows.tables.format_dq` prints them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb


@dataclass(frozen=True)
class RuleStat:
    rule: str
    severity: str
    suite: str | None
    checked: int
    failed: int
    reports_failed: int


@dataclass(frozen=True)
class GroupStat:
    key: str  # region code, or the year as text
    name: str  # region name (prefecture in `parent`), or the year
    parent: str | None
    reports: int
    checked: int
    passing: int
    critical: int  # failing critical DQ rows
    warnings: int  # failing warning/info DQ rows

    @property
    def pass_rate(self) -> float | None:
        return self.passing / self.reports if self.reports else None


@dataclass(frozen=True)
class FailingReport:
    report_id: str
    agency: str | None
    report_year: int | None
    region_code: str | None
    region_name: str | None
    source: str | None
    status: str
    rules: list[tuple[str, str, int]]  # (rule, severity, failing rows)


@dataclass
class DQSummary:
    reports: int = 0
    checked: int = 0
    passing: int = 0
    by_rule: list[RuleStat] = field(default_factory=list)
    by_county: list[GroupStat] = field(default_factory=list)
    by_year: list[GroupStat] = field(default_factory=list)
    failing_reports: list[FailingReport] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("by_county", "by_year"):
            for g, row in zip(getattr(self, k), d[k], strict=True):
                row["pass_rate"] = g.pass_rate
        return d


def _groups(con: duckdb.DuckDBPyConnection, view: str, key: str, name: str, parent: str) -> list[GroupStat]:
    rows = con.execute(
        f"""SELECT CAST({key} AS VARCHAR), CAST({name} AS VARCHAR), {parent}, reports, reports_checked,
                   reports_passing_critical, n_critical_failed, n_warning_failed
            FROM {view} ORDER BY {key} NULLS LAST"""
    ).fetchall()
    return [GroupStat(k or "—", n or "—", p, *nums) for k, n, p, *nums in rows]


def dq_summary(con: duckdb.DuckDBPyConnection) -> DQSummary:
    """Everything `gidar dq` prints, from the warehouse views (works on a read-only connection)."""
    s = DQSummary()
    s.reports, s.checked, s.passing = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE n_checks > 0), count(*) FILTER (WHERE passes_critical)"
        " FROM dq_by_report"
    ).fetchone() or (0, 0, 0)
    s.by_rule = [
        RuleStat(*r)
        for r in con.execute(
            """SELECT rule, severity, suites, n_checks, n_failed, n_reports_failed FROM dq_summary_by_rule
               ORDER BY severity = 'critical' DESC, n_failed DESC, rule"""
        ).fetchall()
    ]
    s.by_county = _groups(con, "dq_summary_by_region", "region_code", "region_name", "prefecture")
    s.by_year = _groups(con, "dq_summary_by_year", "report_year", "report_year", "template")
    rows = con.execute(
        """WITH f AS (SELECT report_id, rule, severity, count(DISTINCT dq_id) AS n
                      FROM dq_attributed WHERE NOT passed GROUP BY ALL)
            SELECT r.report_id, r.agency, r.report_year, r.region_code, r.region_name, r.source, r.status,
                   list((f.rule, f.severity, f.n) ORDER BY f.severity = 'critical' DESC, f.rule)
            FROM f JOIN reports AS r USING (report_id)
            GROUP BY ALL ORDER BY r.region_code, r.report_year, r.agency, r.report_id"""
    ).fetchall()
    s.failing_reports = [
        FailingReport(rid, agency, year, code, name, source, status, _tuples(rules))
        for rid, agency, year, code, name, source, status, rules in rows
    ]
    return s


def _tuples(items: list[Any]) -> list[tuple[str, str, int]]:
    out = []
    for x in items:
        vals = list(x.values()) if isinstance(x, dict) else list(x)
        out.append((str(vals[0]), str(vals[1]), int(vals[2])))
    return out


def summary_json(summary: DQSummary) -> str:
    return json.dumps(summary.to_json(), ensure_ascii=False, indent=2, default=str)
