"""Warehouse views. Each is ``CREATE OR REPLACE`` and re-applied when its SQL changes.

A report *passes* when it has at least one stored per-report DQ result and none of its critical
rules failed; unread reports therefore count against a county's pass rate. Cross-report rows
(``report_id`` NULL) are attributed to the reports named in their ``cells`` JSON.

The DQ views judge a report after corrections: ``dq_effective`` takes a corrected report's GX rows re-run
with the corrected values (``basis = 'corrected'``) in place of its as-read rows; ``dq_by_report`` keeps the
as-read verdict beside it (``passes_critical_as_read``), and ``dq_results`` keeps every row.
"""

from __future__ import annotations

from gidar.dq import AS_READ, CORRECTED
from gidar.templates import T3_COLUMNS

from .ddl import ident, literal
from .harmonise import MEASURE_LABELS
from .rollups import rollup_views


def _t3_normalised() -> str:
    # A sum is only meaningful when every part was read: NULL if any part is NULL.
    sums = ",\n  ".join(
        f"CASE WHEN count(*) FILTER (WHERE applicant = {literal(c.key)} AND value IS NULL) = 0"
        f" THEN sum(value) FILTER (WHERE applicant = {literal(c.key)}) END AS {ident(c.key)}"
        for c in T3_COLUMNS
    )
    kinds = {"received": "input", "carried_over": "input", "result_total": "result_total", "carried_forward": "carry"}
    kind = (
        "CASE measure "
        + " ".join(f"WHEN {literal(m)} THEN {literal(k)}" for m, k in kinds.items())
        + " ELSE 'leaf' END"
    )
    assert set(kinds) <= set(MEASURE_LABELS)
    return f"""CREATE OR REPLACE VIEW t3_normalised AS
SELECT report_id, any_value(report_year) AS report_year, any_value(region_code) AS region_code, template,
  "row", any_value(row_order) AS row_order, any_value({kind}) AS row_kind,
  {sums},
  CAST(count(DISTINCT src_row) AS INTEGER) AS n_source_rows
FROM fact_applications
GROUP BY report_id, template, "row"
"""


# The rows that judge each report: a report with GX results after corrections is judged by those alone (its
# as-read per-report rows are superseded, kept in dq_results); cross-report rows always count.
_DQ_EFFECTIVE = f"""CREATE OR REPLACE VIEW dq_effective AS
SELECT d.rowid AS dq_id, d.* REPLACE (coalesce(d.basis, '{AS_READ}') AS basis)
FROM dq_results AS d
WHERE d.report_id IS NULL OR d.basis = '{CORRECTED}'
  OR NOT EXISTS (SELECT 1 FROM dq_results AS c WHERE c.basis = '{CORRECTED}' AND c.report_id = d.report_id)"""

# Involved (report_id, key, page) per DQ row; page falls back to the stored cell's page.
_DQ_CELLS = """CREATE OR REPLACE VIEW dq_cells AS
SELECT d.rowid AS dq_rowid, coalesce(j->>'report_id', d.report_id) AS report_id, j->>'key' AS key,
  coalesce(TRY_CAST(j->>'page' AS INTEGER), c.page) AS page
FROM dq_results AS d,
  (SELECT unnest(CAST(json_extract(d.cells, '$[*]') AS JSON[])) AS j) AS u
LEFT JOIN cells AS c ON c.report_id = coalesce(j->>'report_id', d.report_id) AND c.key = j->>'key'"""

