"""Table 三 made comparable across templates.

The only difference between the templates' table 三 is that one prints （六）其他处理 as a single
row (v2019 ``other_handling``) and the other as three numbered sub-rows grouped under that same
label (v2021). The mapping is derived from the registry: a row whose ``group`` is the label of a
leaf row in another template is folded into that row.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import pyarrow as pa

from gidar.schema import T3_NORMALISED
from gidar.templates import T3_COLUMNS, TEMPLATES


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


def _kind(version: str, row: str) -> str:
    return TEMPLATES[version].t3_row(row).kind


def build_t3_normalised(t3: pa.Table) -> pa.Table:
    """Fold a ``t3`` table (any mix of templates and reports) into `T3_NORMALISED`."""
    cols = [c.key for c in T3_COLUMNS]
    order = {k: i for i, k in enumerate(normalised_rows())}
    groups: dict[tuple[str, str], dict[str, object]] = {}
    for rec in t3.to_pylist():
        norm = t3_row_map().get((rec["template"], rec["row"]), rec["row"])
        g = groups.get((rec["report_id"], norm))
        if g is None:
            g = {k: rec[k] for k in ("report_id", "report_year", "region_code", "template")}
            kind = _kind(rec["template"], rec["row"]) if (rec["template"], rec["row"]) in t3_row_map() else None
            g.update(row=norm, row_order=order.get(norm), row_kind=kind, n_source_rows=0, **dict.fromkeys(cols, 0.0))
            groups[(rec["report_id"], norm)] = g
        g["n_source_rows"] = int(g["n_source_rows"]) + 1  # type: ignore[call-overload]
        for c in cols:
            v = rec[c]
            g[c] = None if v is None or g[c] is None else g[c] + v  # type: ignore[operator]
    rows: Iterable[dict[str, object]] = sorted(
        groups.values(), key=lambda g: (str(g["report_id"]), order.get(str(g["row"]), len(order)))
    )
    return pa.Table.from_pylist(list(rows), schema=T3_NORMALISED)
