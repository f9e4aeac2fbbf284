"""Cross-report data-quality checks as SQL over the warehouse (docs/domain.md §3.3–3.4).

Each check yields one `DQRecord` per thing it checked (passed or not), attributed to one report, with the
cells involved (report_id, key, page, bbox) so the dashboard can show them. All are *warnings*: every
cross-report rule has legitimate exceptions, so none may block a load or count as a publisher error:

* ``carry_over`` (X-1) — Y 四、结转下年度 = Y+1 二、上年结转, per column. Breaks are legitimate after
  re-organisations (机构改革 2019, Hangzhou 2021-04) or when a body switches between aggregated and own reports.
* ``copy_paste`` (X-5) — identical non-zero tables 三 + 四 in consecutive years of one body: suspicious, yet a
  small body can truly repeat its figures.
* ``duplicate_ingest`` — the same body-year with identical values under two report_ids/sources: usually one PDF
  saved twice (different bytes, so a different sha256), but could be a re-publication.
* ``county_vs_units`` (X-3) — a county government reporting fewer new applications than one of its own
  departments/townships: plausible only if its report covers the government office alone.
* ``narrative_vs_table`` (docs/domain.md §3.4) — section 一 restating a figure that differs from the table;
  wording varies.

Body identity (X-2) = region code + the agency name without province/prefecture/county prefixes (see
`body_name`), so "温州市洞头区人民政府" and "洞头区人民政府" are one body.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from gidar.dq import CellRef, DQRecord, Severity
from gidar.keys import Key
from gidar.templates import T3_COLUMNS, TEMPLATES, template_for_year
from gidar.warehouse.narrative import PHRASES, claim_keys, narrative_claims

SUITE = "crosscheck"
SEVERITY: Severity = "warning"

# rule -> (domain id, short description) — used by dq_summary and the dashboard as well.
RULES: dict[str, tuple[str, str]] = {
    "carry_over": ("X-1", "上年结转 = 上一年度报告的结转下年度（同一机关，逐列）"),
    "copy_paste": ("X-5", "相邻年度表三、表四完全相同（疑似照抄）"),
    "duplicate_ingest": ("X-dup", "同一机关同一年度的相同报告被重复入库"),
    "county_vs_units": ("X-3", "县级政府本年新收申请数不低于其部门、乡镇中的最大值"),
    "narrative_vs_table": ("T-text", "第一部分总体情况所述数字与表三、表四一致"),
}


def finding(
    subject: str,
    rule: str,
    passed: bool,
    observed: float | None,
    expected: float | None,
    description: str,
    table_name: str,
    row_key: str | None = None,
    col_key: str | None = None,
    cells: tuple[CellRef, ...] = (),
) -> DQRecord:
    """A cross-report record. It has a NULL report_id and is attributed to the reports named in
    `cells` (warehouse convention); the subject report always comes first there."""
    if not cells or cells[0].report_id != subject:
        cells = (CellRef(subject, None), *cells)
    return DQRecord(
        rule=rule,
        severity=SEVERITY,
        passed=passed,
        report_id=None,
        suite=SUITE,
        invariant=RULES[rule][0],
        table_name=table_name,
        row_key=row_key,
        col_key=col_key,
        observed=_n(observed),
        expected=_n(expected),
        lhs=observed,
        rhs=expected,
        cells=cells,
        description=description,
    )


# --- body identity -------------------------------------------------------------------------------


def body_name(agency: str | None, *prefixes: str | None) -> str:
    """The agency name without leading administrative prefixes: `舟山市嵊泗县交通运输局` → `交通运输局`
    (with prefixes 浙江省, 舟山市, 嵊泗县). Width/space-normalised; prefixes are stripped repeatedly in any order."""
    name = "".join(unicodedata.normalize("NFKC", agency or "").split())
    pre = [p for p in ("".join(unicodedata.normalize("NFKC", x or "").split()) for x in prefixes) if p]
    changed = True
    while changed:
        changed = False
        for p in pre:
            if name.startswith(p) and len(name) > len(p):
                name, changed = name[len(p) :], True
    return name


# A report's values as one comparable value: keys are unique within a report, so equal (key, value) sets give equal
# fingerprints in any order; two independent 64-bit hash aggregates and the count make a chance collision of two
# different reports ~2^-128, as likely as md5's. Streamed: md5 of an ORDER BY-sorted string_agg held every cell of the
# warehouse in the aggregate's memory (+140 MB at 2,000 reports).
_FINGERPRINT = "concat_ws('-', count(*), sum(CAST(hash(key, value) AS HUGEINT)), bit_xor(hash(value, key)))"


def _register_bodies(con: duckdb.DuckDBPyConnection) -> None:
    """`_xc_bodies`: one row per report with cells, with its body key and whether it is the canonical copy
    (exact duplicates of a body-year are checked once in the cross-year rules)."""
    rows = con.execute(
        """SELECT report_id, agency, agency_type, region_code, region_name, prefecture, province, report_year,
                  source, file_name
           FROM reports
           WHERE report_year IS NOT NULL AND region_code IS NOT NULL AND agency IS NOT NULL
             AND report_id IN (SELECT DISTINCT report_id FROM cells WHERE value IS NOT NULL)"""
    ).fetchall()
    cols = [
        "report_id",
        "agency",
        "agency_type",
        "region_code",
        "region_name",
        "prefecture",
        "province",
        "report_year",
        "source",
        "file_name",
    ]
    data: dict[str, list[Any]] = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    data["body"] = [f"{r[3]}|{body_name(r[1], r[6], r[5], r[4])}" for r in rows]
    con.register("_xc_bodies_raw", pa.table(data))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _xc_bodies AS
           WITH fp AS (
               SELECT report_id, {_FINGERPRINT} AS fingerprint
               FROM cells WHERE value IS NOT NULL GROUP BY report_id)
           SELECT b.*, fp.fingerprint,
                  row_number() OVER (PARTITION BY b.body, b.report_year, fp.fingerprint ORDER BY b.report_id) = 1
                      AS canonical
           FROM _xc_bodies_raw b JOIN fp USING (report_id)"""
    )
    con.unregister("_xc_bodies_raw")


