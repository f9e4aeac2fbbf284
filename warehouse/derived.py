"""Tables derived from the loaded reports: bodies, harmonised facts and correction checks.

`refresh(con, report_ids)` rebuilds, for those reports, inside the caller's transaction:

1. ``report_bodies`` — the body of each report (`body_id`), its level, and whether it counts in rollups;
2. the checks of their active corrections against the template invariants (``corrections.flagged``), and
   drops their GX results after corrections (stale now; the flows re-run GX: `corrections.pending_gx`);
3. the facts: ``fact_applications`` (table 三, harmonised by `warehouse.harmonise`),
   ``fact_review_litigation`` (table 四) and ``fact_proactive_<version>`` (table 二), one row per printed
   cell with its key, page and raw text, and the corrected value where a person settled one.

The writer calls it after every batch and every correction, so each published snapshot is consistent.
``dim_region`` is static data (`gidar.regions.divisions`), refilled by a repeatable migration.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from gidar.dq import CORRECTED
from gidar.invariants import check
from gidar.regions import divisions
from gidar.schema import APPLICATION_MEASURES, DIM_REGION, REPORT_BODIES
from gidar.templates import T4_BLOCKS, T4_COLUMNS, TEMPLATES

from .ddl import ident, insert_arrow, literal
from .harmonise import normalised_rows, t3_measures, t3_row_map

FACT_TABLES = (
    "fact_applications",
    "fact_review_litigation",
    *(f"fact_proactive_{v}" for v in TEMPLATES),
    "report_applications",
    "report_review_litigation",
)

# --- regions -------------------------------------------------------------------------------------

# Rows per INSERT … VALUES: DuckDB binds every literal of a statement at once, and the ~3,200 divisions in one
# statement took ~80 MB of the writer's process (kept by the allocator after it); 250 take ~10 MB.
REGION_ROWS_PER_INSERT = 250


def region_statements() -> list[str]:
    """Refill ``dim_region`` from the shipped division tables (a repeatable migration: reruns on change)."""
    rows = []
    for d in divisions():
        pref = d.code if d.level == "prefecture" else (d.parent_code if d.level == "county" else None)
        vals = [d.code, d.name, d.level, d.parent_code, pref, d.province_code + "0000", d.kind]
        sql = ", ".join("NULL" if v is None else literal(v) for v in vals)
        years = ", ".join("NULL" if y is None else str(y) for y in (d.valid_from, d.valid_to))
        rows.append(f"({sql}, {years})")
    cols = ", ".join(ident(n) for n in DIM_REGION.names)
    inserts = [
        f"INSERT INTO dim_region ({cols}) VALUES\n" + ",\n".join(rows[i : i + REGION_ROWS_PER_INSERT])
        for i in range(0, len(rows), REGION_ROWS_PER_INSERT)
    ]
    return ["DELETE FROM dim_region", *inserts]


# --- bodies --------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")


def canonical_body_name(agency: str, *places: str | None) -> str:
    """The agency name without its place prefixes, in one spelling: NFKC (full-width brackets and digits →
    ASCII), no whitespace, 办公厅 → 办公室, a leading 政府 → 人民政府. ``places`` (province, prefecture,
    county/city name, in that order) are stripped where the name starts with them."""
    s = _WS.sub("", unicodedata.normalize("NFKC", agency))
    for place in places:
        p = _WS.sub("", unicodedata.normalize("NFKC", place)) if place else ""
        if p and s.startswith(p) and len(s) > len(p):
            s = s[len(p) :]
    s = s.replace("办公厅", "办公室")
    if s.startswith("政府"):
        s = "人民" + s
    return s


def body_id(
    agency: str | None,
    region_code: str | None,
    province: str | None = None,
    prefecture: str | None = None,
    region_name: str | None = None,
) -> str | None:
    """``<region_code>:<canonical name>`` (``?:<canonical full name>`` when the region is unknown); None
    without an agency. Stable across years and the small spelling variants `canonical_body_name` folds."""
    if not agency:
        return None
    if not region_code:
        return "?:" + canonical_body_name(agency)
    return f"{region_code}:{canonical_body_name(agency, province, prefecture, region_name)}"


def _report_bodies(con: duckdb.DuckDBPyConnection, ids: Sequence[str] | None) -> pa.Table:
    where = "" if ids is None else "WHERE r.report_id IN (SELECT unnest($ids))"
    params = {} if ids is None else {"ids": list(ids)}
    rows = con.execute(
        f"""WITH active AS (SELECT report_id, list(key) AS keys FROM corrections WHERE active GROUP BY report_id)
            SELECT r.report_id, r.agency, r.agency_type, r.level, r.region_code, r.region_name, r.prefecture,
                   r.province, r.report_year, r.status, coalesce(r.review, []), coalesce(a.keys, []),
                   (SELECT list(d.level ORDER BY d.level = 'county' DESC) FROM dim_region d
                    WHERE d.code = r.region_code)
            FROM reports r LEFT JOIN active a USING (report_id) {where}""",
        params,
    ).fetchall()
    out = []
    for rid, agency, atype, level, code, rname, pref, prov, year, status, review, corrected, levels in rows:
        if level is None:  # loaded before reports.level existed, or from data without it
            level = "township" if atype == "township" else (levels[0] if levels else None)
        open_ = [k for k in review if k not in set(corrected)]
        out.append(
            {
                "report_id": rid,
                "body_id": body_id(agency, code, prov, pref, rname),
                "body_name": agency,
                "agency_type": atype,
                "level": level,
                "region_code": code,
                "report_year": year,
                "status": status,
                "n_review": len(review),
                "n_review_open": len(open_),
                "n_corrections": len(corrected),
                "counted": status == "ok" or (status == "uncertain" and not open_),
            }
        )
    return pa.Table.from_pylist(out, schema=REPORT_BODIES)


# --- corrections checks --------------------------------------------------------------------------


def _validate_corrections(con: duckdb.DuckDBPyConnection, ids: Sequence[str] | None) -> None:
    """Re-check every active correction of these reports: with the corrected values in place, does any
    template invariant that involves the corrected cell fail? Flag it (the correction is kept)."""
    where = "" if ids is None else "AND c.report_id IN (SELECT unnest($ids))"
    params = {} if ids is None else {"ids": list(ids)}
    active = con.execute(
        f"SELECT c.correction_id, c.report_id, c.key FROM corrections c WHERE c.active {where}", params
    ).fetchall()
    if not active:
        return
    rids = sorted({r for _, r, _ in active})
    values: dict[str, dict[str, float | None]] = defaultdict(dict)
    for rid, key, value in con.execute(
        """SELECT c.report_id, c.key, coalesce(k.new_value, c.value) FROM cells c
           LEFT JOIN corrections k ON k.active AND k.report_id = c.report_id AND k.key = c.key
           WHERE c.report_id IN (SELECT unnest($ids))""",
        {"ids": rids},
    ).fetchall():
        values[rid][key] = value
    templates = dict(
        con.execute(
            "SELECT report_id, template FROM reports WHERE report_id IN (SELECT unnest($ids))", {"ids": rids}
        ).fetchall()
    )
    now = datetime.now(UTC)
    updates = []
    for cid, rid, key in active:
        t = TEMPLATES.get(templates.get(rid) or "")
        broken = [v for v in check(t, values[rid]) if key in v.cells] if t else []
        reason = "; ".join(v.description for v in broken) or None
        updates.append((cid, bool(broken), reason, now))
    table = pa.table(
        {
            "correction_id": [u[0] for u in updates],
            "flagged": [u[1] for u in updates],
            "flag_reason": [u[2] for u in updates],
            "validated_at": pa.array([u[3] for u in updates], pa.timestamp("us", tz="UTC")),
        }
    )
    con.register("_corr_checks", table)
    try:
        con.execute(
            """UPDATE corrections SET flagged = u.flagged, flag_reason = u.flag_reason, validated_at = u.validated_at
               FROM _corr_checks u WHERE corrections.correction_id = u.correction_id"""
        )
    finally:
        con.unregister("_corr_checks")


# --- facts ---------------------------------------------------------------------------------------


def _t3_map_sql() -> str:
    order = {k: i for i, k in enumerate(normalised_rows())}
    measures = t3_measures()
    return ",\n    ".join(
        f"({literal(v)}, {literal(r)}, {literal(n)}, {order[n]}, {literal(measures[(v, r)])})"
        for (v, r), n in t3_row_map().items()
    )


_FACT_COMMON = """c.report_id, b.body_id, c.region_code, c.report_year, c.template"""
_FACT_VALUES = """coalesce(k.new_value, c.value) AS value, c.value AS extracted_value,
  k.report_id IS NOT NULL AS corrected, coalesce(b.counted, false) AS counted, c.key, c.page, c.raw"""
_FACT_FROM = """FROM {cells} AS c
LEFT JOIN corrections AS k ON k.active AND k.report_id = c.report_id AND k.key = c.key
LEFT JOIN report_bodies AS b ON b.report_id = c.report_id"""


def _report_base_sql(name: str, where: str) -> str:
    """The per-report rollup bases, pivoted from the fact tables (so corrections are already applied)."""
    keys = "f.report_id, any_value(f.body_id) AS body_id, any_value(f.region_code) AS region_code, " + (
        "any_value(f.report_year) AS report_year, bool_and(f.counted) AS counted"
    )
    if name == "report_applications":
        measure = {m: "result_total" if m == "processed" else m for m in APPLICATION_MEASURES}
        sums = ", ".join(
            f"sum(f.value) FILTER (WHERE f.measure = {literal(measure[m])}) AS {ident(m)}" for m in APPLICATION_MEASURES
        )
        return f"""INSERT INTO report_applications BY NAME
