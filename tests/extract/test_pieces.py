"""Numbers printed in pieces are joined only where one cell's text is proven, never across rows."""

from __future__ import annotations

from gidar.extract.layout.pieces import Piece, RowLines, join_thin, join_wrapped, row_bands
from gidar.extract.model import Word

H = 9.0  # glyph height of the fake words
LEAD = 11.25  # line pitch inside one cell (1.25 em)


def w(text: str, x0: float, top: float, width: float | None = None) -> Word:
    return Word(text, x0, top, x0 + (width if width is not None else 4.5 * len(text)), top + H, 1)


def row(centre: float, *lines: float) -> RowLines:
    return RowLines(1, centre, (centre, *lines), centre - H / 2, centre + H / 2)


def texts(pieces: list[Piece]) -> list[str]:
    return sorted(p.word.text for p in pieces)


def test_thin_space_groups_join_but_neighbouring_cells_do_not() -> None:
    out = join_thin([w("1", 100, 50), w("234", 106.3, 50), w("5", 140, 50), w("678", 160, 50)])
    assert texts(out) == ["1 234", "5", "678"]  # 1.8 pt apart is a thin space; 15.5 pt is two cells
    assert "thin_space_thousands" in next(p for p in out if p.word.text == "1 234").flags
    assert texts(join_thin([w("12", 100, 50), w("34", 107, 50)])) == ["12", "34"]  # not a 3-digit group


def test_a_unit_wrapped_below_its_number_joins_it() -> None:
    pieces = join_thin([w("19,474", 100, 50), w("宗", 106, 50 + LEAD, 9)])
    assert texts(join_wrapped(pieces, [row(55 + LEAD / 2)])) == ["19,474宗"]


def test_a_unit_cut_by_a_wrap_joins_its_number() -> None:
    # 1288.502343万元 right-aligned in a narrow cell, its unit cut: ...万 over 元, the 元 on the row's line
    pieces = join_thin([w("１２８８．５０２３４３万", 317.2, 298.7, 126), w("元", 432.7, 298.7 + LEAD, 10.5)])
    out = join_wrapped(pieces, [row(298.7 + LEAD + H / 2)])
    assert texts(out) == ["１２８８．５０２３４３万元"] and "wrapped" in out[0].flags
    # with a thin space as thousands separator, centred: 7 752.594857万 over 元
    words = [w("７", 336.9, 324.6, 10), w("７５２．５９４８５７万", 349.0, 324.6, 110), w("元", 449, 324.6 + LEAD, 10)]
    pieces = join_thin(words)
    assert texts(join_wrapped(pieces, [row(324.6 + LEAD / 2 + H / 2)])) == ["７ ７５２．５９４８５７万元"]


def test_a_wrapped_number_centred_on_its_row_is_one_cell() -> None:
    # 3,977 in a narrow cell: 3,9 over 77, centred on the row's line (no rules drawn)
    pieces = [Piece(w("3,9", 100, 44.4)), Piece(w("77", 100.7, 44.4 + LEAD))]
    out = join_wrapped(pieces, [row(54.5), row(90)])
    assert texts(out) == ["3,977"] and out[0].flags == ["wrapped"]


def test_a_wrap_without_a_separator_needs_its_row() -> None:
    # 12 over 5: one cell only where the row says so (centred on its label here)
    pieces = [Piece(w("12", 100, 44.4)), Piece(w("5", 102.25, 44.4 + LEAD))]
    assert texts(join_wrapped(pieces, [row(54.5)])) == ["125"]
    # the same two words on two rows' lines are two values
    assert texts(join_wrapped(pieces, [row(48.9), row(60.1)])) == ["12", "5"]


def test_values_of_two_tight_rows_never_join() -> None:
    # a tight table (row pitch 9.9 pt): 228 (行政许可) above 389 (其他对外管理服务事项)
    pieces = [Piece(w("228", 326.3, 678.4)), Piece(w("389", 326.3, 688.3))]
    rows = [row(682.9), row(692.8)]
    assert texts(join_wrapped(pieces, rows)) == ["228", "389"]
    # even inside one ruled box spanning both rows
    hrules = [(1, 670.0, 300.0, 360.0), (1, 700.0, 300.0, 360.0)]
    assert texts(join_wrapped(pieces, rows, hrules)) == ["228", "389"]


def test_a_zero_marker_is_never_a_sign() -> None:
    # zero printed as "-" in one row, 4 in the row below: no -4
    pieces = [Piece(w("-", 100, 50)), Piece(w("4", 100, 50 + LEAD))]
    assert texts(join_wrapped(pieces, [row(54.5)])) == ["-", "4"]


def test_a_chain_is_cut_at_a_row_break() -> None:
    # 55 (row above, pushed down by an empty paragraph) then 2，790 wrapped over four lines
    pieces = [Piece(w("55", 100, 20)), Piece(w("2", 102, 37.5))]
    pieces += [
        Piece(w("，", 100, 37.5 + LEAD, 9)),
        Piece(w("79", 100, 37.5 + 2 * LEAD)),
        Piece(w("0", 102, 37.5 + 3 * LEAD)),
    ]
    rows = row_bands([row(19), row(62)], [p.word for p in pieces])
    assert texts(join_wrapped(pieces, rows)) == ["2，790", "55"]


def test_row_strips_meet_in_the_widest_gap() -> None:
    # a tall wrapped row reaches further than half-way to its one-line neighbour
    words = [w("3", 100, 60 + i * LEAD) for i in range(4)]
    a, b = row_bands([row(81), row(122)], words)
    assert a.band[1] == b.band[0] and a.band[1] > (81 + 122) / 2