# --- checks ------------------------------------------------------------------------------------

_CELL = "struct_pack(report_id := {a}.report_id, key := {a}.key, page := {a}.page, x0 := {a}.x0, top := {a}.top, x1 := {a}.x1, bottom := {a}.bottom)"  # noqa: E501


def _ref(s: dict[str, Any] | None) -> CellRef | None:
    if not s or s.get("key") is None:
        return None
    bbox = (s["x0"], s["top"], s["x1"], s["bottom"]) if s.get("x0") is not None else None
    return CellRef(s["report_id"], s["key"], s.get("page"), bbox)


def _refs(*structs: Any) -> tuple[CellRef, ...]:
    out: list[CellRef] = []
    for s in structs:
        for item in s if isinstance(s, list) else [s]:
            ref = _ref(item)
            if ref is not None:
                out.append(ref)
    return tuple(out)


_PAIRS = """
    SELECT a.report_id AS prev_id, n.report_id AS next_id, a.report_year AS prev_year, n.report_year AS next_year,
           n.agency AS agency
    FROM _xc_bodies a JOIN _xc_bodies n
      ON a.body = n.body AND n.report_year = a.report_year + 1 AND a.canonical AND n.canonical
"""


def check_carry_over(con: duckdb.DuckDBPyConnection) -> list[DQRecord]:
    """X-1 per table-三 column, for every pair of consecutive years of a body (across template versions:
    the carry rows are the same in both)."""
    cols = ", ".join(f"('{c.key}')" for c in T3_COLUMNS)
    sql = f"""
        WITH pairs AS ({_PAIRS}), c(col) AS (VALUES {cols})
        SELECT p.prev_id, p.next_id, p.prev_year, p.next_year, p.agency, c.col, f.value, o.value,
               -- page and box only where needed: building structs for every passing pair is the slow part
               CASE WHEN f.value <> o.value THEN {_CELL.format(a="f")} END,
               CASE WHEN f.value <> o.value THEN {_CELL.format(a="o")} END
        FROM pairs p CROSS JOIN c
        JOIN cells f ON f.report_id = p.prev_id AND f.key = 't3.carried_forward.' || c.col
        JOIN cells o ON o.report_id = p.next_id AND o.key = 't3.carried_over.' || c.col
        WHERE f.value IS NOT NULL AND o.value IS NOT NULL
        ORDER BY p.next_id, c.col"""
    out = []
    for prev, nxt, py, ny, agency, col, forward, over, fcell, ocell in con.execute(sql).fetchall():
        ok = forward == over
        refs = (
            _refs(ocell, fcell)
            if not ok
            else (CellRef(nxt, f"t3.carried_over.{col}"), CellRef(prev, f"t3.carried_forward.{col}"))
        )
        out.append(
            finding(
                nxt,
                "carry_over",
                ok,
                over,
                forward,
                f"{agency} {ny}年 上年结转（{col}）{_n(over)} {'=' if ok else '≠'} {py}年 结转下年度 {_n(forward)}",
                "t3",
                "carried_over",
                col,
                refs,
            )
        )
    return out


