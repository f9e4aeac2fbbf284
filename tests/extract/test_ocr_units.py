"""Fast checks of the OCR post-processing (no recogniser): grid, token splitting, glyphs, voting."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from gidar.extract.ocr_cells import (
    CellCheck,
    Reading,
    cell_lines,
    join_wrapped,
    needs_check,
    plan_checks,
    resolve,
    review_cells,
    vote,
)
from gidar.extract.ocr_glyph import DASH, SLASH, stroke_glyph
from gidar.extract.ocr_grid import find_grid, ink_box
from gidar.extract.ocr_tokens import Char, OcrBox, Token, box_chars, normalise_token, reading_lines, split_box


def _table(rows: list[int], cols: list[int]) -> np.ndarray:
    """A white page with a ruled grid (row/column edges in pixels), 2-px grey-black rules."""
    img = np.full((rows[-1] + 40, cols[-1] + 40), 255, np.uint8)
    for y in rows:
        cv2.line(img, (cols[0], y), (cols[-1], y), 20, 2)
    for x in cols:
        cv2.line(img, (x, rows[0]), (x, rows[-1]), 20, 2)
    return img


def test_grid_finds_every_cell() -> None:
    rows, cols = [30, 90, 150, 210], [30, 200, 260, 320, 380]
    grid = find_grid(_table(rows, cols), min_len=40, min_cell=8)
    assert len(grid.cells) == (len(rows) - 1) * (len(cols) - 1)
    x = (cols[1] + cols[2]) // 2
    assert grid.cell_at(x, 160) != grid.cell_at(x, 100) != -1
    assert grid.cell_at(5, 5) == -1  # page margin


def test_grid_of_one_low_row() -> None:
    # 22 px high, shorter than a rule must be: the tail of a table continued on a new page.
    img = _table([30, 52], [30, 90, 150, 210, 270])
    assert len(find_grid(img, min_len=40, min_cell=8).cells) == 4


def test_glyph_stroke_in_a_tight_row_is_not_a_rule() -> None:
    rows, cols = [30, 52], [30, 150, 260]
    img = _table(rows, cols)
    cv2.line(img, (90, 31), (90, 51), 20, 2)  # a text stroke touching both rules ...
    cv2.line(img, (84, 40), (96, 40), 20, 2)  # ... with the rest of its glyph beside it
    assert len(find_grid(img, min_len=40, min_cell=8).cells) == 2


def test_blank_cell_has_no_ink() -> None:
    img = _table([30, 90], [30, 190, 350])
    grid = find_grid(img, min_len=40, min_cell=8)
    assert ink_box(img, grid.lines, grid.cells[0]) is None
    cv2.putText(img, "7", (65, 70), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    assert ink_box(img, grid.lines, grid.cells[0]) is not None


@pytest.mark.parametrize(
    ("draw", "expected"),
    [
        (lambda im: cv2.line(im, (30, 8), (20, 38), 0, 2), SLASH),
        (lambda im: cv2.line(im, (10, 22), (34, 22), 0, 2), DASH),
        (lambda im: cv2.line(im, (25, 8), (25, 38), 0, 2), None),  # 1 or |
        (lambda im: cv2.ellipse(im, (25, 23), (7, 13), 0, 0, 360, 0, 2), None),  # 0
        (lambda im: cv2.putText(im, "7", (14, 38), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 2), None),
    ],
)
def test_stroke_glyph(draw, expected) -> None:  # type: ignore[no-untyped-def]
    img = np.full((46, 50), 255, np.uint8)
    draw(img)
    assert stroke_glyph(img < 160, text_height=22) == expected


def test_split_row_of_numbers_into_tokens_with_positions() -> None:
    # one row of an unruled table read as one line: values 40 px apart, digits of 12 adjacent
    text = "3 0 12 0"
    ink = [(100, 110), None, (150, 160), None, (200, 210), (212, 222), None, (262, 272)]
    chars = tuple(Char(c, *(x or (0, 0)), 0.9) for c, x in zip(text, ink, strict=True))
    box = OcrBox(text, 0.9, 100, 10, 272, 30, chars)
    tokens = split_box(box, lambda x, y: -1)
    assert [t.text for t in tokens] == ["3", "0", "12", "0"]
    assert [(t.x0, t.x1) for t in tokens] == [(100, 110), (150, 160), (200, 222), (262, 272)]


def test_full_width_number_is_one_token_and_labels_keep_their_number() -> None:
    # １２ prints its digits half a text height apart; 3、补正 has a wide blank after 、
    wide = OcrBox("12", 0.9, 0, 0, 40, 20, (Char("1", 0, 8, 0.9), Char("2", 18, 28, 0.9)))
    assert [t.text for t in split_box(wide, lambda x, y: -1)] == ["12"]
    label = OcrBox(
        "3、补正",
        0.9,
        0,
        0,
        80,
        20,
        (Char("3", 0, 8, 0.9), Char("、", 10, 14, 0.9), Char("补", 26, 44, 0.9), Char("正", 46, 64, 0.9)),
    )
    assert [t.text for t in split_box(label, lambda x, y: -1)] == ["3、补正"]
    dropped = OcrBox(
        "8属于", 0.9, 0, 0, 60, 20, (Char("8", 0, 8, 0.9), Char("属", 20, 38, 0.9), Char("于", 40, 58, 0.9))
    )
    assert [t.text for t in split_box(dropped, lambda x, y: -1)] == ["8.属于"]


def test_split_label_run_into_number_at_cell_border() -> None:
    text = "行政许可1084"
    char_boxes = [(10 + 20 * i, 28 + 20 * i) for i in range(4)] + [(300 + 10 * i, 309 + 10 * i) for i in range(4)]
    box = OcrBox(text, 0.95, 10, 0, 340, 24, box_chars(text, 10, 340, char_boxes, None, 0.95))
    tokens = split_box(box, lambda x, y: 0 if x < 200 else 1)
    assert [t.text for t in tokens] == ["行政许可", "1084"]
    assert tokens[1].x0 == 300


def test_fullwidth_digits_normalised() -> None:
    assert normalise_token("１２") == "12"
    assert normalise_token("４３，９０１．８５") == "43,901.85"
    assert normalise_token("（三）") == "（三）"  # labels keep their width


def test_reading_lines_join_cjk_and_order_left_to_right() -> None:
    def b(text: str, x0: float, top: float) -> OcrBox:
        return OcrBox(text, 1.0, x0, top, x0 + 20 * len(text), top + 20, ())

    lines = reading_lines([b("人民政府", 200, 10), b("温州市", 100, 12), b("2025年", 100, 40)])
    assert lines == ["温州市人民政府", "2025年"]


def test_vote_prefers_values_and_lowers_confidence_on_dissent() -> None:
    one = vote([Reading("T", 0.7), Reading("1", 0.99)])
    assert one is not None and one.text == "1"
    assert one.conf == pytest.approx(0.99 * 0.99 / (0.99 + 0.7 * 0.25))
    agreed = vote([Reading("0", 0.9), Reading("0", 0.6)])
    assert agreed == Reading("0", 0.9)
    split = vote([Reading("6", 0.6), Reading("8", 0.5)])
    assert split is not None and split.text == "6" and split.conf < 0.6
    assert vote([Reading("", 0.0)]) is None


def test_resolve_empty_cell_and_unreadable_ink() -> None:
    check = CellCheck(0, (10, 10, 20, 30), (), None)
    assert [t.text for t in resolve(check, [("0", 0.9)], text_height=20)] == ["0"]
    unread = resolve(check, [("", 0.0)], text_height=20)
    assert [(t.text, t.conf) for t in unread] == [("?", 0.0)]
    slash = CellCheck(0, (10, 10, 20, 30), (), SLASH)
    assert [t.text for t in resolve(slash, [("#", 0.3), ("/", 0.4)], text_height=20)] == ["/"]


def test_needs_check() -> None:
    def tok(text: str, conf: float) -> Token:
        return Token(text, 0, 0, 10, 10, conf)

    assert needs_check([])
    assert not needs_check([tok("12", 0.99)])
    assert needs_check([tok("12", 0.8)])
    assert needs_check([tok("T", 0.99)])
    assert not needs_check([tok("行政许可", 0.5)])


def test_wrapped_number_is_checked_line_by_line() -> None:
    # A value wrapped inside its ruled cell: "10" over "7". Read whole, the two-line crop is
    # unreadable; each doubtful line is checked on its own ink, a sure line is kept as it is.
    img = _table([30, 110], [30, 190, 350])
    cv2.putText(img, "10", (60, 62), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    cv2.putText(img, "7", (60, 98), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    grid = find_grid(img, min_len=40, min_cell=8)
    upper, lower = Token("10", 58, 44, 92, 64, 0.99), Token("7", 58, 80, 76, 100, 0.6)
    assert [[t.text for t in line] for line in cell_lines([lower, upper])] == [["10"], ["7"]]
    checks = plan_checks(img, grid, {0: [upper, lower]}, text_height=20)
    assert [c.tokens for c in checks] == [(lower,)]
    _, y0, _, y1 = checks[0].ink
    assert y0 >= 78 and y1 <= 102, "the check sees the lower line's ink only"
    out = review_cells(img, grid, [upper, lower], lambda crops: [("7", 0.95)] * len(crops), text_height=20)
    assert [(t.text, round(t.top), round(t.bottom)) for t in out] == [("107", 44, 100)]  # one value


def test_wrapped_pieces_join_per_column() -> None:
    # Two columns of one unruled row (a cell spanning both): 2 / , / 68 / 9 in each, the comma
    # of the right one lost as a speck; a label and a dash stay as they are.
    def tok(text: str, x: float, top: float) -> Token:
        return Token(text, x, top, x + 8 * len(text), top + 8, 0.99)

    left = [tok("2", 10, 0), tok(",", 10, 10), tok("68", 10, 20), tok("9", 10, 30)]
    right = [tok("2", 100, 0), tok("68", 100, 20), tok("9", 100, 30)]
    others = [tok("行政许可", 200, 0), tok("—", 60, 20)]
    joined = join_wrapped([*left, *right, *others])
    assert sorted(t.text for t in joined) == sorted(["2,689", "2689", "行政许可", "—"])
    far = [tok("12", 10, 0), tok("34", 10, 40)]  # rows apart, not one number
    assert [t.text for t in join_wrapped(far)] == ["12", "34"]
