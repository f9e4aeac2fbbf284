"""Column headers found as stacks of words, and values placed under them."""

from __future__ import annotations

from gidar.extract.layout.columns import anchors, assign, find_header_columns, pick_one_per_key
from gidar.extract.model import Word
from gidar.templates import T3_COLUMNS, T4_COLUMNS


def w(text: str, x0: float, top: float, width: float | None = None) -> Word:
    return Word(text, x0, top, x0 + (width if width is not None else 9.0 * len(text)), top + 9, 1)


COLS = [(c.key, (c.label, *c.variants)) for c in T3_COLUMNS]
KEYS = [c.key for c in T3_COLUMNS]


def header_words() -> list[Word]:
    # wrapped (商业/企业), letter-spaced (总 计) and a spanning header that contains 其他
    return [
        w("申请人情况", 380, 100),
        w("法", 370, 112),
        w("人", 382, 112),
        w("或", 394, 112),
        w("其", 406, 112),
        w("他", 418, 112),
        w("组", 430, 112),
        w("织", 442, 112),
        w("自然", 300, 120),
        w("人", 304, 130),
        w("商业", 336, 125),
        w("企业", 336, 135),
        w("科研", 368, 125),
        w("机构", 368, 135),
        w("社会", 400, 120),
        w("公益", 400, 130),
        w("组织", 400, 140),
        w("法律", 432, 120),
        w("服务", 432, 130),
        w("机构", 432, 140),
        w("其他", 464, 128),
        w("总", 492, 126),
        w("计", 505, 126),
    ]


def test_t3_header_stacks() -> None:
    specs = pick_one_per_key(find_header_columns(header_words(), COLS), KEYS)
    assert specs is not None
    assert [s.key for s in specs] == KEYS
    assert specs[-1].x0 == 492 and specs[-1].x1 == 514  # 总 + 计 joined


def test_blank_cells_leave_gaps_in_the_right_places() -> None:
    specs = pick_one_per_key(find_header_columns(header_words(), COLS), KEYS)
    assert specs is not None
    row = [w("9", 309, 200), w("1", 440, 200), w("10", 498, 200)]  # blanks under 商业..社会, 其他
    cols, _ = assign(row, specs, anchors(specs, []))
    assert [KEYS[c] for c in cols] == ["natural_person", "legal_service", "total"]


def test_full_rows_give_exact_positions() -> None:
    specs = pick_one_per_key(find_header_columns(header_words(), COLS), KEYS)
    assert specs is not None
    # right-aligned values: the full row tells where each column's right edge is
    full = [w(str(i), x, 180, 6) for i, x in enumerate((322, 354, 386, 418, 450, 482, 514))]
    full = [Word(t.text, t.x0 - 6, t.top, t.x0, t.bottom, 1) for t in full]
    row = [Word("12", 342, 200, 354, 209, 1), Word("12", 502, 200, 514, 209, 1)]
    cols, _ = assign(row, specs, anchors(specs, [full]))
    assert [KEYS[c] for c in cols] == ["commercial", "total"]


def test_t4_header_fifteen_columns() -> None:
    cols = [(c.key, (c.label,)) for c in T4_COLUMNS]
    words = []
    for b in range(3):
        for i, (top, bottom) in enumerate(
            (("结果", "维持"), ("结果", "纠正"), ("其他", "结果"), ("尚未", "审结"), ("总", "计"))
        ):
            x = 60 + b * 160 + i * 30
            words += [w(top, x, 100), w(bottom, x, 110)]
    found = find_header_columns(words, cols)
    assert [c.key for c in found] == [c.key for c in T4_COLUMNS] * 3


def test_an_extra_unlabelled_column_is_left_out() -> None:
    # a subtotal column for 法人或其他组织 that the template does not have, between 其他 and 总计
    specs = pick_one_per_key(find_header_columns(header_words(), COLS), KEYS)
    assert specs is not None
    xs = (305, 340, 372, 404, 436, 468, 484, 500)
    row = [w(str(v), x, 200, 6) for v, x in zip((1, 2, 0, 0, 0, 0, 2, 3), xs, strict=True)]
    cols, _ = assign(row, specs, anchors(specs, []))
    assert sorted(c for c in cols if c >= 0) == list(range(7))
    assert cols.count(-1) == 1


