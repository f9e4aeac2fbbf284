"""Broken invariants: publisher error (reported) or misreading (uncertain)?"""

from __future__ import annotations

from gidar.contract import Cell
from gidar.extract.layout.checks import reading_doubts
from gidar.invariants import check
from gidar.templates import T3_COLUMNS, V2021


def t3_cells(row_values: dict[str, list[int]], blank: set[str] = frozenset(), touching: bool = False) -> list[Cell]:
    cells = []
    for r in V2021.t3_rows:
        vals = row_values.get(r.key, [0] * 7)
        for i, (c, v) in enumerate(zip(T3_COLUMNS, vals, strict=True)):
            key = f"t3.{r.key}.{c.key}"
            x0 = 300 + i * (7 if touching and r.key in row_values else 30)
            if key in blank:
                cells.append(Cell(key, 0, "", 1, (x0, 0, x0 + 6, 9), flags=["blank_as_zero"]))
            else:
                cells.append(Cell(key, v, str(v), 1, (x0, 0, x0 + 6, 9)))
    return cells


def test_clean_publisher_error_is_not_a_reading_doubt() -> None:
    cells = t3_cells({"granted": [1, 0, 0, 0, 0, 0, 2]})
    violations = check(V2021, {c.key: c.value for c in cells})
    assert violations
    assert reading_doubts(cells, violations) == []


def test_blank_in_a_table_that_prints_zeros_is_doubtful() -> None:
    cells = t3_cells({"granted": [1, 0, 0, 0, 0, 0, 0]}, blank={"t3.granted.total"})
    violations = check(V2021, {c.key: c.value for c in cells})
    keys = [k for k, _ in reading_doubts(cells, violations)]
    assert "t3.granted.total" in keys


def test_touching_values_are_doubtful() -> None:
    cells = t3_cells({"granted": [1, 2, 0, 0, 0, 0, 12]}, touching=True)
    violations = check(V2021, {c.key: c.value for c in cells})
    keys = [k for k, _ in reading_doubts(cells, violations)]
    assert "t3.granted.natural_person" in keys and "t3.granted.commercial" in keys


def test_no_violation_no_doubt() -> None:
    assert reading_doubts(t3_cells({}), []) == []
