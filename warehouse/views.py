"""Warehouse views. Each is ``CREATE OR REPLACE`` and re-applied when its SQL changes.

A report *passes* when it has at least one stored per-report DQ result and none of its critical
rules failed; unread reports therefore count against a county's pass rate. Cross-report rows
(``report_id`` NULL) are attributed to the reports named in their ``cells`` JSON.
"""

from __future__ import annotations

from gidar.templates import T3_COLUMNS, TEMPLATES
from gidar.transform.t3norm import normalised_rows, t3_row_map

from .ddl import ident, literal


def _t3_normalised() -> str:
    order = {k: i for i, k in enumerate(normalised_rows())}
    mapping = ",\n    ".join(
        f"({literal(v)}, {literal(r)}, {literal(n)}, {order[n]}, {literal(TEMPLATES[v].t3_row(r).kind)})"
        for (v, r), n in t3_row_map().items()
    )
    # A sum is only meaningful when every part was read: NULL if any part is NULL.
    sums = ",\n  ".join(
        f"CASE WHEN count(t.{ident(c.key)}) = count(*) THEN sum(t.{ident(c.key)}) END AS {ident(c.key)}"
        for c in T3_COLUMNS
    )
    return f"""CREATE OR REPLACE VIEW t3_normalised AS
WITH m(template, src_row, norm_row, norm_order, norm_kind) AS (VALUES
    {mapping}
)
SELECT t.report_id, any_value(t.report_year) AS report_year, any_value(t.region_code) AS region_code,
  t.template, m.norm_row AS "row", CAST(m.norm_order AS INTEGER) AS row_order, any_value(m.norm_kind) AS row_kind,
  {sums},
  CAST(count(*) AS INTEGER) AS n_source_rows
FROM t3 AS t JOIN m ON m.template = t.template AND m.src_row = t."row"
GROUP BY t.report_id, t.template, m.norm_row, m.norm_order"""


# Involved (report_id, key, page) per DQ row; page falls back to the stored cell's page.
_DQ_CELLS = """CREATE OR REPLACE VIEW dq_cells AS
SELECT d.rowid AS dq_rowid, coalesce(j->>'report_id', d.report_id) AS report_id, j->>'key' AS key,
  coalesce(TRY_CAST(j->>'page' AS INTEGER), c.page) AS page
FROM dq_results AS d,
  (SELECT unnest(CAST(json_extract(d.cells, '$[*]') AS JSON[])) AS j) AS u
LEFT JOIN cells AS c ON c.report_id = coalesce(j->>'report_id', d.report_id) AND c.key = j->>'key'"""

# Pages and report ids are resolved for failed rows only (cheap even with many passing rows).
_DQ_FAILURES = """CREATE OR REPLACE VIEW dq_failures AS
WITH f AS (SELECT d.rowid AS dq_rowid, d.* FROM dq_results AS d WHERE NOT d.passed),
fc AS (
  SELECT f.dq_rowid, coalesce(j->>'report_id', f.report_id) AS rid,
    coalesce(TRY_CAST(j->>'page' AS INTEGER), c.page) AS page
  FROM f, (SELECT unnest(CAST(json_extract(f.cells, '$[*]') AS JSON[])) AS j) AS u
  LEFT JOIN cells AS c ON c.report_id = coalesce(j->>'report_id', f.report_id) AND c.key = j->>'key'
),
agg AS (
  SELECT dq_rowid,
    list(DISTINCT page ORDER BY page) FILTER (WHERE page IS NOT NULL) AS pages,
    list(DISTINCT rid ORDER BY rid) FILTER (WHERE rid IS NOT NULL) AS report_ids
  FROM fc GROUP BY dq_rowid
)
SELECT f.* EXCLUDE (dq_rowid), r.file_name, r.source, r.agency, r.unit, r.region_code, r.region_name,
  r.report_year, r.template, r.status, r.quality, agg.pages, agg.report_ids
FROM f LEFT JOIN reports AS r USING (report_id) LEFT JOIN agg USING (dq_rowid)"""

_DQ_SUMMARY_BY_RULE = """CREATE OR REPLACE VIEW dq_summary_by_rule AS
SELECT rule, invariant, suite, table_name, severity,
  count(*) AS n_checks,
  count(*) FILTER (WHERE passed) AS n_passed,
  count(*) FILTER (WHERE NOT passed) AS n_failed,
  count(DISTINCT report_id) AS n_reports,
  count(DISTINCT report_id) FILTER (WHERE NOT passed) AS n_reports_failed,
  count(*) FILTER (WHERE passed) / count(*) AS pass_rate,
  max(checked_at) AS last_checked_at
FROM dq_results
GROUP BY ALL"""

