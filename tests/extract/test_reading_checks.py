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


def test_a_wrap_join_on_a_scan_is_blamed_only_when_proven() -> None:
    # ``43`` over the next row's ``40`` read as one wrapped ``4340`` (seen on generated scans):
    # on OCR the join is not proven, so the broken row total is not the publisher's
    cells = t3_cells({"granted": [43, 0, 0, 0, 0, 0, 4340]})
    total = next(c for c in cells if c.key == "t3.granted.total")
    total.flags += ["wrapped", "ocr"]
    violations = check(V2021, {c.key: c.value for c in cells})
    publisher, unconfirmed = blame(violations, suspects(cells))
    assert "granted" in {v.row for v, _ in unconfirmed}  # its row total, and the column sum it is in
    assert all(keys == ["t3.granted.total"] for _, keys in unconfirmed)
    assert all("t3.granted.total" not in v.cells for v in publisher)
    # the same join on a text layer is placed from exact glyph positions: proven by `pieces`
    total.flags.remove("ocr")
    assert "t3.granted.total" not in suspects(cells)
    # a wrapped OCR value whose identities hold is proven by them: nothing to review
    ok = t3_cells({"granted": [3977, 0, 0, 0, 0, 0, 3977], "result_total": [3977, 0, 0, 0, 0, 0, 3977]})
    for c in ok:
        if c.key == "t3.granted.total":
            c.flags += ["wrapped", "ocr"]
    assert [
        v for v, _ in blame(check(V2021, {c.key: c.value for c in ok}), suspects(ok))[1] if v.row == "granted"
    ] == []


def test_a_value_across_two_columns_is_not_in_its_box() -> None:
    from gidar.extract.layout.columns import ColumnSpec
    from gidar.extract.layout.tables import _crossed, _straddled
    from gidar.extract.model import Word

    specs = [ColumnSpec(k, x, x + 7) for k, x in (("a", 211.0), ("b", 226.0), ("c", 241.0))]  # centres 15 pt apart
    centres = [s.xc for s in specs]
    assert _straddled(Word("71", 236, 0, 243.5, 7, 1), 2, centres) == []
    assert _crossed(Word("71", 236, 0, 243.5, 7, 1), 2, centres) == []  # a value in its column
    assert _crossed(Word("5,681", 223, 0, 236, 7, 1), 1, centres) == []  # as wide as the column pitch
    assert _crossed(Word("971", 226, 0, 243.5, 7, 1), 2, centres) == [1]  # ``9`` of the neighbour's ``139`` glued on
    assert _straddled(Word("038", 221, 0, 243.5, 7, 1), 2, centres) == [1]  # ``0`` and ``38`` of two columns
    for x0, x1 in ((221, 243.5), (236, 243.5), (200, 250), (214.5, 229.5), (214.6, 229.4), (float("nan"), 250)):
        for i in range(3):  # by bisection when the centres are ordered: the same columns
            value = Word("0", x0, 0, x1, 7, 1)
            assert _straddled(value, i, centres, ordered=True) == _straddled(value, i, centres)
    cells = t3_cells({})
    cells[0].flags += ["crosses_column_edge", "ocr"]
    cells[1].flags.append("straddles_columns")
    assert list(suspects(cells)) == [cells[0].key, cells[1].key]