def check_copy_paste(con: duckdb.DuckDBPyConnection) -> list[DQRecord]:
    """X-5: all common table 三/四 cells equal in consecutive years; pairs whose tables are all zero are not
    checked (many small bodies truly receive nothing, year after year)."""
    sql = f"""
        WITH pairs AS ({_PAIRS})
        SELECT p.prev_id, p.next_id, p.prev_year, p.next_year, p.agency,
               count(*) AS n_common,
               count(*) FILTER (WHERE a.value = b.value) AS n_equal,
               count(*) FILTER (WHERE b.value <> 0) AS n_nonzero
        FROM pairs p
        JOIN cells a ON a.report_id = p.prev_id AND (a.key LIKE 't3.%' OR a.key LIKE 't4.%') AND a.value IS NOT NULL
        JOIN cells b ON b.report_id = p.next_id AND b.key = a.key AND b.value IS NOT NULL
        GROUP BY ALL HAVING count(*) FILTER (WHERE a.value <> 0 OR b.value <> 0) > 0
        ORDER BY p.next_id"""
    pairs = con.execute(sql).fetchall()
    # the non-zero cells of both years, fetched only for the pairs that are identical
    same_ids = sorted({i for p in pairs if p[6] == p[5] for i in p[:2]})
    nonzero: dict[str, list[Any]] = dict(
        con.execute(
            f"""SELECT c.report_id, list({_CELL.format(a="c")} ORDER BY c.key) FROM cells c
                WHERE c.report_id IN (SELECT unnest(?::VARCHAR[])) AND c.value <> 0
                  AND (c.key LIKE 't3.%' OR c.key LIKE 't4.%') GROUP BY c.report_id""",
            [same_ids],
        ).fetchall()
    )
    out = []
    for prev, nxt, py, ny, agency, n_common, n_equal, n_nonzero in pairs:
        same = n_equal == n_common
        desc = (
            f"{agency} {ny}年表三、表四与{py}年完全相同（{n_common}格，其中非零{n_nonzero}格）"
            if same
            else f"{agency} {ny}年与{py}年表三、表四有{n_common - n_equal}格不同"
        )
        out.append(
            finding(
                nxt,
                "copy_paste",
                not same,
                n_equal,
                n_common,
                desc,
                "t3+t4",
                cells=_refs(nonzero.get(nxt, []), nonzero.get(prev, [])) if same else (),
            )
        )
    return out