def test_ruled_cells_beat_the_header_gap_estimate() -> None:
    from gidar.extract.layout.columns import ColumnSpec, with_rules

    # a wide column A (cell 50-200) with a short centred header, a narrow column B (200-260)
    specs = [ColumnSpec("a", 100, 120, 10, 19), ColumnSpec("b", 220, 240, 10, 19)]
    value = Word("7", 185, 40, 195, 49, 1)  # right-aligned in A, right of the gap's middle (170)
    cols, _ = assign([value], specs, anchors(specs, []))
    assert cols == [1]  # the header-only estimate gets it wrong ...
    rules = [(1, x, 0.0, 60.0) for x in (50.0, 200.0, 260.0)]
    ruled = with_rules(specs, rules)
    assert [s.cell for s in ruled] == [(50.0, 200.0), (200.0, 260.0)]
    cols, _ = assign([value], ruled, anchors(ruled, []))
    assert cols == [0]  # ... the drawn cell borders get it right


def test_a_grid_ruled_across_only_shows_its_cell_edges() -> None:
    from gidar.extract.layout.columns import ColumnSpec, cell_edges, with_rules

    # the same table ruled with horizontal rules only, each drawn as one segment per cell
    specs = [ColumnSpec("a", 100, 120, 10, 19), ColumnSpec("b", 220, 240, 10, 19)]
    hrules = [(1, y, x0, x1) for y in (5.0, 25.0, 55.0) for x0, x1 in ((20.0, 50.0), (50.0, 200.0), (200.0, 260.0))]
    ruled = with_rules(specs, cell_edges(hrules))
    assert [s.cell for s in ruled] == [(50.0, 200.0), (200.0, 260.0)]
    value = Word("7", 185, 40, 195, 49, 1)  # right-aligned in A, right of the header gap's middle
    assert assign([value], ruled, anchors(ruled, []))[0] == [0]
    # rules drawn in one stroke across, or dashed (gaps, never joins), show no inner edge
    whole = [(1, y, 20.0, 260.0) for y in (5.0, 25.0)]
    dashed = [(1, y, x, x + 3.0) for y in (5.0, 25.0) for x in range(20, 260, 6)]
    assert [s.cell for s in with_rules(specs, cell_edges(whole))] == [None, None]
    assert [s.cell for s in with_rules(specs, cell_edges(dashed))] == [None, None]


def test_a_page_frame_is_not_a_cell_border() -> None:
    from gidar.extract.layout.columns import ColumnSpec, with_rules

    specs = [ColumnSpec("a", 100, 120, 10, 19), ColumnSpec("b", 220, 240, 10, 19)]
    frame = [(1, 30.0, 0.0, 800.0), (1, 560.0, 0.0, 800.0)]
    assert [s.cell for s in with_rules(specs, frame)] == [None, None]


# --- header variants as real reports print them ---------------------------------------------


def _t2_cols(block):
    return [(c.key, (c.label, *c.variants)) for c in block.columns]


def test_two_cut_off_headers_spelling_the_same_are_told_apart_by_order() -> None:
    from gidar.templates import V2019

    b = V2019.t2_blocks[0]  # 本年新制作数量 · 本年新公开数量 · 对外公开总数量
    words = [w("本年新", 200, 100), w("本年新", 300, 100), w("对外公开总数量", 400, 100)]
    specs = pick_one_per_key(find_header_columns(words, _t2_cols(b)), [c.key for c in b.columns])
    assert specs is not None
    assert [(s.key, s.x0) for s in specs] == [("new_made", 200), ("new_published", 300), ("total_published", 400)]


