"""Warehouse views on hand-made data whose answers are known."""

from __future__ import annotations

import pytest

from gidar.contract import ExtractionResult, Metadata
from gidar.dq import CellRef, DQRecord
from gidar.schema import T3_NORMALISED
from gidar.templates import T3_COLUMNS
from gidar.transform.build import build_tables
from gidar.warehouse import connect, load_dq_batch, load_report, replace_cross_report_dq
from gidar_dev.sample import sample_result


def _dq(rule, passed, severity="critical", report_id=None, cells=()):
    refs = tuple(c if isinstance(c, CellRef) else CellRef(report_id, c) for c in cells)
    return DQRecord(rule, severity, passed, report_id=report_id, suite="s", cells=refs)


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("views") / "v.duckdb")
    a = sample_result(2020, "330922", seed=1)
    b = sample_result(2020, "330922", seed=2)
    c = sample_result(2024, "330781", seed=3)
    d = ExtractionResult(
        source="d.pdf",
        sha256="d" * 64,
        status="not_pdf",
        message="html",
        metadata=Metadata(region_code="330781", report_year=2024),
    )
    for r in (a, b, c, d):
        load_report(con, build_tables(r))
    load_dq_batch(con, [_dq("t3_row_total", True, report_id=a.sha256), _dq("t2_soft", False, "warning", a.sha256)])
    load_dq_batch(con, [_dq("t3_row_total", False, "critical", b.sha256, ["t3.granted.total", "t4.review.total"])])
    load_dq_batch(con, [_dq("t3_row_total", True, report_id=c.sha256), _dq("t4_block_total", True, report_id=c.sha256)])
    cross = [CellRef(a.sha256, "t3.carried_forward.total", 5), CellRef(c.sha256, "t3.carried_over.total", 2)]
    replace_cross_report_dq(con, [_dq("carry_over", False, "warning", cells=cross)])
    yield con, {"a": a.sha256, "b": b.sha256, "c": c.sha256, "d": d.sha256}
    con.close()


def _rows(con, sql):
    cur = con.execute(sql)
    cols = [x[0] for x in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def test_summary_by_county(wh):
    con, _ = wh
    got = {
        (r["region_code"], r["report_year"]): r
        for r in _rows(con, "SELECT * FROM dq_summary_by_county ORDER BY region_code, report_year")
    }
    ss, lx = got[("330922", 2020)], got[("330781", 2024)]
    assert (ss["reports"], ss["reports_checked"], ss["reports_passing_critical"], ss["pass_rate"]) == (2, 2, 1, 0.5)
    assert (ss["n_failed_checks"], ss["n_critical_failed"], ss["n_cross_failed"]) == (2, 1, 1)
    # the unreadable report has no DQ rows, so it counts as not passing
    assert (lx["reports"], lx["reports_checked"], lx["reports_passing_critical"], lx["pass_rate"]) == (2, 1, 1, 0.5)
    assert lx["n_cross_failed"] == 1


def test_summary_by_year_and_rule(wh):
    con, _ = wh
    by_year = {r["report_year"]: r for r in _rows(con, "SELECT * FROM dq_summary_by_year")}
    assert by_year[2020]["reports_passing_critical"] == 1 and by_year[2024]["reports"] == 2
    by_rule = {r["rule"]: r for r in _rows(con, "SELECT * FROM dq_summary_by_rule")}
    row_total = by_rule["t3_row_total"]
    assert (row_total["n_checks"], row_total["n_failed"], row_total["n_reports_failed"]) == (3, 1, 1)
    assert row_total["pass_rate"] == pytest.approx(2 / 3)
    assert by_rule["carry_over"]["n_reports"] == 0 and by_rule["carry_over"]["n_failed"] == 1


def test_failures_carry_metadata_and_pages(wh):
    con, ids = wh
    fails = {r["rule"]: r for r in _rows(con, "SELECT * FROM dq_failures")}
    assert set(fails) == {"t2_soft", "t3_row_total", "carry_over"}
    b = fails["t3_row_total"]
    assert (b["report_id"], b["region_code"], b["report_year"], b["template"]) == (ids["b"], "330922", 2020, "v2019")
    # no page in the DQ row's cells: taken from the stored cells (sample pages: t3 → 3, t4 → 4)
    assert b["pages"] == [3, 4] and b["report_ids"] == [ids["b"]]
    cross = fails["carry_over"]
    assert cross["report_id"] is None and cross["pages"] == [2, 5]
    assert cross["report_ids"] == sorted([ids["a"], ids["c"]])
    assert fails["t2_soft"]["pages"] is None
    # dq_cells lists every involved cell, passed or failed
    n = con.execute("SELECT count(*), count(DISTINCT dq_rowid) FROM dq_cells").fetchall()
    assert n == [(4, 2)]


def test_report_status_summary(wh):
    con, _ = wh
    got = con.execute(
        "SELECT report_year, template, status, n_reports FROM report_status_summary ORDER BY ALL"
    ).fetchall()
    assert got == [(2020, "v2019", "ok", 2), (2024, "v2021", "ok", 1), (2024, None, "not_pdf", 1)]  # NULLS LAST


def test_t3_normalised_view_folds_the_v2021_subrows(wh):
    """The view (from fact_applications, built from `cells`) against the wide t3 table (built by transform)."""
    con, _ = wh
    cur = con.execute("SELECT * FROM t3_normalised ORDER BY report_id, row_order")
    assert [x[0] for x in cur.description] == T3_NORMALISED.names
    view = {(r["report_id"], r["row"]): r for r in _rows(con, "SELECT * FROM t3_normalised")}
    wide = _rows(con, "SELECT * FROM t3")
    expected: dict[tuple[str, str], dict] = {}
    for r in wide:
        row = "other_handling" if r["row"].startswith("other_") else r["row"]
        e = expected.setdefault((r["report_id"], row), {c.key: 0.0 for c in T3_COLUMNS} | {"n": 0})
        e["n"] += 1
        for c in T3_COLUMNS:
            e[c.key] += r[c.key]
    assert set(view) == set(expected)
    for k, e in expected.items():
        assert {c.key: view[k][c.key] for c in T3_COLUMNS} == {c.key: e[c.key] for c in T3_COLUMNS}, k
        assert view[k]["n_source_rows"] == e["n"]
    assert {r["template"] for r in view.values()} == {"v2019", "v2021"}
    assert {view[k]["n_source_rows"] for k in view if k[1] == "other_handling"} == {1, 3}
