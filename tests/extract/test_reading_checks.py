"""Broken invariants: publisher error (reported) or misreading (uncertain)?"""

from __future__ import annotations

from gidar.contract import Cell
from gidar.extract.layout.checks import blame, suspects
from gidar.invariants import check
from gidar.templates import T3_COLUMNS, V2021


def reading_doubts(cells: list[Cell], violations) -> list[tuple[str, str]]:
    """(cell key, why) for the suspect cells of the violated identities."""
    sus = suspects(cells)
    return [(k, sus[k]) for _, keys in blame(violations, sus)[1] for k in keys]


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


def test_only_clean_reads_blame_the_publisher() -> None:
    from gidar.extract.model import Word

    # granted: 总计 printed 2 under 1 + 0…: a publisher error when every cell was read cleanly
    cells = t3_cells({"granted": [1, 0, 0, 0, 0, 0, 2]})
    violations = check(V2021, {c.key: c.value for c in cells})
    publisher, unconfirmed = blame(violations, suspects(cells))
    assert publisher == violations and unconfirmed == []
    # a piece of a number lying next to the 总计 cell that went to no cell: not the publisher's
    x0 = next(c.bbox[0] for c in cells if c.key == "t3.granted.total")  # type: ignore[index]
    orphan = Word("3", x0, 10, x0 + 5, 19, 1)
    sus = suspects(cells, [orphan])
    assert "value piece '3'" in sus["t3.granted.total"]
    publisher, unconfirmed = blame(violations, sus)
    assert [v.invariant for v, _ in unconfirmed if v.row == "granted"] == ["t3_row_total"]
    assert all(not set(v.cells) & set(sus) for v in publisher)  # the rest stay the publisher's
    assert len(publisher) + len(unconfirmed) == len(violations)


def test_unclean_flags_are_suspects() -> None:
    cells = t3_cells({})
    cells[0].flags.append("off_column")
    cells[1].value = None
    cells[2].conf = 0.5
    cells[3].flags.append("table_blank")
    sus = suspects(cells)
    assert [c.key for c in cells[:4]] == list(sus)
