"""`dq_summary` / `format_dq` against counts computed independently in Python from what was inserted."""

from __future__ import annotations

from collections import Counter

import pytest

from gidar.contract import Metadata
from gidar.dq import DQRecord
from gidar.flows.tables import format_dq
from gidar.warehouse import load_dq_batch
from gidar.warehouse.crosschecks import RULES, failures, run_crosschecks
from gidar.warehouse.db import connect
from gidar.warehouse.dq_summary import dq_summary, summary_json
from gidar_dev.crosschecks_fixtures import load_scenario, multi_year_scenario
from gidar_dev.loading import load_results
from gidar_dev.sample import result_from_values


@pytest.fixture(scope="module")
def db(new_warehouse):
    con = connect(new_warehouse())
    s = multi_year_scenario(11)
    load_scenario(con, s.reports)
    # a per-report critical rule: fails for every 2020 report of 海宁市, passes elsewhere
    bad = {r.report_id for r in s.reports if r.report_year == 2020 and r.body.region_code == "330481"}
    load_dq_batch(
        con,
        [DQRecord("t3_balance", "critical", r.report_id not in bad, r.report_id, suite="gx") for r in s.reports],
    )
    # an unread report: no DQ rows at all
    meta = Metadata(
        agency="洞头区某局", region_code="330305", region_name="洞头区", prefecture="温州市", report_year=2024
    )
    load_results(con, [result_from_values({}, None, report_id="unread-1", metadata=meta, status="needs_ocr")])
    xrows = run_crosschecks(con)
    yield con, s, bad, xrows
    con.close()


def test_totals_and_pass_rates_per_county(db) -> None:
    con, s, bad, _ = db
    summ = dq_summary(con)
    assert summ.reports == len(s.reports) + 1
    assert summ.checked == len(s.reports)
    assert summ.passing == len(s.reports) - len(bad)
    per_county = Counter(r.body.region_code for r in s.reports)
    bad_county = Counter(r.body.region_code for r in s.reports if r.report_id in bad)
    per_county["330305"] += 1  # the unread report
    got = {g.key: g for g in summ.by_county}
    assert set(got) == set(per_county)
    for code, n in per_county.items():
        g = got[code]
        assert g.reports == n
        assert g.passing == n - bad_county[code] - (code == "330305")
        assert g.critical == bad_county[code]


def test_by_rule_counts(db) -> None:
    con, s, bad, xrows = db
    by_rule = {(r.rule, r.severity): r for r in dq_summary(con).by_rule}
    t3 = by_rule[("t3_balance", "critical")]
    assert (t3.checked, t3.failed, t3.reports_failed) == (len(s.reports), len(bad), len(bad))
    for rule in RULES:
        mine = [r for r in xrows if r.rule == rule]
        stat = by_rule[(rule, "warning")]
        assert (stat.checked, stat.failed) == (len(mine), len(failures(mine)))
    assert next(iter(by_rule)) == ("t3_balance", "critical")  # critical rules first


def test_failing_reports_and_warnings_per_year(db) -> None:
    con, s, bad, xrows = db
    summ = dq_summary(con)
    failing = {f.report_id: f for f in summ.failing_reports}
    assert bad <= set(failing)
    assert {p.report_id for p in s.planted if p.rule != "duplicate_ingest"} <= set(failing)
    for rid in bad:
        assert ("t3_balance", "critical", 1) in failing[rid].rules
    year = {r.report_id: r.report_year for r in s.reports}
    # a cross-report failure counts once per year it touches
    expected_warn = Counter()
    for r in failures(xrows):
        for y in {year[c.report_id] for c in r.cells} | {year[r.subject]}:
            expected_warn[y] += 1
    assert {int(g.key): g.warnings for g in summ.by_year} == {y: expected_warn[y] for y in range(2019, 2026)}


def test_format_and_json(db) -> None:
    con, *_ = db
    summ = dq_summary(con)
    text = format_dq(summ)
    for rule in (*RULES, "t3_balance"):
        assert rule in text
    assert "330922 嵊泗县" in text and "Failing reports" in text
    assert '"by_county"' in summary_json(summ)


def test_empty_warehouse(new_warehouse) -> None:
    con = connect(new_warehouse())
    summ = dq_summary(con)
    assert (summ.reports, summ.by_rule, summ.failing_reports) == (0, [], [])
    assert "no DQ results" in format_dq(summ)