# Pages and report ids are resolved for failed rows only (cheap even with many passing rows).
_DQ_FAILURES = """CREATE OR REPLACE VIEW dq_failures AS
WITH f AS (SELECT d.dq_id AS dq_rowid, d.* EXCLUDE (dq_id) FROM dq_effective AS d WHERE NOT d.passed),
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

# One row per (DQ row, report it is attributed to): its own report, or for a cross-report row (report_id
# NULL) every report named in its cells.
_DQ_ATTRIBUTED = """CREATE OR REPLACE VIEW dq_attributed AS
SELECT d.dq_id, d.report_id, d.rule, d.severity, d.passed, true AS own, d.basis
FROM dq_effective AS d WHERE d.report_id IS NOT NULL
UNION
SELECT d.dq_id, u.j->>'report_id', d.rule, d.severity, d.passed, false, d.basis
FROM dq_effective AS d, (SELECT unnest(CAST(json_extract(d.cells, '$[*]') AS JSON[])) AS j) AS u
WHERE d.report_id IS NULL AND u.j->>'report_id' IS NOT NULL"""

# Failing cross-report rows (report_id NULL) attributed to the reports named in their cells, once per
# (row, report). Only failing rows count against a report, and they are few: the JSON of the passing ones is
# never unnested.
_CROSS_FAILED = """SELECT DISTINCT d.dq_id, u.j->>'report_id' AS report_id, d.severity
  FROM dq_effective AS d, (SELECT unnest(CAST(json_extract(d.cells, '$[*]') AS JSON[])) AS j) AS u
  WHERE d.report_id IS NULL AND NOT d.passed AND u.j->>'report_id' IS NOT NULL"""

# THE definition of "a report passes" (gidar dq, the dashboard and the summaries read it): the report has at
# least one DQ row of its own, and no failing critical DQ row is attributed to it. Unread reports are never
# checked, so they count against a county's pass rate.
# Memory: each count is aggregated by report_id alone (own rows: one row each; failing cross rows: distinct per
# report above) before the join to `reports`. Grouping the (reports x DQ rows) join by every report column with
# DISTINCT counts held all DQ rows in several hash tables (+225 MB at 2,000 reports, not spillable).
_DQ_BY_REPORT = f"""CREATE OR REPLACE VIEW dq_by_report AS
WITH own AS (
  SELECT report_id, count(*) AS n_checks, count(*) FILTER (WHERE NOT passed) AS n_failed,
    count(*) FILTER (WHERE NOT passed AND severity = 'critical') AS n_critical,
    count(*) FILTER (WHERE NOT passed AND severity <> 'critical') AS n_warning,
    bool_or(basis = '{CORRECTED}') AS after_corrections
  FROM dq_effective WHERE report_id IS NOT NULL GROUP BY report_id
),
crossed AS (
  SELECT report_id, count(*) AS n_failed, count(*) FILTER (WHERE severity = 'critical') AS n_critical,
    count(*) FILTER (WHERE severity <> 'critical') AS n_warning
  FROM ({_CROSS_FAILED}) GROUP BY report_id
),
as_read AS (
  SELECT report_id, count(*) AS n, count(*) FILTER (WHERE NOT passed AND severity = 'critical') AS n_critical_failed
  FROM dq_results WHERE report_id IS NOT NULL AND coalesce(basis, '{AS_READ}') = '{AS_READ}' GROUP BY report_id
)
SELECT r.report_id, r.region_code, r.region_name, r.prefecture, r.report_year, r.agency, r.agency_type,
  r.status, r.quality, r.source, r.file_name, r.template,
  coalesce(o.n_checks, 0) AS n_checks,
  coalesce(o.n_failed, 0) AS n_failed,
  coalesce(o.n_critical, 0) + coalesce(x.n_critical, 0) AS n_critical_failed,
  coalesce(o.n_warning, 0) + coalesce(x.n_warning, 0) AS n_warning_failed,
  coalesce(x.n_failed, 0) AS n_cross_failed,
  coalesce(o.n_checks, 0) > 0 AND coalesce(o.n_critical, 0) + coalesce(x.n_critical, 0) = 0 AS passes_critical,
  coalesce(o.after_corrections, false) AS after_corrections,
  coalesce(ar.n, 0) > 0 AND coalesce(ar.n_critical_failed, 0) + coalesce(x.n_critical, 0) = 0
    AS passes_critical_as_read,
  coalesce(ar.n_critical_failed, 0) AS n_critical_failed_as_read
