"""Compare a reading of a synthetic report with its truth (for round-trip tests and `gidar eval`-like
checks). Pure: takes what a reader returned, so gidar stays below extract/ in the layering."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any


def _vkey(v: Any) -> tuple:
    get = v.get if isinstance(v, dict) else lambda k: getattr(v, k)
    return (get("invariant"), get("row"), get("col"), get("lhs"), get("rhs"))


def truth_diff(
    truth: Mapping[str, Any],
    template: str | None,
    values: Mapping[str, int | float],
    violations: Iterable[Any],
) -> list[str]:
    """Every difference from the truth: template, each value (exact; money to 1e-6), extra keys,
    and the violations (invariant, row, col, lhs, rhs). Empty when the reading is exact."""
    errors = []
    if template != truth["template"]:
        errors.append(f"template {template!r} != {truth['template']!r}")
    for key, want in truth["values"].items():
        have = values.get(key)
        if have is None or not math.isclose(float(have), float(want), rel_tol=0, abs_tol=1e-6):
            errors.append(f"{key}: read {have!r}, printed {want!r}")
    errors += [f"extra key {k}" for k in sorted(set(values) - set(truth["values"]))]
    want_v = sorted(map(str, map(_vkey, truth["expected_violations"])))
    have_v = sorted(map(str, map(_vkey, violations)))
    if want_v != have_v:
        errors.append(f"violations {have_v} != expected {want_v}")
    return errors


def bends_diff(truth: Mapping[str, Any], result: Mapping[str, Any]) -> list[str]:
    """Differences in how a reading recorded the template bends (``result`` is the extraction
    JSON): the template of each table, the extra cells (label, column, value), the units as
    printed, and the tables printed blank. Empty when the truth has none of these fields."""
    from gidar.labels import normalise

    errors = []
    want_t = truth.get("table_templates") or {}
    have_t = result.get("table_templates") or {}
    errors += [
        f"table {t} read as {have_t.get(t)!r}, printed in {v!r}" for t, v in want_t.items() if have_t.get(t) != v
    ]

    def extras(items: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(
            (x.get("block"), normalise(x.get("label") or ""), x.get("col"), float(x.get("value") or 0)) for x in items
        )

    want_x = extras(
        {"block": x["block"], "label": x["label"], "col": c, "value": v}
        for x in truth.get("extra_cells") or ()
        for c, v in x["values"].items()
    )
    have_x = extras(result.get("extra_cells") or ())
    if want_x != have_x:
        errors.append(f"extra cells {have_x} != {want_x}")
    units = {c["key"]: c.get("unit") for c in result.get("cells") or ()}
    errors += [
        f"{k}: unit {units.get(k)!r}, printed {u!r}" for k, u in (truth.get("units") or {}).items() if units.get(k) != u
    ]
    errors += [f"{k}: unit {u!r} not printed" for k, u in units.items() if u and k not in (truth.get("units") or {})]
    if "blank_tables" in truth and sorted(result.get("blank_tables") or ()) != sorted(truth["blank_tables"]):
        errors.append(f"blank tables {result.get('blank_tables')} != {truth['blank_tables']}")
    return errors