_DQ_BY_REPORT = """CREATE OR REPLACE VIEW dq_by_report AS
WITH own AS (
  SELECT report_id, count(*) AS n_checks,
    count(*) FILTER (WHERE NOT passed) AS n_failed,
    count(*) FILTER (WHERE NOT passed AND severity = 'critical') AS n_critical_failed
  FROM dq_results WHERE report_id IS NOT NULL GROUP BY report_id
), cross_ AS (
  SELECT x.rid AS report_id, count(DISTINCT x.dq_rowid) AS n_cross_failed
  FROM (
    SELECT d.rowid AS dq_rowid, unnest(json_extract_string(d.cells, '$[*].report_id')) AS rid
    FROM dq_results AS d WHERE d.report_id IS NULL AND NOT d.passed
  ) AS x
  WHERE x.rid IS NOT NULL GROUP BY x.rid
)
SELECT r.report_id, r.region_code, r.report_year, r.status,
  coalesce(o.n_checks, 0) AS n_checks, coalesce(o.n_failed, 0) AS n_failed,
  coalesce(o.n_critical_failed, 0) AS n_critical_failed, coalesce(c.n_cross_failed, 0) AS n_cross_failed,
  coalesce(o.n_checks, 0) > 0 AND coalesce(o.n_critical_failed, 0) = 0 AS passes_critical
FROM reports AS r LEFT JOIN own AS o USING (report_id) LEFT JOIN cross_ AS c USING (report_id)"""


def _summary(name: str, keys: str) -> str:
    return f"""CREATE OR REPLACE VIEW {name} AS
SELECT {keys},
  count(*) AS reports,
  count(*) FILTER (WHERE n_checks > 0) AS reports_checked,
  count(*) FILTER (WHERE passes_critical) AS reports_passing_critical,
  count(*) FILTER (WHERE passes_critical) / count(*) AS pass_rate,
  sum(n_failed) AS n_failed_checks,
  sum(n_critical_failed) AS n_critical_failed,
  sum(n_cross_failed) AS n_cross_failed
FROM dq_by_report
GROUP BY ALL"""


_REPORT_STATUS_SUMMARY = """CREATE OR REPLACE VIEW report_status_summary AS
SELECT report_year, template, status, quality,
  count(*) AS n_reports, sum(n_cells) AS n_cells, sum(n_review) AS n_review,
  sum(n_violations) AS n_violations, avg(seconds) AS avg_seconds, max(extracted_at) AS last_extracted_at
FROM reports
GROUP BY ALL"""


VIEW_DESCRIPTIONS = {
    "t3_normalised": "Table 三 comparable across templates (v2021 （六） sub-rows summed into other_handling)",
    "dq_cells": "Cells involved in each DQ row (one row per cell; page falls back to the stored cell)",
    "dq_failures": "Failed DQ rows with report metadata, the involved pages and report ids",
    "dq_summary_by_rule": "Checks, failures and pass rate per rule",
    "dq_by_report": "Per report: checks, failures, cross-report failures, whether all critical rules passed",
    "dq_summary_by_county": "Per region_code × report_year: reports, reports passing all critical rules, pass rate",
    "dq_summary_by_year": "Per report_year: reports, reports passing all critical rules, pass rate",
    "report_status_summary": "Reports per year, template, reading status and quality",
}


def view_sql() -> dict[str, str]:
    """View name → ``CREATE OR REPLACE VIEW`` statement, in dependency order."""
    return {
        "t3_normalised": _t3_normalised(),
        "dq_cells": _DQ_CELLS,
        "dq_failures": _DQ_FAILURES,
        "dq_summary_by_rule": _DQ_SUMMARY_BY_RULE,
        "dq_by_report": _DQ_BY_REPORT,
        "dq_summary_by_county": _summary("dq_summary_by_county", "region_code, report_year"),
        "dq_summary_by_year": _summary("dq_summary_by_year", "report_year"),
        "report_status_summary": _REPORT_STATUS_SUMMARY,
    }


def view_statements() -> list[str]:
    """Every view with its ``COMMENT ON VIEW``."""
    out = []
    for name, sql in view_sql().items():
        out += [sql, f"COMMENT ON VIEW {ident(name)} IS {literal(VIEW_DESCRIPTIONS[name])}"]
    return out
