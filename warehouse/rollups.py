"""The rollup views analysts query: applications and review/litigation per county, prefecture and province
and report year, with shares and year-over-year change.

Two scopes, because a county's reports overlap. A county-level government's annual report (本级政府, Regulation
art. 49) often covers the whole county — "全县…共收到…" (domain.md X-3) — and so already includes what its
departments and townships publish in their own reports; adding them counts those applications twice:

* ``applications_by_county_year`` (and ``review_litigation_…``): the county-level government's own report
  only (``report_bodies.agency_type = 'government'`` at county level). One published figure per county and
  year, comparable between counties; it undercounts where a government reports its own office only.
* ``applications_all_bodies_by_county_year`` (and ``…``): every body whose region is the county (government,
  departments, townships) summed: the workload by body, NOT a county total where the government's report
  covers the county.

Only counted reports (``report_bodies.counted``: status ok, or uncertain with every review cell corrected)
enter either. Prefecture and province rows are sums of the county rows of the same scope, so they add up by
construction; reports of city- and province-level bodies themselves (region_code of a city or province) are
in the fact tables but not in these county-based totals.
"""

from __future__ import annotations

from gidar.templates import T4_BLOCKS, T4_COLUMNS

from .ddl import ident
from .harmonise import MEASURE_LABELS, OUTCOMES

COUNTED = (
    "Only reports whose status is ok, or that have been corrected (status uncertain with every review cell"
    " settled by a person), count"
)

_APP_MEASURES = {**{m: m for m in MEASURE_LABELS if m != "result_total"}, "processed": "result_total"}
_T4_MEASURES = {f"{b.key}_{c.key}": (b.key, c.key) for b in T4_BLOCKS for c in T4_COLUMNS}
_LEVEL_COLS = {
    "county": ["prefecture_code", "province_code"],
    "prefecture": ["province_code"],
    "province": [],
}


def _measure_comments(kind: str) -> dict[str, str]:
    if kind == "applications":
        out = {
            col: f"{MEASURE_LABELS[m]} (table 三, 总计 column; sum over counted reports)"
            for col, m in _APP_MEASURES.items()
        }
        out.update({f"{o}_share": f"{o} / decided (the six outcomes of 三、本年度办理结果)" for o in OUTCOMES})
        out["decided"] = "granted + partially_granted + withheld + unavailable + not_processed + other"
        out["received_change"] = "received minus the same region's received in the previous report year"
        out["received_change_rate"] = "received_change / previous year's received (null if 0 or missing)"
        return out
    labels = {b.key: (f"{b.group}/" if b.group else "") + b.label for b in T4_BLOCKS}
    out = {col: f"{labels[b]} {dict((c.key, c.label) for c in T4_COLUMNS)[c]}" for col, (b, c) in _T4_MEASURES.items()}
    out["litigation_total"] = "litigation_direct_total + litigation_after_review_total (行政诉讼 cases)"
    for m in ("review_total", "litigation_total"):
        out[f"{m}_change"] = f"{m} minus the previous report year's"
    out["review_corrected_share"] = "review_corrected / review_total"
    return out


GOVERNMENT, ALL_BODIES = "government", "all_bodies"
SCOPES = (GOVERNMENT, ALL_BODIES)
# The county-level government's report, as `missing_reports` looks for it (reports.level may be unknown).
_GOVERNMENT_REPORT = "b.agency_type = 'government' AND coalesce(b.level, 'county') = 'county'"


def view_name(kind: str, level: str, scope: str = GOVERNMENT) -> str:
    """``applications_by_county_year``, ``review_litigation_all_bodies_by_province_year``, …"""
    prefix = "applications" if kind == "applications" else "review_litigation"
    return f"{prefix}{'_all_bodies' if scope == ALL_BODIES else ''}_by_{level}_year"


def _county_base(kind: str, scope: str) -> str:
    base = "report_applications" if kind == "applications" else "report_review_litigation"
    sums = ",\n    ".join(f"sum(f.{ident(m)}) AS {ident(m)}" for m in _measures(kind))
    if scope == GOVERNMENT:
        source = f"{base} AS f JOIN report_bodies AS b USING (report_id)"
        where = f"f.counted AND {_GOVERNMENT_REPORT}"
    else:
        source, where = f"{base} AS f", "f.counted"
    return f"""SELECT f.region_code, f.report_year, count(*) AS n_reports,
    {sums}
  FROM {source}
  WHERE {where}
  GROUP BY f.region_code, f.report_year"""