def check_duplicate_ingest(con: duckdb.DuckDBPyConnection) -> list[DQRecord]:
    """Every report is checked; it fails when an earlier-ordered report_id of the same body-year has identical
    values (so one duplicate pair gives one finding, on the copy, naming the first)."""
    sql = """
        SELECT b.report_id, b.agency, b.report_year, b.source,
               list(struct_pack(id := o.report_id, source := o.source) ORDER BY o.report_id)
                   FILTER (WHERE o.report_id IS NOT NULL) AS firsts
        FROM _xc_bodies b
        LEFT JOIN _xc_bodies o ON o.body = b.body AND o.report_year = b.report_year
             AND o.fingerprint = b.fingerprint AND o.report_id < b.report_id
        GROUP BY ALL ORDER BY b.report_id"""
    out = []
    for rid, agency, year, source, firsts in con.execute(sql).fetchall():
        firsts = firsts or []
        if firsts:
            names = "、".join(str(o["source"]) for o in firsts)
            desc = f"{agency} {year}年报告（{source}）与已入库的 {names} 数值及元数据完全相同，疑似重复入库"
        else:
            desc = f"{agency} {year}年报告（{source}）不是已入库报告的副本"
        refs = (CellRef(rid, None), *(CellRef(o["id"], None) for o in firsts))
        out.append(finding(rid, "duplicate_ingest", not firsts, len(firsts), 0, desc, "reports", cells=refs))
    return out


def check_county_vs_units(con: duckdb.DuckDBPyConnection) -> list[DQRecord]:
    """X-3: each county government report vs the other reports of its region and year."""
    sql = f"""
        WITH nr AS (
            SELECT b.report_id, b.region_code, b.report_year, b.agency, b.agency_type, c.value,
                   {_CELL.format(a="c")} AS cell
            FROM _xc_bodies b JOIN cells c ON c.report_id = b.report_id AND c.key = 't3.new_received.total'
            WHERE b.canonical AND c.value IS NOT NULL)
        SELECT g.report_id, g.agency, g.report_year, g.value, g.cell,
               max(u.value) AS max_unit, sum(u.value) AS sum_unit, count(*) AS n_units,
               arg_max(u.agency, u.value) AS max_agency, arg_max(u.cell, u.value) AS max_cell
        FROM nr g JOIN nr u ON u.region_code = g.region_code AND u.report_year = g.report_year
             AND u.report_id <> g.report_id AND u.agency_type <> 'government'
        WHERE g.agency_type = 'government'
        GROUP BY ALL ORDER BY g.report_id"""
    out = []
    for rid, agency, year, value, cell, max_unit, sum_unit, n_units, max_agency, max_cell in con.execute(
        sql
    ).fetchall():
        ok = value >= max_unit
        desc = (
            f"{agency} {year}年新收申请 {_n(value)} 件"
            + ("，不低于" if ok else "，低于其单位")
            + f" {max_agency} 的 {_n(max_unit)} 件（{n_units}个单位合计 {_n(sum_unit)} 件）"
        )
        out.append(
            finding(
                rid,
                "county_vs_units",
                ok,
                value,
                max_unit,
                desc,
                "t3",
                "new_received",
                "total",
                _refs(cell, max_cell) if not ok else _refs(cell),
            )
        )
    return out


