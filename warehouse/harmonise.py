"""Table 三 made comparable across templates: the ONE place that says how printed rows line up.

The only difference between the templates' table 三 is that one prints （六）其他处理 as a single row
(v2019 ``other_handling``) and the other as three numbered sub-rows grouped under that same label (v2021).
The mapping is derived from the registry: a row whose ``group`` is the label of a leaf row in another
template is folded into that row. `fact_applications` (warehouse/derived.py) applies it in SQL; the
``t3_normalised`` view and the rollups read that fact table.

Rows also fall into the *measures* analysts ask about (received, granted, withheld, …): a result row's
measure is its merged group label (（三）不予公开 → withheld), or its own label when it has no sub-rows.
"""

from __future__ import annotations

from functools import cache

from gidar.templates import RESULTS, T3_COLUMNS, TEMPLATES

# Measure name → the registry label it stands for (the label is the Chinese export header).
MEASURE_LABELS: dict[str, str] = {
    "received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开",
    "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "withheld": "（三）不予公开",
    "unavailable": "（四）无法提供",
    "not_processed": "（五）不予处理",
    "other": "（六）其他处理",
    "result_total": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}
# The outcome measures of 三、本年度办理结果, whose shares the rollups give.
OUTCOMES = ("granted", "partially_granted", "withheld", "unavailable", "not_processed", "other")
APPLICANTS = tuple(c.key for c in T3_COLUMNS)


@cache
def t3_row_map() -> dict[tuple[str, str], str]:
    """``(template version, printed row key) -> normalised row key`` for every table-三 row."""
    leaf_by_label = {r.label: r.key for t in TEMPLATES.values() for r in t.t3_rows if r.kind == "leaf"}
    out: dict[tuple[str, str], str] = {}
    for t in TEMPLATES.values():
        own = {r.key for r in t.t3_rows}
        for r in t.t3_rows:
            target = leaf_by_label.get(r.group) if r.group else None
            out[(t.version, r.key)] = target if target and target not in own else r.key
    return out


@cache
def normalised_rows() -> tuple[str, ...]:
    """Normalised row keys in printed order; every template must agree on it."""
    orders = set()
    for t in TEMPLATES.values():
        keys = [t3_row_map()[(t.version, r.key)] for r in t.t3_rows]
        orders.add(tuple(dict.fromkeys(keys)))
    if len(orders) != 1:
        raise ValueError(f"table-三 templates do not normalise to one row order: {orders}")
    return orders.pop()


@cache
def t3_measures() -> dict[tuple[str, str], str]:
    """``(template version, printed row key) -> measure`` for every table-三 row (from the registry labels)."""
    by_label = {label: m for m, label in MEASURE_LABELS.items()}
    out: dict[tuple[str, str], str] = {}
    for t in TEMPLATES.values():
        for r in t.t3_rows:
            label = r.group if r.group and r.group != RESULTS else r.label
            if label not in by_label:
                raise ValueError(f"table-三 row {t.version}.{r.key} ({label}) has no measure")
            out[(t.version, r.key)] = by_label[label]
    return out