def test_headers_with_a_year_inside_a_note_after_and_a_unit() -> None:
    from gidar.templates import V2019, V2021

    b21 = V2021.t2_blocks[0]
    words = [
        w("本年（2023）制发件", 200, 100),
        w("数", 200, 110),
        w("本年废止件数", 300, 100),
        w("现行有效件", 400, 100),
    ]
    specs = pick_one_per_key(find_header_columns(words, _t2_cols(b21)), [c.key for c in b21.columns])
    assert specs is not None and [s.x0 for s in specs] == [200, 300, 400]
    b19 = V2019.t2_blocks[1]  # 上一年项目数量 · 本年增/减 · 处理决定数量
    words = [
        w("上一年项目数量（指2019", 200, 100),
        w("年事项数）", 200, 110),
        w("本年增/", 300, 100),
        w("处理决定数量", 400, 100),
    ]
    specs = pick_one_per_key(find_header_columns(words, _t2_cols(b19)), [c.key for c in b19.columns])
    assert specs is not None and [s.key for s in specs] == ["prev_count", "change", "decisions"]
    money = V2019.t2_blocks[4]
    words = [w("采购项目数量", 200, 100), w("采购总金额（万元）", 300, 100)]
    specs = pick_one_per_key(find_header_columns(words, _t2_cols(money)), [c.key for c in money.columns])
    assert specs is not None and [s.unit for s in specs] == [None, "万元"]


def test_a_neighbour_header_is_not_a_variant() -> None:
    from gidar.templates import V2021

    b = V2021.t2_blocks[0]
    # 本年新 (a 2019 header) must not pass for a 2021 column
    words = [w("本年新", 200, 100), w("本年废止件数", 300, 100), w("现行有效件数", 400, 100)]
    assert pick_one_per_key(find_header_columns(words, _t2_cols(b)), [c.key for c in b.columns]) is None


def test_header_pieces_at_the_edges_of_the_x_window_still_join() -> None:
    """A stack grows only by pieces near it in x (`_grow` passes over the others unasked): the piece one
    point left of the stack's right edge on its line, a piece below overlapping just enough, a box drawn
    right to left, and a far piece that would spell the label too all find their way as before."""
    cols = [("total", ("总计",)), ("legal", ("法律服务机构",))]
    words = [
        w("总", 100, 100),
        Word("计", 110, 100, 90, 109, 1),  # drawn right to left: x1 < x0, its x1 left of the whole stack
        w("法律", 200, 100),
        w("服务", 200 + 18 - 0.4 * 18 * 1.001, 110.5),  # overlaps 法律 by a hair over STACK_OVERLAP
        w("机构", 200, 121),
        w("计", 400, 100),  # spells 总计 too, but far to the right: no piece of it
    ]
    found = find_header_columns(words, cols)
    assert [(c.key, c.x0, c.x1) for c in found] == [("total", 100, 109), ("legal", 200, 236 - 0.4 * 18 * 1.001)]


def test_a_vertical_header_grows_down_its_own_column() -> None:
    # one character per line in narrow columns: 结/果/维/持 must not take 果 from the next column
    cols = [(c.key, (c.label, *c.variants)) for c in T4_COLUMNS]
    words = []
    for i, label in enumerate(("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")):
        words += [w(ch, 100 + 15 * i, 100 + 11 * j + (3 if i % 2 else 0), 9) for j, ch in enumerate(label)]
    specs = pick_one_per_key(find_header_columns(words, cols), [c.key for c in T4_COLUMNS])
    assert specs is not None and [s.x0 for s in specs] == [100, 115, 130, 145, 160]


