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
