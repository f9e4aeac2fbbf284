"""Rollup views over the shared corpus equal the same sums computed from the truth JSON, in both scopes (the
county governments' own reports; every body of the county); county rows add up to prefecture and province
rows for every year; dimensions, facts and missing reports."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from gidar.regions import lookup
from gidar.templates import T4_BLOCKS, T4_COLUMNS
from gidar.transform.build import build_tables
from gidar.warehouse.derived import body_id
from gidar.warehouse.harmonise import t3_measures
from gidar.warehouse.store import open_reader, open_writer

pytestmark = pytest.mark.corpus

APP = ("received", "carried_over", "granted", "partially_granted", "withheld", "unavailable", "not_processed")
APP += ("other", "carried_forward", "processed")


def _truths(corpus_dir: Path) -> dict[str, dict]:
    with open(corpus_dir / "manifest.csv", encoding="utf-8") as f:
        sha = {row["id"]: row["sha256"] for row in csv.DictReader(f)}
    out = {}
    for path in sorted(corpus_dir.glob("*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        if d["document_kind"] == "disclosure_report":
            out[sha[d["id"]]] = d
    return out


@pytest.fixture(scope="module")
def corpus_wh(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    truths = _truths(corpus_dir)
    path = tmp_path_factory.mktemp("rollups") / "w.duckdb"
    results = [
        {
            "source": str(corpus_dir / d["file"]),
            "sha256": sha,
            "status": "ok",
            "message": "ground truth",
            "template": d["template"],
            "metadata": d["metadata"],
            "values": d["values"],
        }
        for sha, d in truths.items()
    ]
    with open_writer(path) as w:
        assert w.load_batch([(build_tables(r), None) for r in results]) == {}
    con = open_reader(path)
    yield con, truths
    con.close()


SCOPES = {"": "government", "_all_bodies": "all_bodies"}  # view infix -> scope


def _truth_measure_sums(truths: dict[str, dict], scope: str) -> dict[tuple[str, int], dict[str, float]]:
    """Per (county code, year), the measures summed from the truth values (the 总计 column): of the county
    governments' reports (scope government), or of every body's (all_bodies)."""
    measures = t3_measures()
    out: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for d in truths.values():
        md = d["metadata"]
        if scope == "government" and md["agency_type"] != "government":
            continue
        agg = out[(md["region_code"], md["report_year"])]
        agg["n_reports"] += 1
        for key, v in d["values"].items():
            parts = key.split(".")
            if parts[0] == "t3" and parts[2] == "total":
                m = measures[(d["template"], parts[1])]
                agg["processed" if m == "result_total" else m] += v
            elif parts[0] == "t4":
                agg[f"{parts[1]}_{parts[2]}"] += v
    return out


def _rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


@pytest.mark.parametrize("infix", SCOPES)
def test_county_rollups_equal_the_truth_sums(corpus_wh, infix: str) -> None:
    con, truths = corpus_wh
    expected = _truth_measure_sums(truths, SCOPES[infix])
    apps = {
        (r["region_code"], r["report_year"]): r for r in _rows(con, f"SELECT * FROM applications{infix}_by_county_year")
    }
    lit = {
        (r["region_code"], r["report_year"]): r
        for r in _rows(con, f"SELECT * FROM review_litigation{infix}_by_county_year")
    }
    assert set(apps) == set(expected) == set(lit)
    t4 = [f"{b.key}_{c.key}" for b in T4_BLOCKS for c in T4_COLUMNS]
    for k, e in expected.items():
        assert apps[k]["n_reports"] == e["n_reports"], k
        assert {m: apps[k][m] for m in APP} == pytest.approx({m: e[m] for m in APP}), k
        assert {m: lit[k][m] for m in t4} == pytest.approx({m: e[m] for m in t4}), k
        decided = sum(
            e[m] for m in ("granted", "partially_granted", "withheld", "unavailable", "not_processed", "other")
        )
        if decided:
            assert apps[k]["withheld_share"] == pytest.approx(e["withheld"] / decided)


def test_the_county_rollup_counts_the_government_report_once(corpus_wh) -> None:
    """A county whose government and other bodies both reported: the county row is the government's report alone
    (no double counting of what it covers); the all-bodies row adds the others."""
    con, truths = corpus_wh
    by_county: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for d in truths.values():
        by_county[(d["metadata"]["region_code"], d["metadata"]["report_year"])].append(d)
    gov_only = [k for k, ds in by_county.items() if {d["metadata"]["agency_type"] for d in ds} == {"government"}]
    others_only = [k for k, ds in by_county.items() if all(d["metadata"]["agency_type"] != "government" for d in ds)]
    assert gov_only and others_only  # the corpus has both kinds of county-year
    gov = {(r["region_code"], r["report_year"]): r for r in _rows(con, "SELECT * FROM applications_by_county_year")}
    every = {
        (r["region_code"], r["report_year"]): r
        for r in _rows(con, "SELECT * FROM applications_all_bodies_by_county_year")
    }
    for k in gov_only:
        assert gov[k]["n_reports"] == 1 and gov[k]["received"] == every[k]["received"], k
    for k in others_only:  # departments and townships alone never make a county total
        assert k not in gov and every[k]["n_reports"] == len(by_county[k]), k
    mixed = [k for k in by_county if k not in gov_only and k not in others_only]
    assert mixed  # e.g. 岱山县 2022: the government's report and 岱山县司法局's
    for k in mixed:
        (g,) = [d for d in by_county[k] if d["metadata"]["agency_type"] == "government"]
        assert gov[k]["n_reports"] == 1 and gov[k]["received"] == g["values"]["t3.new_received.total"], k
        total = sum(d["values"]["t3.new_received.total"] for d in by_county[k])
        assert every[k]["n_reports"] == len(by_county[k]) and every[k]["received"] == total, k


@pytest.mark.parametrize("infix", SCOPES)
def test_prefecture_and_province_rows_equal_truth_and_county_sums(corpus_wh, infix: str) -> None:
    con, truths = corpus_wh
    expected = _truth_measure_sums(truths, SCOPES[infix])
    by_pref: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_prov: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (code, year), e in expected.items():
        region = lookup(code, year)
        assert region is not None
        for m in (*APP, "n_reports"):
            by_pref[(region.prefecture_code, year)][m] += e[m]
            by_prov[(region.province_code + "0000", year)][m] += e[m]
    for view, want in (
        (f"applications{infix}_by_prefecture_year", by_pref),
        (f"applications{infix}_by_province_year", by_prov),
    ):
        got = {(r["region_code"], r["report_year"]): r for r in _rows(con, f"SELECT * FROM {view}")}
        assert set(got) == set(want), view
        for k, e in want.items():
            assert {m: got[k][m] for m in (*APP, "n_reports")} == pytest.approx(dict(e)), (view, k)
    _check_county_sums(con, infix)


def _check_county_sums(con, infix: str) -> None:
    """County rows sum to the prefecture and province rows for every year and every measure."""
    for kind, measures in (
        ("applications", APP),
        ("review_litigation", [f"{b.key}_{c.key}" for b in T4_BLOCKS for c in T4_COLUMNS]),
    ):
        for level, key in (("prefecture", "prefecture_code"), ("province", "province_code")):
            diff = con.execute(
                f"""SELECT count(*) FROM (
                      SELECT {key} AS region_code, report_year, {", ".join(f"sum({m}) AS {m}" for m in measures)},
                        sum(n_reports) AS n_reports
                      FROM {kind}{infix}_by_county_year GROUP BY ALL) AS c
                    FULL JOIN {kind}{infix}_by_{level}_year AS p USING (region_code, report_year)
                    WHERE {" OR ".join(f"c.{m} IS DISTINCT FROM p.{m}" for m in (*measures, "n_reports"))}"""
            ).fetchone()
            assert diff == (0,), (kind, level)
        years = con.execute(f"SELECT count(DISTINCT report_year) FROM {kind}{infix}_by_province_year").fetchone()[0]
        assert years >= 5, kind


def test_facts_lead_back_to_page_and_raw_text(corpus_wh) -> None:
    con, truths = corpus_wh
    n_t3 = sum(1 for d in truths.values() for k in d["values"] if k.startswith("t3."))
    n_t4 = sum(1 for d in truths.values() for k in d["values"] if k.startswith("t4."))
    assert con.execute("SELECT count(*) FROM fact_applications").fetchone()[0] == n_t3
    assert con.execute("SELECT count(*) FROM fact_review_litigation").fetchone()[0] == n_t4
    n_t2 = con.execute(
        "SELECT (SELECT count(*) FROM fact_proactive_v2019) + (SELECT count(*) FROM fact_proactive_v2021)"
    )
    assert n_t2.fetchone()[0] == sum(1 for d in truths.values() for k in d["values"] if k.startswith("t2."))
    # every fact row is one stored cell: same key, value, page and raw text
    orphans = con.execute(
        """SELECT count(*) FROM fact_applications f LEFT JOIN cells c USING (report_id, key)
           WHERE c.key IS NULL OR c.value IS DISTINCT FROM f.value OR c.raw IS DISTINCT FROM f.raw
              OR c.page IS DISTINCT FROM f.page"""
    ).fetchone()
    assert orphans == (0,)
    # v2019 and v2021 （六） rows share one harmonised row
    assert con.execute(
        "SELECT list(DISTINCT src_row ORDER BY src_row) FROM fact_applications WHERE row = 'other_handling'"
    ).fetchone()[0] == ["other_handling", "other_no_correction", "other_no_fee", "other_other"]


def test_dim_region_history_and_levels(corpus_wh) -> None:
    con, _ = corpus_wh
    rows = {
        (code, level): (name, parent, vf, vt)
        for code, name, level, parent, vf, vt in con.execute(
            "SELECT code, name, level, parent_code, valid_from, valid_to FROM dim_region"
        ).fetchall()
    }
    assert rows[("330103", "county")] == ("下城区", "330100", None, 2020)
    assert rows[("330104", "county")] == ("江干区", "330100", None, 2020)
    assert rows[("330113", "county")][2:] == (2021, None) and rows[("330114", "county")][2:] == (2021, None)
    assert rows[("330383", "county")] == ("龙港市", "330300", 2019, None)
    assert rows[("330100", "prefecture")][:2] == ("杭州市", "330000")
    assert rows[("330000", "province")][:2] == ("浙江省", None)
    assert rows[("320813", "county")] == ("洪泽区", "320800", None, None)  # other provinces: always valid
    n_zj = con.execute(
        "SELECT count(*) FROM dim_region WHERE level = 'county' AND province_code = '330000'"
        " AND (valid_from IS NULL OR valid_from <= 2020) AND (valid_to IS NULL OR valid_to >= 2020)"
    ).fetchone()
    assert n_zj == (90,)


def test_body_ids_fold_spelling_variants() -> None:
    same = [
        body_id("嵊泗县人民政府办公室", "330922", "浙江省", "舟山市", "嵊泗县"),
        body_id("嵊泗县人民政府办公厅", "330922", "浙江省", "舟山市", "嵊泗县"),
        body_id("嵊泗县政府办公室", "330922", "浙江省", "舟山市", "嵊泗县"),
        body_id("舟山市嵊泗县人民政府办公室", "330922", "浙江省", "舟山市", "嵊泗县"),
        body_id("嵊泗县 人民政府办公室", "330922", "浙江省", "舟山市", "嵊泗县"),
    ]
    assert set(same) == {"330922:人民政府办公室"}
    brackets = {body_id(a, "330922", None, None, "嵊泗县") for a in ("嵊泗县（海洋）局", "嵊泗县(海洋)局")}
    assert brackets == {"330922:(海洋)局"}
    assert body_id("嵊泗县财政局", "330922", region_name="嵊泗县") != body_id(
        "嵊泗县司法局", "330922", region_name="嵊泗县"
    )
    assert body_id("城关镇人民政府", None) == "?:城关镇人民政府"
    assert body_id(None, "330922") is None


def test_missing_reports(corpus_wh) -> None:
    con, truths = corpus_wh
    years = {d["metadata"]["report_year"] for d in truths.values()}
    govs = {
        (d["metadata"]["region_code"], d["metadata"]["report_year"])
        for d in truths.values()
        if d["metadata"]["agency_type"] == "government"
    }
    got = {
        (code, year)
        for code, year in con.execute(
            "SELECT region_code, report_year FROM missing_reports WHERE kind = 'county_government_without_report'"
        ).fetchall()
    }
    expected = {(u, y) for y in years for u in _zj_units(y) if (u, y) not in govs}
    assert got == expected
    # every body with a later gap is listed for the gap years
    seen: dict[str, set[int]] = defaultdict(set)
    for b, y in con.execute("SELECT body_id, report_year FROM report_bodies").fetchall():
        seen[b].add(y)
    want = {(b, y) for b, ys in seen.items() for y in years if y > min(ys) and y not in ys}
    got_b = set(
        con.execute("SELECT body_id, report_year FROM missing_reports WHERE kind = 'body_without_report'").fetchall()
    )
    assert got_b == want and want


def _zj_units(year: int) -> list[str]:
    from gidar.regions import units

    return [u.code for u in units("33", year)]


def test_rollup_views_say_what_counts_in_their_comments(corpus_wh) -> None:
    con, _ = corpus_wh
    views = dict(
        con.execute(
            "SELECT view_name, comment FROM duckdb_views() WHERE view_name LIKE '%\\_by\\_%' ESCAPE '\\'"
        ).fetchall()
    )
    rollups = [v for v in views if v.startswith(("applications_", "review_litigation_"))]
    assert len(rollups) == 12
    for v in rollups:
        assert "Only reports whose status is ok, or that have been corrected" in views[v], v
        # each says which bodies it sums, and the county government's view says why it counts that report alone
        assert ("every body" in views[v]) == ("_all_bodies_" in v), v
        if v == "applications_by_county_year":
            assert "government's own report only" in views[v] and "twice" in views[v]
        (n,) = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE table_name = ? AND column_name = 'n_reports'", [v]
        ).fetchone()
        assert "Only reports whose status is ok" in n
