"""The rule registry and the frames, without GX: generated from gidar/templates.py, pure."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from expectations_cases import PLANTED_AT, consistent_values, fake_region_lookup, make_result, planted_cases, stored

from gidar.expectations import build_frames, locate, suite_catalogue, suites
from gidar.expectations.frames import observe
from gidar.invariants import evaluate
from gidar.templates import INVARIANTS, TEMPLATES


def test_every_identity_is_one_instance_of_one_rule_per_template() -> None:
    for version, t in TEMPLATES.items():
        places = Counter(
            (r.rule, i.row, i.col, i.cells)
            for rules in suites().values()
            for r in rules
            if r.invariant and version in r.templates
            for i in r.instances
        )
        wanted = Counter((i.invariant, i.row, i.col, i.lhs + i.rhs) for i in t.identities())
        assert places == wanted, version


def test_suites_per_table_and_template_version() -> None:
    names = set(suites())
    assert {"report_meta", "cells", "t3_v2019", "t3_v2021", "t4", "t2_v2019", "t2_v2021"} <= names
    for name, rules in suites().items():
        assert len({r.rule for r in rules}) == len(rules), f"{name}: one expectation per rule family"


def test_catalogue_has_severity_and_description_for_every_expectation() -> None:
    cat = suite_catalogue()
    assert len(cat) == sum(len(r) for r in suites().values())
    for entry in cat:
        assert entry["severity"] in ("critical", "warning")
        assert entry["description"].strip()
        if entry["invariant"]:
            assert entry["severity"] == INVARIANTS[entry["invariant"]].severity
        if entry["rule"].startswith("t2"):
            assert entry["severity"] == "warning"


@pytest.mark.parametrize("version", sorted(TEMPLATES))
def test_check_frame_rows_are_the_evaluable_identities(version: str) -> None:
    t = TEMPLATES[version]
    values = consistent_values(t, seed=4)
    del values["t3.withheld_state_secret.research"]  # its identities cannot be evaluated
    values["t4.review.other"] += 2
    meta = make_result("x", version, values).metadata
    got = observe(t, values, meta.agency_type, meta.region_code)
    obs = {(r, row, col): (v, lhs, rhs) for r, row, col, v, lhs, rhs in got if lhs is not None}
    want = {(i.invariant, i.row, i.col): (lhs - rhs, lhs, rhs) for i, lhs, rhs in evaluate(t, values)}
    assert obs == want
    assert len(want) == len(t.identities()) - 2


def test_frames_keep_every_report_and_locate_cells() -> None:
    cases = planted_cases()
    frames = build_frames(*stored([c.result for c in cases]), region_lookup=fake_region_lookup)
    assert list(frames.reports["report_id"]) == [c.report_id for c in cases]
    assert "unread" not in set(frames.cells["report_id"])  # nothing printed, nothing to check
    loc = locate(frames, "t3-row-total", ["t3.granted.natural_person", "t3.granted.total"])
    assert [x["key"] for x in loc] == ["t3.granted.natural_person", "t3.granted.total"]
    assert (loc[1]["page"], loc[1]["bbox"]) == PLANTED_AT
    assert loc[0]["page"] is None and loc[0]["bbox"] is None


def test_region_rule_not_evaluated_without_a_lookup() -> None:
    case = planted_cases()[0]
    frames = build_frames(*stored([case.result]), region_lookup=None)
    assert frames.reports["region_valid"].isna().all()


def test_frames_from_the_parquet_lake_equal_frames_from_the_built_tables(tmp_path) -> None:
    """GX reads the lake: a report's tables written to Parquet and read back give the same frames."""
    from gidar.transform import build_tables
    from gidar.transform.lake import read_table, write_report

    cases = [c for c in planted_cases() if c.result.template in TEMPLATES]
    for c in cases:
        write_report(tmp_path, build_tables(c.result))
    ids = [c.report_id for c in cases]
    direct = build_frames(*stored([c.result for c in cases]), region_lookup=fake_region_lookup)
    lake = build_frames(
        read_table(tmp_path, "reports", ids), read_table(tmp_path, "cells", ids), region_lookup=fake_region_lookup
    )
    key = ["report_id", "key"]
    pd.testing.assert_frame_equal(
        direct.cells.sort_values(key).reset_index(drop=True), lake.cells.sort_values(key).reset_index(drop=True)
    )
    for name in direct.checks:
        by = ["report_id", "rule", "row", "col"]
        pd.testing.assert_frame_equal(
            direct.checks[name].sort_values(by).reset_index(drop=True),
            lake.checks[name].sort_values(by).reset_index(drop=True),
        )
