"""Draw consistent report values from the registry, and plant publisher errors.

Everything is derived from `gidar.templates`: the cells to fill (`Template.cells`), the row kinds
of table 三 and the identities of `gidar.invariants`. Drawn values satisfy every identity; a
planted error changes the printed values and reports the violations `gidar.invariants.check` finds.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from gidar.invariants import check
from gidar.templates import SOFT_RULE_KEYS, T3_APPLICANT_COLUMNS, T4_COLUMNS, Template

Number = int | float
Values = dict[str, Number]

# Error kinds (named as in the shared corpus) and the invariant each one breaks first.
ERROR_KINDS: dict[str, str] = {
    "t3_row_total_off_by_one": "t3_row_total",
    "t3_result_total_wrong": "t3_result_total",
    "t3_carry_forward_missing": "t3_balance",
    "t4_block_total_wrong": "t4_block_total",
}
_BY_INVARIANT = {inv: kind for kind, inv in ERROR_KINDS.items()}

# Relative frequency of each applicant type, and of the result rows (by key prefix).
_APPLICANT_SHARE = {"natural_person": 1.0, "commercial": 0.25, "research": 0.03, "social_welfare": 0.03}
_RESULT_WEIGHT = {"granted": 8.0, "partially_granted": 2.0, "unavailable_not_held": 3.0, "not_processed_": 0.6}


def _result_weight(key: str) -> float:
    for prefix, w in _RESULT_WEIGHT.items():
        if key.startswith(prefix):
            return w
    return 0.4


def _applications(rng: random.Random, large: bool) -> int:
    if large:
        return rng.randint(300, 4000)
    return rng.choice([0, 0, rng.randint(1, 9), rng.randint(1, 30), rng.randint(5, 120)])


def _spread(rng: random.Random, n: int, weights: list[float]) -> list[int]:
    """Split n into len(weights) non-negative parts, multinomially."""
    if n <= 0:
        return [0] * len(weights)
    tot = sum(weights)
    # Proportional floor keeps large counts fast; the remainder is drawn multinomially.
    out = [int(n * w / tot) for w in weights] if n > 200 else [0] * len(weights)
    for i in rng.choices(range(len(weights)), weights=weights, k=n - sum(out)):
        out[i] += 1
    return out


def _draw_t3(template: Template, rng: random.Random, large: bool) -> Values:
    v: Values = {}
    leaves = [r.key for r in template.t3_rows if r.kind == "leaf"]
    weights = [_result_weight(k) * rng.uniform(0.2, 1.8) for k in leaves]
    base = _applications(rng, large)
    for col in T3_APPLICANT_COLUMNS:
        share = _APPLICANT_SHARE.get(col, 0.05)
        if col == "natural_person":
            new = base
        elif rng.random() < share * 1.5:
            new = max(0, round(base * share * rng.uniform(0.0, 1.2))) or rng.randint(0, 3)
        else:
            new = 0
        prev = rng.choice([0, 0, 0, rng.randint(0, max(1, new // 8 + 1))]) if new or rng.random() < 0.1 else 0
        pending = rng.choice([0, 0, rng.randint(0, max(0, (new + prev) // 10))]) if new + prev else 0
        parts = _spread(rng, new + prev - pending, weights)
        v[f"t3.new_received.{col}"] = new
        v[f"t3.carried_over.{col}"] = prev
        for k, n in zip(leaves, parts, strict=True):
            v[f"t3.{k}.{col}"] = n
        v[f"t3.result_total.{col}"] = sum(parts)
        v[f"t3.carried_forward.{col}"] = pending
    for r in template.t3_rows:
        v[f"t3.{r.key}.total"] = sum(v[f"t3.{r.key}.{c}"] for c in T3_APPLICANT_COLUMNS)
    return v


def _draw_t4(template: Template, rng: random.Random, large: bool) -> Values:
    v: Values = {}
    parts = [c.key for c in T4_COLUMNS if c.key != "total"]
    for b in template.t4_blocks:
        busy = large or rng.random() < 0.35
        nums = [rng.choice([0, 0, rng.randint(0, 6 if not large else 80)]) if busy else 0 for _ in parts]
        for c, n in zip(parts, nums, strict=True):
            v[f"t4.{b.key}.{c}"] = n
        v[f"t4.{b.key}.total"] = sum(nums)
    return v


def _money(rng: random.Random, unit_wan: bool) -> float:
    if rng.random() < 0.35:
        return 0.0
    if unit_wan:  # 万元, often with decimals (real reports print up to six: 190.457379)
        return round(rng.choice([rng.uniform(0.01, 9.99), rng.uniform(1, 500)]), rng.choice([0, 1, 2, 2, 4, 6]))
    cents = rng.choice([0, 2])
    return round(rng.uniform(1e4, 9e7), cents) if cents else float(rng.randint(1, 900) * 1000)


def _draw_t2(template: Template, rng: random.Random) -> Values:
    v: Values = {}
    for key, vtype in template.cells("t2"):
        row, col = key.split(".")[2:]
        if vtype == "money":
            v[key] = _money(rng, unit_wan=template.version == "v2021")
        elif vtype == "signed":
            prev = v[key.rsplit(".", 1)[0] + ".prev_count"]
            v[key] = rng.randint(-min(int(prev), 200), 900) if rng.random() < 0.7 else 0
        elif row == "regulations":  # county-level bodies make no 规章 (docs/domain.md §3.2 T2-A)
            v[key] = 0
        elif col in ("prev_count", "decisions", "in_force", "total_published"):
            v[key] = rng.choice([0, rng.randint(1, 60), rng.randint(50, 20000)])
        else:
            v[key] = rng.choice([0, 0, rng.randint(1, 15)])
    new, total = SOFT_RULE_KEYS["t2d_new_published_le_total"]  # 对外公开总数量 counts 本年新公开 (T2-D)
    for key in [k for k in v if k.endswith("." + total)]:
        v[key] = max(v[key], v[key[: -len(total)] + new])
    return v


def draw_values(
    template: Template, rng: random.Random, *, large: bool = False, t2_template: Template | None = None
) -> Values:
    """One consistent set of printed values for every cell of the template (counts int, money float).

    ``t2_template``: the layout table 二 is printed in, when it is not the report's (a 2021+
    report printing table 二 in the 2019 layout); its money is in that layout's unit."""
    t2 = t2_template or template
    v = {**_draw_t2(t2, rng), **_draw_t3(template, rng, large), **_draw_t4(template, rng, large)}
    return {k: v[k] for k in [*t2.value_keys("t2"), *template.value_keys("t3"), *template.value_keys("t4")]}


