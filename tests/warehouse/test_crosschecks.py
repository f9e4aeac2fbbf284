"""Cross-report checks on multi-year fixtures: every planted problem found, nothing else.

The fixture builder records what it planted by construction; expected findings are derived from that
record, never from running the checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import pytest

from gidar.dq import DQRecord
from gidar.invariants import check
from gidar.templates import T3_COLUMNS
from gidar.warehouse.crosschecks import (
    RULES,
    body_name,
    compute_crosschecks,
    failures,
    run_crosschecks,
    store_crosschecks,
)
from gidar.warehouse.db import connect
from gidar_dev.crosschecks_fixtures import Scenario, load_scenario, multi_year_scenario

SEEDS = (4, 11, 2026)


def _expected(s: Scenario) -> set[tuple[str, str, str | None]]:
    """(rule, report_id, column) of every failing row the plants must cause."""
    out: set[tuple[str, str, str | None]] = set()
    for p in s.planted:
        if p.rule == "carry_over":
            out |= {(p.rule, p.report_id, c) for c in p.cols}
        elif p.rule == "duplicate_ingest":  # the copy that sorts later is the one flagged
            out.add((p.rule, max(p.report_id, p.other_report_id or ""), None))
        elif p.rule in ("county_vs_units", "narrative_vs_table"):  # both compare 总计 column figures
            out.add((p.rule, p.report_id, "total"))
        else:
            out.add((p.rule, p.report_id, None))
    return out


def _found(rows: list[DQRecord]) -> set[tuple[str, str, str | None]]:
    return {(r.rule, r.subject, r.col_key) for r in failures(rows)}


@pytest.fixture(scope="module", params=SEEDS)
def checked(
    request: pytest.FixtureRequest, new_warehouse
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Scenario, list[DQRecord]]]:
    con = connect(new_warehouse())
    s = multi_year_scenario(request.param)
    load_scenario(con, s.reports)
    rows = run_crosschecks(con, run_id="test")
    yield con, s, rows
    con.close()


def test_fixture_reports_satisfy_every_in_report_invariant(checked) -> None:
    _, s, _ = checked
    assert s.reports
    for r in s.reports:
        assert check(r.template, r.values) == [], (r.agency_printed, r.report_year)
    assert {r.report_year for r in s.reports} == set(range(2019, 2026))


def test_every_planted_problem_found_and_nothing_else(checked) -> None:
    _, s, rows = checked
    assert {p.rule for p in s.planted} == set(RULES)
    assert _found(rows) == _expected(s)


def test_planted_rows_name_both_reports_and_cells(checked) -> None:
    _, s, rows = checked
    failed = failures(rows)
    for p in s.planted:
        subject = max(p.report_id, p.other_report_id or "") if p.rule == "duplicate_ingest" else p.report_id
        mine = [r for r in failed if r.rule == p.rule and r.subject == subject]
        assert mine, p
        ids = {c.report_id for r in mine for c in r.cells}
        if p.other_report_id:
            assert {p.report_id, p.other_report_id} <= ids
        if p.rule in ("carry_over", "narrative_vs_table", "county_vs_units"):
            assert all(c.page and c.bbox for r in mine for c in r.cells if c.key)


def test_every_rule_checks_more_than_it_flags(checked) -> None:
    _, _, rows = checked
    for rule in RULES:
        mine = [r for r in rows if r.rule == rule]
        assert any(r.passed for r in mine), f"{rule}: no passing row — the negatives were never evaluated"


def test_carry_over_is_checked_across_the_template_change_and_name_variants(checked) -> None:
    _, s, rows = checked
    ids = {r.report_id: r for r in s.reports}
    # 嵊泗县交通运输局 prints prefixed names in 2020/2021; its chain must still be checked (and pass)
    transport = [r for r in rows if r.rule == "carry_over" and ids[r.subject].body.agency == "嵊泗县交通运输局"]
    assert {ids[r.subject].report_year for r in transport} == set(range(2020, 2026))
    assert all(r.passed for r in transport)
    assert len(transport) == 6 * len(T3_COLUMNS)
    # no carry-over across a missing year (嵊泗县财政局 has no 2023 report)
    finance = {
        ids[r.subject].report_year
        for r in rows
        if r.rule == "carry_over" and ids[r.subject].body.agency == "嵊泗县财政局"
    }
    assert finance == {2022, 2025}


def test_all_zero_bodies_are_not_copy_paste_candidates(checked) -> None:
    _, s, rows = checked
    zero = {r.report_id for r in s.reports if r.body.agency == "海宁市许村镇人民政府"}
    assert zero and not [r for r in rows if r.rule == "copy_paste" and r.subject in zero]


def test_dq_results_rows(checked) -> None:
    con, s, rows = checked
    stored = con.execute(
        "SELECT rule, severity, passed, report_id, cells, suite FROM dq_results WHERE suite = 'crosscheck'"
    ).fetchall()
    assert len(stored) == len(rows)
    assert {sev for _, sev, *_ in stored} == {"warning"}  # cross-report rules never add critical rows
    for rule, _, _, report_id, cells, _ in stored:
        assert report_id is None and rule in RULES
        assert json.loads(cells)[0]["report_id"] in {r.report_id for r in s.reports}
    # the warehouse's own attribution view sees the failing reports
    attributed = {
        rid
        for (rid,) in con.execute(
            "SELECT DISTINCT x.report_id FROM dq_cells x JOIN dq_results d ON d.rowid = x.dq_rowid WHERE NOT d.passed"
        ).fetchall()
    }
    assert {p.report_id for p in s.planted if p.rule != "duplicate_ingest"} <= attributed


def test_rerun_replaces_rows(checked) -> None:
    con, _, rows = checked
    run_crosschecks(con, run_id="again")
    (n,) = con.execute("SELECT count(*) FROM dq_results WHERE suite = 'crosscheck'").fetchone()
    assert n == len(rows)


def test_streamed_store_lands_the_same_rows(checked) -> None:
    """The run's writer stores one check's rows at a time: the same rows as `run_crosschecks`, its counts."""
    con, _, rows = checked
    sql = """SELECT * EXCLUDE (run_id, checked_at) FROM dq_results WHERE suite = 'crosscheck'
             ORDER BY ALL"""
    before = con.execute(sql).fetchall()
    counts = store_crosschecks(con, run_id="streamed")
    assert con.execute(sql).fetchall() == before
    assert (counts.checked, counts.failed) == (len(rows), len(failures(rows))) and counts.failed > 0
    assert con.execute("SELECT DISTINCT run_id FROM dq_results WHERE suite = 'crosscheck'").fetchall() == [
        ("streamed",)
    ]
    run_crosschecks(con, run_id="test")  # as the module's other tests expect it


def test_other_dq_rows_are_kept(new_warehouse) -> None:
    con = connect(new_warehouse())
    s = multi_year_scenario(4)
    load_scenario(con, s.reports[:3])
    con.execute(
        "INSERT INTO dq_results (report_id, rule, severity, passed) VALUES (?, 't3_balance', 'critical', false)",
        [s.reports[0].report_id],
    )
    run_crosschecks(con)
    run_crosschecks(con)
    assert con.execute("SELECT count(*) FROM dq_results WHERE rule = 't3_balance'").fetchone() == (1,)


def test_removing_a_plant_removes_its_finding(new_warehouse) -> None:
    """Negative control: the same scenario minus the planted duplicate copy has no duplicate finding."""
    s = multi_year_scenario(4)
    dup = next(p for p in s.planted if p.rule == "duplicate_ingest")
    con = connect(new_warehouse())
    load_scenario(con, [r for r in s.reports if r.report_id != dup.report_id])
    rows = compute_crosschecks(con)
    assert not [r for r in failures(rows) if r.rule == "duplicate_ingest"]
    assert [r for r in rows if r.rule == "duplicate_ingest"]


@pytest.mark.parametrize(
    ("agency", "prefixes", "expected"),
    [
        ("舟山市嵊泗县交通运输局", ("浙江省", "舟山市", "嵊泗县"), "交通运输局"),
        ("嵊泗县舟山市交通运输局", ("浙江省", "舟山市", "嵊泗县"), "交通运输局"),
        ("温州市 洞头区人民政府", ("浙江省", "温州市", "洞头区"), "人民政府"),
        ("嵊泗县", ("嵊泗县",), "嵊泗县"),  # never strip to nothing
        ("海宁市商务局", (None, "", "海宁市"), "商务局"),
    ],
)
def test_body_name(agency: str, prefixes: tuple[str | None, ...], expected: str) -> None:
    assert body_name(agency, *prefixes) == expected