def _measures(kind: str) -> list[str]:
    return list(_APP_MEASURES) if kind == "applications" else list(_T4_MEASURES)


def _finish(kind: str, level: str) -> str:
    """Shares and year-over-year change over a CTE ``agg`` (region_code, region_name, level columns, year)."""
    keys = ["region_code", "region_name", *_LEVEL_COLS[level], "report_year", "n_reports"]
    cols = [f"agg.{k}" for k in keys] + [f"agg.{ident(m)}" for m in _measures(kind)]
    w = "OVER (PARTITION BY agg.region_code ORDER BY agg.report_year)"
    prev_ok = f"lag(agg.report_year) {w} = agg.report_year - 1"
    if kind == "applications":
        decided = " + ".join(f"coalesce(agg.{o}, 0)" for o in OUTCOMES)
        cols.append(f"{decided} AS decided")
        cols += [f"agg.{o} / nullif({decided}, 0) AS {o}_share" for o in OUTCOMES]
        yoy = ["received"]
    else:
        cols.append("agg.litigation_direct_total + agg.litigation_after_review_total AS litigation_total")
        cols.append("agg.review_corrected / nullif(agg.review_total, 0) AS review_corrected_share")
        yoy = ["review_total", "litigation_total"]
    for m in yoy:
        expr = (
            f"agg.{m}"
            if m != "litigation_total"
            else "(agg.litigation_direct_total + agg.litigation_after_review_total)"
        )
        prev = f"lag({expr}) {w}"
        cols.append(f"CASE WHEN {prev_ok} THEN {expr} - {prev} END AS {m}_change")
        if kind == "applications":
            cols.append(f"CASE WHEN {prev_ok} THEN ({expr} - {prev}) / nullif({prev}, 0) END AS {m}_change_rate")
    return "SELECT " + ",\n  ".join(cols) + "\nFROM agg"


def _view(kind: str, level: str, scope: str) -> str:
    name = view_name(kind, level, scope)
    county = view_name(kind, "county", scope)
    sums = ", ".join(f"sum({ident(m)}) AS {ident(m)}" for m in _measures(kind))
    if level == "county":
        agg = f"""WITH base AS (
  {_county_base(kind, scope)}
), agg AS (
  SELECT d.code AS region_code, d.name AS region_name, d.prefecture_code, d.province_code, b.*
    EXCLUDE (region_code)
  FROM base AS b JOIN dim_region AS d ON d.code = b.region_code AND d.level = 'county'
)"""
    elif level == "prefecture":
        agg = f"""WITH agg AS (
  SELECT c.prefecture_code AS region_code, any_value(p.name) AS region_name,
    any_value(c.province_code) AS province_code, c.report_year, sum(c.n_reports) AS n_reports, {sums}
  FROM {county} AS c LEFT JOIN dim_region AS p ON p.code = c.prefecture_code AND p.level = 'prefecture'
  GROUP BY c.prefecture_code, c.report_year
)"""
    else:
        agg = f"""WITH agg AS (
  SELECT c.province_code AS region_code, any_value(p.name) AS region_name, c.report_year,
    sum(c.n_reports) AS n_reports, {sums}
  FROM {county} AS c LEFT JOIN dim_region AS p ON p.code = c.province_code AND p.level = 'province'
  GROUP BY c.province_code, c.report_year
)"""
    return f"CREATE OR REPLACE VIEW {name} AS\n{agg}\n{_finish(kind, level)}"


_SCOPE_TEXT = {
    GOVERNMENT: (
        "from the county-level government's own report only (agency_type government): departments' and townships'"
        " reports are not added, because a county government's report often covers the whole county (全县…) and"
        " adding them would count those applications twice; it undercounts where a government reports its own"
        " office only. Every body summed: the matching _all_bodies_ view"
    ),
    ALL_BODIES: (
        "summed over every body of the county-level unit (government, departments, townships), as each published"
        " them: the workload by body. NOT a county total where the government's report covers the whole county"
        " (those applications are then counted twice); the view without _all_bodies_ counts the government's"
        " report only"
    ),
}