def test_a_value_midway_between_two_headers_is_flagged_not_placed_silently() -> None:
    from gidar.extract.layout.columns import ColumnSpec
    from gidar.extract.layout.pieces import Piece
    from gidar.extract.layout.tables import Reading, _cells_for_row, _Row
    from gidar.templates import Column

    # a short centred header over a wide column, a long one beside it, no rules and no row printing every
    # column: a lone right-aligned 7 sits where the two cells meet, which the header gap cannot tell
    specs = [ColumnSpec("a", 226.8, 280.8), ColumnSpec("b", 311.0, 388.4), ColumnSpec("c", 423.1, 468.1)]
    columns = [Column("a", "A"), Column("b", "B"), Column("c", "C")]
    reading = Reading()
    lone = _Row("r", None, [Piece(Word("7", 295.1, 40, 299.6, 49, 1))])
    cells = _cells_for_row(reading, "t2.x.r", lone, columns, specs, [])
    placed = next(c for c in cells.values() if c.raw == "7")
    assert "column_guessed" in placed.flags
    assert {k for k, _ in reading.doubts} == {"t2.x.r.a", "t2.x.r.b"}  # both cells it may belong to
    # under its own header, or with its neighbour's cell taken by a value, there is no doubt
    reading = Reading()
    clear = _Row("r", None, [Piece(Word("7", 270.0, 40, 274.5, 49, 1))])
    both = _Row("r", None, [Piece(Word("7", 295.1, 40, 299.6, 49, 1)), Piece(Word("3", 383.9, 40, 388.4, 49, 1))])
    for row in (clear, both):
        cells = _cells_for_row(reading, "t2.x.r", row, columns, specs, [])
        assert not any("column_guessed" in c.flags for c in cells.values())
    assert reading.doubts == []


def test_an_unruled_extra_label_is_a_row_of_blanks_only_where_it_sits_as_a_row() -> None:
    from gidar.extract.layout.columns import ColumnSpec
    from gidar.extract.layout.rows import LabelMatch, Target
    from gidar.extract.layout.tables import _blank_unruled_row, _Row

    def labelled(text: str, x0: float, top: float, width: float) -> _Row:
        return _Row(text, LabelMatch([Target(text, (), -1)], [Word(text, x0, top, x0 + width, top + 9, 1)], text))

    rows = [labelled("规章", 85, 400, 20), labelled("规范性文件", 85, 420, 45)]  # row gap 11 pt
    specs = [ColumnSpec("issued", 250, 300)]
    assert _blank_unruled_row(labelled("其他主动公开文件", 85, 440, 120), rows, specs, {})
    assert not _blank_unruled_row(labelled("其他主动公开文件", 85, 470, 120), rows, specs, {})  # further down
    assert not _blank_unruled_row(labelled("注：本表数据截至年底，单位为件", 85, 440, 300), rows, specs, {})  # a note
    ruled = {1: [(1, 435.0, 80.0, 400.0)]}  # a rule under the table: the ruled test decides there
    assert not _blank_unruled_row(labelled("其他主动公开文件", 85, 440, 120), rows, specs, ruled)


def test_text_that_starts_like_a_number_in_a_value_column_is_never_dropped_silently() -> None:
    from gidar.extract.layout.columns import ColumnSpec
    from gidar.extract.layout.rows import LabelMatch, Target
    from gidar.extract.layout.tables import Reading, _cells_for_row, _Row, _unread
    from gidar.templates import Column

    label = Word("政府集中采购", 85, 250, 145, 260, 1)
    row = _Row("art20_9.gov_procurement", LabelMatch([Target("g", (), 0)], [label], "政府集中采购"))
    printed = Word("5,212.95亿元", 350, 250, 410, 260, 1)  # a unit the registry does not know
    header = Word("采购总金额", 360, 219, 410, 229, 1)  # text above the row, not on it
    piece = Word("2023年事项数）", 250, 252, 310, 262, 1)  # a wrapped header's piece beside a row: no number
    reading = Reading()
    _unread([row], [label, printed, header, piece], {id(label)}, reading)
    assert row.unread == [printed] and reading.orphans == [printed]
    specs = [ColumnSpec("count", 250, 310), ColumnSpec("amount", 376, 426)]
    columns = [Column("count", "采购项目数量"), Column("amount", "采购总金额", "money")]
    _cells_for_row(reading, "t2.art20_9.gov_procurement", row, columns, specs, [])
    assert [k for k, _ in reading.doubts] == ["t2.art20_9.gov_procurement.amount"]


def test_row_lines_with_band_keeps_every_field() -> None:
    """`RowLines.with_band` stands for `dataclasses.replace`: a field added later must not be lost."""
    from dataclasses import fields, replace

    from gidar.extract.layout.pieces import RowLines

    row = RowLines(*(f"v{i}" for i in range(len(fields(RowLines)))))  # type: ignore[arg-type]
    assert row.with_band((1.0, 2.0)) == replace(row, band=(1.0, 2.0))