def check_narrative(con: duckdb.DuckDBPyConnection) -> list[DQRecord]:
    """Every figure `narrative_claims` reads from reports.narrative against the table cells it restates
    (docs/domain.md §3.4)."""
    reports = con.execute(
        """SELECT r.report_id, r.agency, r.report_year, r.template, r.narrative FROM reports r
           WHERE r.narrative IS NOT NULL AND r.report_id IN (SELECT report_id FROM _xc_bodies)
           ORDER BY r.report_id"""
    ).fetchall()
    if not reports:
        return []
    cells: dict[str, dict[str, tuple[Any, ...]]] = {}
    for rid, key, value, page, x0, top, x1, bottom in con.execute(
        """SELECT report_id, key, value, page, x0, top, x1, bottom FROM cells
           WHERE value IS NOT NULL AND (key LIKE 't3.%.total' OR key LIKE 't4.%.total')
             AND report_id IN (SELECT report_id FROM reports WHERE narrative IS NOT NULL)"""
    ).fetchall():
        cells.setdefault(rid, {})[key] = (value, page, x0, top, x1, bottom)
    out = []
    for rid, agency, year, version, text in reports:
        template = TEMPLATES.get(version or "") or template_for_year(year)
        have = cells.get(rid, {})
        for claim in narrative_claims(text):
            keys = [k for m in claim.all_measures for k in claim_keys(m, template)]
            if not keys or any(k not in have for k in keys):
                continue
            table = sum(have[k][0] for k in keys)
            ok = table == claim.value
            words = "及".join(PHRASES.get(m, "收到申请") for m in claim.all_measures)
            rel = "=" if ok else "≠"
            desc = f"{agency} {year}年 正文「{claim.text}」{words} {claim.value} 件 {rel} 表中 {_n(table)} 件"
            out.append(
                finding(
                    rid,
                    "narrative_vs_table",
                    ok,
                    claim.value,
                    table,
                    desc,
                    Key.parse(keys[0]).table,
                    "+".join(claim.all_measures),
                    "total",
                    tuple(_located(rid, k, have[k]) for k in keys) if not ok else (),
                )
            )
    return out


def _located(rid: str, key: str, row: tuple[Any, ...]) -> CellRef:
    _, page, x0, top, x1, bottom = row
    return CellRef(rid, key, page, (x0, top, x1, bottom) if x0 is not None else None)


CHECKS = (check_carry_over, check_copy_paste, check_duplicate_ingest, check_county_vs_units, check_narrative)


def compute_crosschecks(con: duckdb.DuckDBPyConnection) -> list[DQRecord]:
    """All cross-report checks over the current warehouse contents (read-only apart from a temp table)."""
    return [row for rows in _each_check(con) for row in rows]


def _each_check(con: duckdb.DuckDBPyConnection) -> Iterator[list[DQRecord]]:
    """Each check's rows in turn, over the bodies registered once for them all."""
    _register_bodies(con)
    try:
        for check in CHECKS:
            yield list(check(con))
    finally:
        con.execute("DROP TABLE IF EXISTS _xc_bodies")


def _run_id(run_id: str | None, now: datetime) -> str:
    return run_id or f"crosscheck-{now:%Y%m%dT%H%M%S}"


def run_crosschecks(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[DQRecord]:
    """Compute the cross-report checks and replace the previous cross-report rows of `dq_results`."""
    from gidar.warehouse.load import replace_cross_report_dq

    now = datetime.now(UTC)
    rid = _run_id(run_id, now)
    records = [r.stamped(rid, now) for r in compute_crosschecks(con)]
    # Only our rules: other cross-report producers (if any) keep their rows.
    replace_cross_report_dq(con, records, rules=list(RULES))
    return records


@dataclass(frozen=True)
class CrossCounts:
    checked: int
    failed: int


def store_crosschecks(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> CrossCounts:
    """`run_crosschecks` that holds one check's rows at a time (a run's single writer calls it over the whole
    warehouse: all the rows at once, ~20,000 at 2,000 reports, grew its process by ~30 MB); the same rows land,
    in the same one transaction, and only their counts come back."""
    from gidar.warehouse.load import replace_cross_report_dq_each

    now = datetime.now(UTC)
    rid = _run_id(run_id, now)
    checked = failed = 0

    def stamped() -> Iterator[list[DQRecord]]:
        nonlocal checked, failed
        for rows in _each_check(con):
            checked += len(rows)
            failed += sum(not r.passed for r in rows)
            yield [r.stamped(rid, now) for r in rows]

    replace_cross_report_dq_each(con, stamped(), rules=list(RULES))
    return CrossCounts(checked, failed)


def _n(v: float | None) -> str | None:
    if v is None:
        return None
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def failures(rows: Iterable[DQRecord]) -> list[DQRecord]:
    return [r for r in rows if not r.passed]