_SCOPE_SHORT = {
    GOVERNMENT: "the county-level governments' own reports only (no double counting of what they cover)",
    ALL_BODIES: "every body of each county summed (double counts where a government's report covers the county)",
}


def _comments(kind: str, level: str, scope: str) -> dict[str, str]:
    what = "Applications (table 三)" if kind == "applications" else "Administrative review and litigation (table 四)"
    how = _SCOPE_TEXT[scope] if level == "county" else f"summed from the county rows of the {level} (same scope)"
    reports = "the county governments' reports" if scope == GOVERNMENT else "the reports of every body"
    out = {
        "_view": f"{what} per {level} and report year, {how}. {COUNTED}.",
        "region_code": f"Code of the {level} (dim_region)",
        "region_name": f"Name of the {level}",
        "report_year": "Report (statistics) year",
        "n_reports": f"Counted reports summed ({reports}). {COUNTED}",
    }
    if level != "county":
        out["_view"] += f" County rows: {view_name(kind, 'county', scope)}, {_SCOPE_SHORT[scope]}."
    for col in _LEVEL_COLS[level]:
        out[col] = f"Code of the {col.removesuffix('_code')}"
    out.update(_measure_comments(kind))
    return out


def rollup_views() -> dict[str, tuple[str, dict[str, str]]]:
    """View name → (CREATE statement, column comments with the view's under ``_view``), dependency order."""
    out = {}
    for scope in SCOPES:
        for kind in ("applications", "review_litigation"):
            for level in ("county", "prefecture", "province"):
                out[view_name(kind, level, scope)] = (_view(kind, level, scope), _comments(kind, level, scope))
    out["missing_reports"] = (_MISSING, _MISSING_COMMENTS)
    return out


_MISSING = """CREATE OR REPLACE VIEW missing_reports AS
WITH years AS (SELECT DISTINCT report_year FROM report_bodies WHERE report_year IS NOT NULL),
seen AS (SELECT DISTINCT body_id, report_year FROM report_bodies WHERE body_id IS NOT NULL AND report_year IS NOT NULL),
first AS (SELECT body_id, min(report_year) AS first_year, max(report_year) AS last_year FROM seen GROUP BY body_id),
provinces AS (SELECT DISTINCT d.province_code FROM report_bodies AS b JOIN dim_region AS d ON d.code = b.region_code),
gov AS (
  SELECT DISTINCT region_code, report_year FROM report_bodies
  WHERE agency_type = 'government' AND coalesce(level, 'county') = 'county'
)
SELECT 'body_without_report' AS kind, f.body_id, b.body_name, b.region_code, y.report_year, f.first_year, f.last_year
FROM first AS f JOIN years AS y ON y.report_year > f.first_year
JOIN dim_body AS b ON b.body_id = f.body_id
WHERE NOT EXISTS (SELECT 1 FROM seen AS s WHERE s.body_id = f.body_id AND s.report_year = y.report_year)
UNION ALL
SELECT 'county_government_without_report', NULL, d.name || '人民政府', d.code, y.report_year, NULL, NULL
FROM dim_region AS d JOIN provinces AS p ON p.province_code = d.province_code
JOIN years AS y ON (d.valid_from IS NULL OR y.report_year >= d.valid_from)
  AND (d.valid_to IS NULL OR y.report_year <= d.valid_to)
WHERE d.level = 'county'
  AND NOT EXISTS (SELECT 1 FROM gov AS g WHERE g.region_code = d.code AND g.report_year = y.report_year)"""

_MISSING_COMMENTS = {
    "_view": "Reports we expected and do not have: bodies seen in an earlier report year without a report in a"
    " later year of the warehouse, and county-level governments (units valid that year, in provinces with"
    " reports) without a government report for a year. Any report counts here, whatever its status.",
    "kind": "body_without_report | county_government_without_report",
    "body_id": "The body (dim_body); null for a county government never seen",
    "body_name": "Its name (latest seen), or <county>人民政府",
    "region_code": "Region of the body, or the county-level unit",
    "report_year": "The year without a report",
    "first_year": "First report year the body was seen",
    "last_year": "Last report year the body was seen",
}
