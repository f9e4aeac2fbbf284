"""The DQ views as they were before their memory rewrite (warehouse/views.py), kept as the reference the
rewritten views must equal row for row: the old `dq_by_report` grouped the (reports x attributed DQ rows) join by
every report column with DISTINCT counts, and held every DQ row in several hash tables (+225 MB at 2,000
reports). Only the query plans changed; these are the definitions of record."""

from __future__ import annotations

from typing import Any

from gidar.dq import AS_READ, CORRECTED

DQ_BY_REPORT = f"""WITH as_read AS (
  SELECT report_id, count(*) AS n, count(*) FILTER (WHERE NOT passed AND severity = 'critical') AS n_critical_failed
  FROM dq_results WHERE report_id IS NOT NULL AND coalesce(basis, '{AS_READ}') = '{AS_READ}' GROUP BY report_id
),
rep AS (
  SELECT r.report_id, r.region_code, r.region_name, r.prefecture, r.report_year, r.agency, r.agency_type,
    r.status, r.quality, r.source, r.file_name, r.template,
    count(a.dq_id) FILTER (WHERE a.own) AS n_checks,
    count(a.dq_id) FILTER (WHERE a.own AND NOT a.passed) AS n_failed,
    count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity = 'critical') AS n_critical_failed,
    count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity <> 'critical') AS n_warning_failed,
    count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND NOT a.own) AS n_cross_failed,
    count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND NOT a.own AND a.severity = 'critical') AS n_cross_critical,
    count(a.dq_id) FILTER (WHERE a.own) > 0
      AND count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity = 'critical') = 0 AS passes_critical,
    bool_or(a.own AND a.basis = '{CORRECTED}') IS TRUE AS after_corrections
  FROM reports AS r LEFT JOIN dq_attributed AS a ON a.report_id = r.report_id
  GROUP BY ALL
)
SELECT rep.* EXCLUDE (n_cross_critical),
  coalesce(ar.n, 0) > 0 AND coalesce(ar.n_critical_failed, 0) + rep.n_cross_critical = 0 AS passes_critical_as_read,
  coalesce(ar.n_critical_failed, 0) AS n_critical_failed_as_read
FROM rep LEFT JOIN as_read AS ar USING (report_id)"""

DQ_SUMMARY_BY_RULE = """WITH att AS (
  SELECT rule, severity, count(DISTINCT report_id) FILTER (WHERE NOT passed) AS n_reports_failed
  FROM dq_attributed GROUP BY ALL
)
SELECT d.rule, d.severity, string_agg(DISTINCT d.suite, ',' ORDER BY d.suite) AS suites,
  any_value(d.invariant) AS invariant, string_agg(DISTINCT d.table_name, ',' ORDER BY d.table_name) AS tables,
  count(*) AS n_checks,
  count(*) FILTER (WHERE d.passed) AS n_passed,
  count(*) FILTER (WHERE NOT d.passed) AS n_failed,
  count(DISTINCT d.report_id) AS n_reports,
  coalesce(any_value(att.n_reports_failed), 0) AS n_reports_failed,
  count(*) FILTER (WHERE d.passed) / count(*) AS pass_rate,
  max(d.checked_at) AS last_checked_at
FROM dq_effective AS d LEFT JOIN att USING (rule, severity)
GROUP BY d.rule, d.severity"""


def _summary(keys: list[str], extra: str = "") -> str:
    group = ", ".join(f"rep.{k}" for k in keys)
    return f"""SELECT {group}{extra},
  count(DISTINCT rep.report_id) AS reports,
  count(DISTINCT rep.report_id) FILTER (WHERE rep.n_checks > 0) AS reports_checked,
  count(DISTINCT rep.report_id) FILTER (WHERE rep.passes_critical) AS reports_passing_critical,
  count(DISTINCT rep.report_id) FILTER (WHERE rep.passes_critical) / count(DISTINCT rep.report_id) AS pass_rate,
  count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.own) AS n_failed_checks,
  count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity = 'critical') AS n_critical_failed,
  count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity <> 'critical') AS n_warning_failed,
  count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND NOT a.own) AS n_cross_failed
FROM dq_by_report AS rep LEFT JOIN dq_attributed AS a ON a.report_id = rep.report_id
GROUP BY {group}"""


_REGION_NAMES = ", any_value(rep.region_name) AS region_name, any_value(rep.prefecture) AS prefecture"

# view -> the legacy SELECT (it reads the other views, dq_attributed and dq_effective, which did not change; the
# summaries read the legacy dq_by_report through a CTE of that name)
LEGACY = {
    "dq_by_report": DQ_BY_REPORT,
    "dq_summary_by_rule": DQ_SUMMARY_BY_RULE,
    "dq_summary_by_county": _summary(["region_code", "report_year"], _REGION_NAMES),
    "dq_summary_by_region": _summary(["region_code"], _REGION_NAMES),
    "dq_summary_by_year": _summary(["report_year"], ", any_value(rep.template) AS template"),
}


def legacy_rows(con: Any, view: str) -> list[tuple[Any, ...]]:
    """The legacy definition's rows of ``view``, sorted."""
    sql = LEGACY[view].replace("FROM dq_by_report AS rep", "FROM legacy_by_report AS rep")
    return _sorted(con.execute(f"WITH legacy_by_report AS ({DQ_BY_REPORT}) SELECT * FROM ({sql})").fetchall())


def current_rows(con: Any, view: str) -> list[tuple[Any, ...]]:
    return _sorted(con.execute(f"SELECT * FROM {view}").fetchall())


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda r: tuple((x is None, str(x)) for x in r))