def in_other_unit(value: float, unit_wan: bool) -> float:
    """A money value printed in the other unit: 万元 → 元 (× 10000) or 元 → 万元 (÷ 10000)."""
    return round(value * 10000, 2) if unit_wan else round(value / 10000, 6)


def violations_of(template: Template, values: Mapping[str, Number]) -> list[dict[str, Any]]:
    """The violations exactly as `gidar.invariants.check` reports them, in the truth-JSON form."""
    out = []
    for viol in check(template, values):
        d = viol.to_dict()
        d.pop("cells", None)
        out.append(d)
    return out


def plant_error(
    values: Mapping[str, Number], template: Template, kind: str, rng: random.Random
) -> tuple[Values, dict[str, Any], list[dict[str, Any]]]:
    """Put one publisher error of `kind` (an `ERROR_KINDS` key or its invariant name) into the values.

    Returns (printed values, injected_error record, expected violations).
    """
    kind = _BY_INVARIANT.get(kind, kind)
    if kind not in ERROR_KINDS:
        raise ValueError(f"unknown error kind {kind!r}; one of {sorted(ERROR_KINDS)}")
    v: Values = dict(values)
    also: dict[str, Number] = {}
    if kind == "t3_row_total_off_by_one":
        row = rng.choice([r.key for r in template.t3_rows])
        cell = f"t3.{row}.total"
        v[cell] = v[cell] + 1 if v[cell] == 0 or rng.random() < 0.5 else v[cell] - 1
    elif kind == "t3_result_total_wrong":
        col = rng.choice(T3_APPLICANT_COLUMNS[:2])
        cell = f"t3.result_total.{col}"
        delta = rng.choice([-2, -1, 1, 2, 3]) if v[cell] >= 2 else rng.randint(1, 3)
        v[cell] += delta
        also["t3.result_total.total"] = v["t3.result_total.total"] + delta  # the row itself still adds up
    elif kind == "t3_carry_forward_missing":
        col = "natural_person"
        cell = f"t3.carried_forward.{col}"
        delta = rng.randint(1, 5)
        v[cell] += delta
        also["t3.carried_forward.total"] = v["t3.carried_forward.total"] + delta
    else:
        block = rng.choice([b.key for b in template.t4_blocks])
        cell = f"t4.{block}.total"
        v[cell] = v[cell] + rng.randint(1, 3) if v[cell] == 0 or rng.random() < 0.5 else v[cell] - 1
    v.update(also)
    injected: dict[str, Any] = {
        "kind": kind,
        "cell": cell,
        "correct_value": values[cell],
        "reported_value": v[cell],
    }
    if also:
        injected["also_changed"] = also
    return v, injected, violations_of(template, v)