SELECT {keys}, {sums} FROM fact_applications AS f
WHERE f.applicant = 'total' AND ({where.replace("c.", "f.")}) GROUP BY f.report_id"""
    sums = ", ".join(
        f"sum(f.value) FILTER (WHERE f.block = {literal(b.key)} AND f.outcome = {literal(c.key)})"
        f" AS {ident(b.key + '_' + c.key)}"
        for b in T4_BLOCKS
        for c in T4_COLUMNS
    )
    return f"""INSERT INTO report_review_litigation BY NAME
SELECT {keys}, {sums} FROM fact_review_litigation AS f
WHERE ({where.replace("c.", "f.")}) GROUP BY f.report_id"""


def fact_sql(name: str, where: str, cells: str = "cells") -> str:
    """``INSERT INTO <fact table> SELECT …`` for the cells matching ``where`` (an SQL condition on ``c``), read from
    ``cells`` (the table, or a relation holding exactly the rows of the reports concerned)."""
    if name in ("report_applications", "report_review_litigation"):
        return _report_base_sql(name, where)
    fact_from = _FACT_FROM.format(cells=cells)
    if name == "fact_applications":
        return f"""INSERT INTO fact_applications BY NAME
WITH m(template, src_row, norm_row, norm_order, measure) AS (VALUES
    {_t3_map_sql()}
)
SELECT {_FACT_COMMON}, m.norm_row AS "row", CAST(m.norm_order AS INTEGER) AS row_order, c."row" AS src_row,
  m.measure, c.col AS applicant, {_FACT_VALUES}
{fact_from}
JOIN m ON m.template = c.template AND m.src_row = c."row"
WHERE c."table" = 't3' AND ({where})"""
    if name == "fact_review_litigation":
        outcomes = ", ".join(literal(c.key) for c in T4_COLUMNS)
        return f"""INSERT INTO fact_review_litigation BY NAME
