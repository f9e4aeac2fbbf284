"""Drawn values satisfy every identity; planted errors break exactly what they claim."""

from __future__ import annotations

import random

import pytest

from gidar.invariants import check
from gidar.templates import SOFT_RULE_KEYS, T3_APPLICANT_COLUMNS, T4_COLUMNS, TEMPLATES, Template
from gidar_dev.synth.values import (
    ERROR_KINDS,
    draw_values,
    plant_error,
    set_carried_over,
    set_t3_inputs,
    violations_of,
)

TEMPLATE_LIST = list(TEMPLATES.values())


@pytest.mark.parametrize("template", TEMPLATE_LIST, ids=lambda t: t.version)
def test_drawn_values_cover_every_cell_and_hold_every_identity(template: Template) -> None:
    for seed in range(200):
        rng = random.Random(seed)
        v = draw_values(template, rng, large=seed % 7 == 0)
        assert list(v) == template.value_keys()
        assert check(template, v) == [], seed
        for key, vtype in template.cells():
            if vtype == "money":
                assert isinstance(v[key], float) and v[key] >= 0
            else:
                assert isinstance(v[key], int)
                assert vtype == "signed" or v[key] >= 0, (seed, key)


def test_values_are_varied_not_constant() -> None:
    t = TEMPLATES["v2021"]
    draws = [draw_values(t, random.Random(s)) for s in range(50)]
    totals = {d["t3.new_received.total"] for d in draws}
    assert len(totals) > 10
    assert any(d["t3.carried_forward.total"] for d in draws)
    assert any(d["t4.review.total"] for d in draws)
    large = draw_values(t, random.Random(1), large=True)
    assert large["t3.new_received.total"] >= 300


def _changed(a: dict, b: dict) -> set[str]:
    return {k for k in a if a[k] != b[k]}


@pytest.mark.parametrize("kind", sorted(ERROR_KINDS))
@pytest.mark.parametrize("template", TEMPLATE_LIST, ids=lambda t: t.version)
def test_planted_error_gives_exactly_the_checked_violations(kind: str, template: Template) -> None:
    for seed in range(60):
        rng = random.Random(seed)
        clean = draw_values(template, rng)
        printed, injected, expected = plant_error(clean, template, kind, rng)
        assert injected["kind"] == kind
        assert injected["correct_value"] == clean[injected["cell"]]
        assert injected["reported_value"] == printed[injected["cell"]] != clean[injected["cell"]]
        assert _changed(clean, printed) == {injected["cell"], *injected.get("also_changed", {})}
        # the expected violations are what the shared checker finds, and the target invariant is among them
        found = check(template, printed)
        assert [(v.invariant, v.row, v.col, v.lhs, v.rhs) for v in found] == [
            (e["invariant"], e["row"], e["col"], e["lhs"], e["rhs"]) for e in expected
        ]
        assert ERROR_KINDS[kind] in {e["invariant"] for e in expected}
        # every violation involves a changed cell
        for v in found:
            assert set(v.cells) & _changed(clean, printed), (seed, v)


def test_t4_error_is_a_single_violation_with_the_printed_sides() -> None:
    t = TEMPLATES["v2019"]
    rng = random.Random(3)
    clean = draw_values(t, rng)
    printed, injected, expected = plant_error(clean, t, "t4_block_total_wrong", rng)
    block = injected["cell"].split(".")[1]
    parts = sum(printed[f"t4.{block}.{c.key}"] for c in T4_COLUMNS if c.key != "total")
    assert expected == violations_of(t, printed)
    assert [(e["row"], e["lhs"], e["rhs"]) for e in expected] == [(block, injected["reported_value"], parts)]


def test_invariant_names_are_accepted_as_kinds_and_unknown_kinds_rejected() -> None:
    t = TEMPLATES["v2021"]
    v = draw_values(t, random.Random(0))
    _, injected, _ = plant_error(v, t, "t3_balance", random.Random(0))
    assert injected["kind"] == "t3_carry_forward_missing"
    with pytest.raises(ValueError):
        plant_error(v, t, "no_such_kind", random.Random(0))


@pytest.mark.parametrize("template", TEMPLATE_LIST, ids=lambda t: t.version)
def test_set_carried_over_keeps_identities(template: Template) -> None:
    for seed in range(100):
        rng = random.Random(seed)
        v = draw_values(template, rng)
        carried = {c: rng.choice([0, 1, 5, 40]) for c in T3_APPLICANT_COLUMNS}
        out = set_carried_over(template, v, carried)
        assert check(template, out) == [], seed
        assert {c: out[f"t3.carried_over.{c}"] for c in T3_APPLICANT_COLUMNS} == carried
        assert all(out[k] >= 0 for k, vt in template.cells("t3"))


@pytest.mark.parametrize("template", TEMPLATE_LIST, ids=lambda t: t.version)
def test_set_t3_inputs_sets_what_it_is_given_and_keeps_identities(template: Template) -> None:
    for seed in range(100):
        rng = random.Random(seed)
        v = draw_values(template, rng)
        new = {c: rng.choice([0, 2, 30]) for c in T3_APPLICANT_COLUMNS[:3]}
        over = {c: rng.choice([0, 1, 5]) for c in T3_APPLICANT_COLUMNS}
        out = set_t3_inputs(template, v, new_received=new, carried_over=over, carried_forward=over)
        assert check(template, out) == [], seed
        assert all(out[f"t3.new_received.{c}"] == n for c, n in new.items())
        assert all(out[f"t3.carried_over.{c}"] == n == out[f"t3.carried_forward.{c}"] for c, n in over.items())
        untouched = T3_APPLICANT_COLUMNS[3:]
        assert all(out[f"t3.new_received.{c}"] == v[f"t3.new_received.{c}"] for c in untouched)
        assert all(out[k] >= 0 for k, _ in template.cells("t3"))
    with pytest.raises(ValueError):  # 四 cannot exceed 一 + 二
        set_t3_inputs(
            template,
            v,
            new_received={"natural_person": 0},
            carried_over={"natural_person": 0},
            carried_forward={"natural_person": 1},
        )


def test_drawn_values_keep_the_soft_table_2_rules() -> None:
    """Clean reports raise no warning either: no 规章 below prefecture (T2-A), 新公开 ≤ 总数 (T2-D)."""
    new, total = SOFT_RULE_KEYS["t2d_new_published_le_total"]
    block, row = SOFT_RULE_KEYS["t2a_regulations_below_prefecture"]
    for template in TEMPLATE_LIST:
        for seed in range(200):
            v = draw_values(template, random.Random(seed))
            assert all(x == 0 for k, x in v.items() if k.startswith(f"t2.{block}.{row}.")), seed
            for k in [k for k in v if k.endswith("." + total)]:
                assert v[k[: -len(total)] + new] <= v[k], (template.version, seed, k)