FROM reports AS r LEFT JOIN own AS o USING (report_id) LEFT JOIN crossed AS x USING (report_id)
  LEFT JOIN as_read AS ar USING (report_id)"""

_DQ_SUMMARY_BY_RULE = """CREATE OR REPLACE VIEW dq_summary_by_rule AS
WITH att AS (
  SELECT rule, severity, count(DISTINCT report_id) AS n_reports_failed
  FROM dq_attributed WHERE NOT passed GROUP BY ALL
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


def _summary(name: str, keys: list[str], extra: str = "") -> str:
    group = ", ".join(f"rep.{k}" for k in keys)
    return f"""CREATE OR REPLACE VIEW {name} AS
SELECT {group}{extra},
  count(DISTINCT rep.report_id) AS reports,
  count(DISTINCT rep.report_id) FILTER (WHERE rep.n_checks > 0) AS reports_checked,
  count(DISTINCT rep.report_id) FILTER (WHERE rep.passes_critical) AS reports_passing_critical,
  count(DISTINCT rep.report_id) FILTER (WHERE rep.passes_critical) / count(DISTINCT rep.report_id) AS pass_rate,
  count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.own) AS n_failed_checks,
  count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity = 'critical') AS n_critical_failed,
  count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND a.severity <> 'critical') AS n_warning_failed,
  count(DISTINCT a.dq_id) FILTER (WHERE NOT a.passed AND NOT a.own) AS n_cross_failed
FROM dq_by_report AS rep
  LEFT JOIN (SELECT dq_id, report_id, severity, passed, own FROM dq_attributed WHERE NOT passed) AS a
  ON a.report_id = rep.report_id
GROUP BY {group}"""


_REGION_NAMES = ", any_value(rep.region_name) AS region_name, any_value(rep.prefecture) AS prefecture"


_REPORT_STATUS_SUMMARY = """CREATE OR REPLACE VIEW report_status_summary AS
SELECT report_year, template, status, quality,
  count(*) AS n_reports, sum(n_cells) AS n_cells, sum(n_review) AS n_review,
  sum(n_violations) AS n_violations, avg(seconds) AS avg_seconds, max(extracted_at) AS last_extracted_at
FROM reports
GROUP BY ALL"""


_DIM_BODY = """CREATE OR REPLACE VIEW dim_body AS
SELECT b.body_id, arg_max(b.body_name, b.report_year) AS body_name,
  arg_max(b.agency_type, b.report_year) AS agency_type, arg_max(b.level, b.report_year) AS level,
  arg_max(b.region_code, b.report_year) AS region_code,
  list(DISTINCT b.body_name ORDER BY b.body_name) AS names_seen,
  min(b.report_year) AS first_year, max(b.report_year) AS last_year, count(*) AS n_reports
FROM report_bodies AS b WHERE b.body_id IS NOT NULL
GROUP BY b.body_id"""

# What still needs a person: review cells of a report without an active correction.
_REVIEW_QUEUE = """CREATE OR REPLACE VIEW review_queue AS
SELECT r.report_id, r.file_name, r.source, r.agency, r.report_year, r.status, k.key, c.value, c.raw, c.page,
  c.x0, c.top, c.x1, c.bottom
FROM reports AS r, unnest(r.review) AS k(key)
LEFT JOIN cells AS c ON c.report_id = r.report_id AND c.key = k.key
WHERE NOT EXISTS (SELECT 1 FROM corrections AS x WHERE x.active AND x.report_id = r.report_id AND x.key = k.key)"""

# Active corrections with both re-checks: the template invariants (corrections.flagged, at every load) and the GX
# suites re-run with the corrected values (dq_results basis 'corrected'): the failing rules naming the cell.
_CORRECTION_CHECKS = f"""CREATE OR REPLACE VIEW correction_checks AS
WITH gx AS (
  SELECT d.report_id, u.j->>'key' AS key,
    list(DISTINCT d.rule ORDER BY d.rule) FILTER (WHERE NOT d.passed) AS failed
  FROM dq_results AS d, (SELECT unnest(CAST(json_extract(d.cells, '$[*]') AS JSON[])) AS j) AS u
  WHERE d.basis = '{CORRECTED}' GROUP BY ALL
),
checked AS (SELECT DISTINCT report_id FROM dq_results WHERE basis = '{CORRECTED}')
SELECT k.correction_id, k.report_id, k.key, k.old_value, k.new_value, k.corrected_by, k.corrected_at, k.reason,
  k.origin, coalesce(k.flagged, false) AS invariants_flagged, k.flag_reason,
  ch.report_id IS NOT NULL AS gx_checked,
  CASE WHEN ch.report_id IS NOT NULL THEN coalesce(gx.failed, []) END AS gx_failed_rules,
  coalesce(k.flagged, false) OR coalesce(len(gx.failed), 0) > 0 AS flagged
FROM corrections AS k LEFT JOIN checked AS ch USING (report_id)
LEFT JOIN gx ON gx.report_id = k.report_id AND gx.key = k.key
WHERE k.active"""

VIEW_DESCRIPTIONS = {
    "t3_normalised": "Table 三 wide and comparable across templates (v2021 （六） sub-rows summed into"
    " other_handling), from fact_applications: corrected values where a person settled one",
    "dq_effective": "The DQ rows that judge each report: a corrected report's GX rows re-run with the corrected values"
    " (basis corrected) replace its as-read rows; cross-report rows always count. dq_results keeps every row",
    "dq_cells": "Cells involved in each DQ row (one row per cell; page falls back to the stored cell)",
    "dq_failures": "Failed DQ rows with report metadata, the involved pages and report ids",
    "dq_attributed": "One row per DQ row and report it is attributed to (cross-report rows: every report named)",
    "dq_by_report": "Per report: checks, failures, cross-report failures; passes_critical is THE definition of a"
    " passing report (checked, and no failing critical row attributed to it), after human corrections"
    " (dq_effective); passes_critical_as_read judges the values as read",
    "dq_summary_by_rule": "Per rule and severity: checks, failures, pass rate, the suites and tables checked",
    "dq_summary_by_county": "Per region_code × report_year: reports, reports passing all critical rules, pass rate",
    "dq_summary_by_region": "Per region_code, all years: reports, reports passing all critical rules, pass rate",
    "dq_summary_by_year": "Per report_year: reports, reports passing all critical rules, pass rate",
    "report_status_summary": "Reports per year, template, reading status and quality",
    "dim_body": "Reporting bodies (body_id from report_bodies): latest name, level, region, years seen",
    "correction_checks": "Active human corrections with their re-checks: invariants_flagged (template invariants,"
    " at every load), gx_failed_rules (GX suites re-run with the corrected values; null until run); flagged: either",
    "review_queue": "Cells the extractor put in review that no person has corrected yet, with page and box",
}


def view_descriptions() -> dict[str, str]:
    """Every view's ``COMMENT``."""
    return {**VIEW_DESCRIPTIONS, **{name: c["_view"] for name, (_, c) in rollup_views().items()}}


def view_sql() -> dict[str, str]:
    """View name → ``CREATE OR REPLACE VIEW`` statement, in dependency order."""
    return {
        "t3_normalised": _t3_normalised(),
        "dq_effective": _DQ_EFFECTIVE,
        "dq_cells": _DQ_CELLS,
        "dq_failures": _DQ_FAILURES,
        "dq_attributed": _DQ_ATTRIBUTED,
        "dq_by_report": _DQ_BY_REPORT,
        "dq_summary_by_rule": _DQ_SUMMARY_BY_RULE,
        "dq_summary_by_county": _summary("dq_summary_by_county", ["region_code", "report_year"], _REGION_NAMES),
        "dq_summary_by_region": _summary("dq_summary_by_region", ["region_code"], _REGION_NAMES),
        "dq_summary_by_year": _summary("dq_summary_by_year", ["report_year"], ", any_value(rep.template) AS template"),
        "report_status_summary": _REPORT_STATUS_SUMMARY,
        "dim_body": _DIM_BODY,
        "review_queue": _REVIEW_QUEUE,
        "correction_checks": _CORRECTION_CHECKS,
        **{name: sql for name, (sql, _) in rollup_views().items()},
    }


def view_statements() -> list[str]:
    """Every view with its ``COMMENT ON VIEW`` (and the rollups' ``COMMENT ON COLUMN``s)."""
    out = []
    rollups = rollup_views()
    for name, sql in view_sql().items():
        desc = rollups[name][1]["_view"] if name in rollups else VIEW_DESCRIPTIONS[name]
        out += [sql, f"COMMENT ON VIEW {ident(name)} IS {literal(desc)}"]
        if name in rollups:
            out += [
                f"COMMENT ON COLUMN {ident(name)}.{ident(col)} IS {literal(text)}"
                for col, text in rollups[name][1].items()
                if col != "_view"
            ]
    return out
