"""The `gidar dq` summary: data-quality results per rule, county and year, and the failing reports.

Definitions (the same as the warehouse views and the dashboard):
* a DQ row is *attributed* to its report_id, or — for cross-report rows, whose report_id is NULL — to every
  report named in its ``cells`` JSON;
* a report is *checked* when it has at least one per-report DQ row, and *passes* when it is checked and none of
  the rows attributed to it failed with severity critical (unread reports are never checked, so they count
  against a county's pass rate);
* violation counts are distinct failing DQ rows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

# One row per (DQ row, attributed report).
ATTRIBUTED_SQL = """
    SELECT d.rowid AS dq_id, d.report_id, d.rule, d.severity, d.passed, d.report_id IS NOT NULL AS own
    FROM dq_results AS d WHERE d.report_id IS NOT NULL
    UNION
    SELECT d.rowid, u.j->>'report_id', d.rule, d.severity, d.passed, false
    FROM dq_results AS d, (SELECT unnest(CAST(json_extract(d.cells, '$[*]') AS JSON[])) AS j) AS u
    WHERE d.report_id IS NULL AND u.j->>'report_id' IS NOT NULL
"""

# One row per report with its DQ counts.
REPORT_DQ_SQL = f"""
    WITH a AS ({ATTRIBUTED_SQL})
    SELECT r.report_id, r.region_code, r.region_name, r.prefecture, r.report_year, r.agency, r.agency_type,
           r.status, r.quality, r.source, r.file_name, r.template,
           count(a.dq_id) FILTER (WHERE a.own) AS n_checks,
           count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity = 'critical') AS n_critical,
           count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity <> 'critical') AS n_warning,
           count(a.dq_id) FILTER (WHERE a.own) > 0
               AND count(a.dq_id) FILTER (WHERE NOT a.passed AND a.severity = 'critical') = 0 AS passes
    FROM reports AS r LEFT JOIN a ON a.report_id = r.report_id
    GROUP BY ALL
"""


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


def _groups(con: duckdb.DuckDBPyConnection, key: str, name: str, parent: str) -> list[GroupStat]:
    rows = con.execute(
        f"""WITH rep AS (SELECT * FROM _dq_rep), a AS (SELECT * FROM _dq_att)
            SELECT CAST(rep.{key} AS VARCHAR), CAST(any_value(rep.{name}) AS VARCHAR), any_value(rep.{parent}),
                   count(DISTINCT rep.report_id),
                   count(DISTINCT rep.report_id) FILTER (WHERE rep.n_checks > 0),
                   count(DISTINCT rep.report_id) FILTER (WHERE rep.passes),
                   count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity = 'critical'),
                   count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity <> 'critical')
            FROM rep LEFT JOIN a ON a.report_id = rep.report_id
            GROUP BY rep.{key} ORDER BY rep.{key} NULLS LAST"""
    ).fetchall()
    return [GroupStat(k or "—", n or "—", p, *nums) for k, n, p, *nums in rows]


def dq_summary(con: duckdb.DuckDBPyConnection) -> DQSummary:
    """Everything `format_dq` prints, from `dq_results` and `reports` (works on a read-only connection)."""
    # The attribution unnests every cross-report row's JSON: do it once (temp tables work read-only too).
    con.execute(f"CREATE OR REPLACE TEMP TABLE _dq_att AS {ATTRIBUTED_SQL}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _dq_rep AS {REPORT_DQ_SQL}")
    try:
        return _summary(con)
    finally:
        con.execute("DROP TABLE IF EXISTS _dq_att")
        con.execute("DROP TABLE IF EXISTS _dq_rep")


def _summary(con: duckdb.DuckDBPyConnection) -> DQSummary:
    s = DQSummary()
    s.reports, s.checked, s.passing = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE n_checks > 0), count(*) FILTER (WHERE passes) FROM _dq_rep"
    ).fetchone() or (0, 0, 0)
    s.by_rule = [
        RuleStat(*r)
        for r in con.execute(
            """WITH a AS (SELECT * FROM _dq_att)
                SELECT d.rule, d.severity, string_agg(DISTINCT d.suite, ',' ORDER BY d.suite), count(*),
                       count(*) FILTER (WHERE NOT d.passed),
                       (SELECT count(DISTINCT a.report_id) FROM a
                        WHERE a.rule = d.rule AND a.severity = d.severity AND NOT a.passed)
                FROM dq_results AS d GROUP BY d.rule, d.severity
                ORDER BY d.severity = 'critical' DESC, count(*) FILTER (WHERE NOT d.passed) DESC, d.rule"""
        ).fetchall()
    ]
    s.by_county = _groups(con, "region_code", "region_name", "prefecture")
    s.by_year = _groups(con, "report_year", "report_year", "template")
    rows = con.execute(
        """WITH a AS (SELECT * FROM _dq_att),
                 f AS (SELECT report_id, rule, severity, count(DISTINCT dq_id) AS n
                       FROM a WHERE NOT passed GROUP BY ALL)
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


def _pct(v: float | None) -> str:
    return "   —" if v is None else f"{100 * v:5.1f}%"


def format_dq(summary: DQSummary, max_reports: int = 50) -> str:
    """Plain-text report for the terminal."""
    s = summary
    rate = s.passing / s.reports if s.reports else None
    lines = [
        f"Reports: {s.reports}   checked: {s.checked}   passing critical rules: {s.passing} ({_pct(rate).strip()})",
        "",
        "By rule",
        f"  {'rule':<34} {'severity':<9} {'suites':<18} {'checked':>8} {'failed':>7} {'reports':>8}",
    ]
    lines += [
        f"  {r.rule:<34} {r.severity:<9} {(r.suite or ''):<18} {r.checked:>8} {r.failed:>7} {r.reports_failed:>8}"
        for r in s.by_rule
    ] or ["  (no DQ results)"]
    for title, groups, label in (("By county", s.by_county, "county"), ("By year", s.by_year, "year")):
        lines += ["", title, f"  {label:<24} {'reports':>7} {'checked':>7} {'pass':>7} {'critical':>8} {'warnings':>8}"]
        for g in groups:
            who = f"{g.key} {g.name}" if label == "county" else g.key
            lines.append(
                f"  {who:<24} {g.reports:>7} {g.checked:>7} {_pct(g.pass_rate):>7} {g.critical:>8} {g.warnings:>8}"
            )
    lines += ["", f"Failing reports ({len(s.failing_reports)})"]
    for fr in s.failing_reports[:max_reports]:
        rules = ", ".join(f"{rule}[{sev[0].upper()}]×{n}" for rule, sev, n in fr.rules)
        lines.append(
            f"  {fr.region_code or '—'} {fr.report_year or '—'} {fr.agency or fr.source or fr.report_id[:12]}: {rules}"
        )
    if len(s.failing_reports) > max_reports:
        lines.append(f"  … and {len(s.failing_reports) - max_reports} more (see the dashboard or --json)")
    return "\n".join(lines)


def summary_json(summary: DQSummary) -> str:
    return json.dumps(summary.to_json(), ensure_ascii=False, indent=2, default=str)