def set_carried_over(template: Template, values: Mapping[str, Number], carried: Mapping[str, int]) -> Values:
    """Values with 二、上年结转 set per applicant column, re-balanced so every identity still holds
    (see `set_t3_inputs`)."""
    return set_t3_inputs(template, values, carried_over=carried)


def set_t3_inputs(
    template: Template,
    values: Mapping[str, Number],
    *,
    new_received: Mapping[str, int] | None = None,
    carried_over: Mapping[str, int] | None = None,
    carried_forward: Mapping[str, int] | None = None,
) -> Values:
    """Values with 一、本年新收, 二、上年结转 and/or 四、结转下年度继续办理 set per applicant column,
    re-balanced so every identity still holds.

    The difference is absorbed by the results (first leaf first) and, when there are too few
    results to remove and 四 is not given, by 四 of the same report.
    """
    v: Values = dict(values)
    rows = template.t3_rows
    new_row, over_row = [r.key for r in rows if r.kind == "input"]  # 一、本年新收 then 二、上年结转
    cf = next(r.key for r in rows if r.kind == "carry")
    total = next(r.key for r in rows if r.kind == "result_total")
    leaves = [r.key for r in rows if r.kind == "leaf"]
    given = ((new_row, new_received or {}), (over_row, carried_over or {}), (cf, carried_forward or {}))
    for col in [c for c in T3_APPLICANT_COLUMNS if any(c in g for _, g in given)]:
        for row, g in given:
            if col in g:
                v[f"t3.{row}.{col}"] = int(g[col])
        pool = int(v[f"t3.{new_row}.{col}"]) + int(v[f"t3.{over_row}.{col}"])
        fixed_cf = col in (carried_forward or {})
        if fixed_cf and int(v[f"t3.{cf}.{col}"]) > pool:
            raise ValueError(f"{col}: 四 {v[f't3.{cf}.{col}']} > 一 + 二 = {pool}")
        delta = pool - int(v[f"t3.{cf}.{col}"]) - int(v[f"t3.{total}.{col}"])
        if delta >= 0:
            v[f"t3.{leaves[0]}.{col}"] += delta
        else:
            need = -delta
            movable = leaves + ([] if fixed_cf else [cf])
            for key in [f"t3.{k}.{col}" for k in movable]:
                take = min(need, int(v[key]))
                v[key] -= take
                need -= take
        v[f"t3.{total}.{col}"] = sum(v[f"t3.{k}.{col}"] for k in leaves)
    for r in rows:
        v[f"t3.{r.key}.total"] = sum(v[f"t3.{r.key}.{c}"] for c in T3_APPLICANT_COLUMNS)
    return v
