"""GX validation of a planted batch: every rule fails where an error was planted, and only there."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from expectations_cases import PLANTED_AT, make_result, review_case, stored

from gidar.expectations import build_frames, failures, locate, suites, validate_reports
from gidar.expectations.validate import validate_tables
from gidar.invariants import check
from gidar.templates import TEMPLATES
from gidar.transform import build_tables


def _by_report(results):
    out = defaultdict(list)
    for r in results:
        out[r.report_id].append(r)
    return out


def test_identity_failures_agree_with_gidar_invariants(planted_run) -> None:
    by = _by_report(planted_run.results)
    checked = 0
    for case in planted_run.cases:
        t = TEMPLATES.get(case.result.template or "")
        if t is None:
            continue
        got = sorted(
            (r.invariant, r.table_name, r.row_key, r.col_key, r.lhs, r.rhs, tuple(c.key for c in r.cells))
            for r in by[case.report_id]
            if r.invariant and not r.passed
        )
        want = sorted((v.invariant, v.table, v.row, v.col, v.lhs, v.rhs, v.cells) for v in check(t, case.result.values))
        assert got == want, case.report_id
        checked += bool(want)
    assert checked >= 4  # the four planted identity cases really failed


def test_each_planted_case_fails_only_its_rule(planted_run) -> None:
    by = _by_report(planted_run.results)
    for case in planted_run.cases:
        got = {(r.rule, r.row_key, r.col_key) for r in by[case.report_id] if not r.passed and not r.invariant}
        assert got == case.expect, case.report_id


def test_every_rule_has_a_passing_and_a_failing_result(planted_run) -> None:
    seen = defaultdict(set)
    for r in planted_run.results:
        seen[(r.suite, r.rule)].add(r.passed)
    for name, rules in suites().items():
        for rule in rules:
            if rule.rule == "report_id_unique":
                continue  # needs a batch with duplicates: see test_duplicate_report_ids_fail
            assert seen[(name, rule.rule)] == {True, False}, (name, rule.rule)


def test_no_report_is_dropped(planted_run) -> None:
    by = _by_report(planted_run.results)
    assert set(by) == {c.report_id for c in planted_run.cases}
    assert {r.rule for r in by["unread"]} >= {"report_id_unique", "report_year_range", "region_code_valid"}
    clean = by["clean-2019"]
    assert all(r.passed for r in clean)
    assert {r.suite for r in clean} == {"report_meta", "cells", "t3_v2019", "t4", "t2_v2019"}


def test_severities_and_descriptions(planted_run) -> None:
    bad = failures(planted_run.results)
    assert {r.severity for r in bad if r.rule.startswith("t2")} == {"warning"}
    assert {r.severity for r in bad if r.invariant} == {"critical"}
    assert all(r.description for r in planted_run.results)
    assert failures(planted_run.results, "warning") and failures(planted_run.results, "critical")


def test_failure_maps_back_to_cells_and_pages(planted_run) -> None:
    row = next(
        r for r in planted_run.results if r.report_id == "t3-row-total" and r.rule == "t3_row_total" and not r.passed
    )
    assert (row.row_key, row.col_key, row.lhs - row.rhs, row.observed) == ("granted", "total", 1, "1")
    keys = [c.key for c in row.cells]
    loc = {x["key"]: x for x in locate(planted_run.frames, row.report_id, keys)}
    assert set(loc) == set(keys)
    assert (loc["t3.granted.total"]["page"], loc["t3.granted.total"]["bbox"]) == PLANTED_AT
    located = {c.key: c for c in row.cells}  # the record itself carries the evidence
    assert (located["t3.granted.total"].page, located["t3.granted.total"].bbox) == PLANTED_AT
    cell_fail = next(r for r in planted_run.results if r.rule == "count_non_negative" and not r.passed)
    assert [c.key for c in cell_fail.cells] == ["t4.review.upheld"] and cell_fail.observed == "t4.review.upheld=-2"


def test_duplicate_report_ids_fail() -> None:
    batch = [make_result(rid, None, {}, status="needs_ocr", year=2022) for rid in ("a", "a", "b")]
    results = validate_reports(build_frames(*stored(batch), region_lookup=None))
    unique = {(r.report_id, r.passed) for r in results if r.rule == "report_id_unique"}
    assert unique == {("a", False), ("b", True)}
    assert sum(1 for r in results if r.rule == "report_id_unique") == 3


def test_records_fit_the_dq_results_table(planted_run) -> None:
    schema = pytest.importorskip("gidar.schema")
    rows = [r.row() for r in planted_run.results]
    assert all(set(r) == set(schema.DQ_RESULTS.names) for r in rows)
    bad = next(r for r in rows if r["report_id"] == "t3-row-total" and r["rule"] == "t3_row_total" and not r["passed"])
    located = {c["key"]: c for c in json.loads(bad["cells"])}
    assert (located["t3.granted.total"]["page"], tuple(located["t3.granted.total"]["bbox"])) == PLANTED_AT


def test_meta_failures_report_the_offending_value(planted_run) -> None:
    got = {(r.report_id, r.rule): r.observed for r in failures(planted_run.results) if r.suite == "report_meta"}
    assert got[("region-invalid", "region_code_valid")] == "339999"
    assert got[("template-year-mismatch", "template_matches_year")] == "二 v2021; 三 v2021; 四 v2021"
    assert got[("mixed-formats", "template_matches_year")] == "二 v2019; 三 v2021; 四 v2021"  # names the mix
    assert got[("year-too-early", "report_year_range")] == "2018"


def test_identities_over_cells_in_review_are_not_blamed() -> None:
    case = review_case()
    t = build_tables(case.result)
    got = validate_tables(t["reports"], t["cells"])
    touching = [r for r in got if r.invariant and any(c.key == "t3.granted.total" for c in r.cells)]
    assert touching == [] and not [r for r in got if r.invariant and not r.passed]


DEFERRED_CHECK = """
import sys
from gidar.expectations.validate import DEFERRED_IMPORTS, warm
warm()  # GX imported, its context and every suite built
loaded = [m for m in sys.modules if m.startswith(("scipy.stats.", "altair."))]
assert not loaded, loaded  # GX never used them while building the suites
from scipy import stats  # the stand-in imports the real module on first use
import altair
assert abs(stats.entropy([0.5, 0.5]) - 0.6931471805599453) < 1e-12
assert altair.Chart.__module__.startswith("altair.")
assert sys.modules["scipy.stats"].entropy is stats.entropy
print("ok", len(DEFERRED_IMPORTS))
"""


@pytest.mark.slow
def test_gx_modules_the_suites_never_use_are_imported_only_when_used() -> None:
    """The checking process defers scipy.stats and altair (GX needs them only for expectations gidar does not
    use); a fresh process shows they stay unloaded through GX's import and the suites' build, and still work."""
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", DEFERRED_CHECK], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == "ok 2"