SELECT {_FACT_COMMON}, c.block, c.col AS outcome, {_FACT_VALUES}
{fact_from}
WHERE c."table" = 't4' AND c.col IN ({outcomes}) AND ({where})"""
    version = name.removeprefix("fact_proactive_")
    return f"""INSERT INTO {ident(name)} BY NAME
SELECT {_FACT_COMMON}, c.block, c."row", c.col, c.value_type, {_FACT_VALUES}
{fact_from}
WHERE c."table" = 't2' AND c.template = {literal(version)} AND ({where})"""


def refresh(
    con: duckdb.DuckDBPyConnection,
    report_ids: Sequence[str] | None,
    stored: Sequence[str] | None = None,
    cells: str = "cells",
) -> None:
    """Rebuild the derived rows of these reports (all reports if None), in the caller's transaction.
    ``stored``: those that may have derived rows already (default: all of them); others skip the deletes.
    ``cells``: where their cells are read from: a relation holding exactly these reports' cells (a batch's, just
    loaded) spares a scan of the whole ``cells`` table per fact table and batch."""
    ids = None if report_ids is None else sorted(set(report_ids))
    if ids is not None and not ids:
        return
    cond = "true" if ids is None else "report_id IN (SELECT unnest($ids))"
    params: dict[str, Any] = {} if ids is None else {"ids": ids}
    old = ids if stored is None else sorted(set(stored))
    if old is None or old:
        del_params = {} if old is None else {"ids": old}
        con.execute(f"DELETE FROM report_bodies WHERE {cond}", del_params)
        for name in FACT_TABLES:
            con.execute(f"DELETE FROM {ident(name)} WHERE {cond}", del_params)
        if ids is not None:
            # GX results after corrections were computed from the old cells or corrections: drop them, so the
            # flows re-run GX on these reports (`corrections.pending_gx`); dq_effective meanwhile judges them as
            # read. (None: a migration rebuilding from unchanged cells; those results stay valid.)
            con.execute(f"DELETE FROM dq_results WHERE basis = '{CORRECTED}' AND {cond}", del_params)
    bodies = _report_bodies(con, ids)
    insert_arrow(con, "report_bodies", bodies)
    _validate_corrections(con, ids)
    for name in FACT_TABLES:
        con.execute(fact_sql(name, "true" if ids is None else "c.report_id IN (SELECT unnest($ids))", cells), params)
