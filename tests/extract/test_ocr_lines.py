"""Fast checks of the OCR page geometry (no recogniser): segments from detector boxes, strips and
the characters handed back, orientation and skew, stroke counts, CTC decoding, token fixes."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from gidar.extract import ocr_lines as ol
from gidar.extract import ocr_orient as orient
from gidar.extract.ocr_engine import REC_HEIGHT, SAME_READING, CharHit, _decode
from gidar.extract.ocr_glyph import count_strokes, numeral_by_strokes
from gidar.extract.ocr_grid import find_grid
from gidar.extract.ocr_tokens import normalise_token

TH = 20  # glyph height of the drawings below, pixels


def _page(h: int = 400, w: int = 700) -> np.ndarray:
    return np.full((h, w), 255, np.uint8)


def _glyph(img: np.ndarray, x: int, y: int, w: int = TH, h: int = TH) -> None:
    """A character-like blob filling [x, x + w) × [y, y + h): a box outline with a bar."""
    img[y : y + h, x : x + w][[0, 1, h // 2, h - 2, h - 1], :] = 0
    img[y : y + h, x : x + w][:, [0, 1, w - 2, w - 1]] = 0


def _word(img: np.ndarray, x: int, y: int, n: int, step: int = TH + 3) -> tuple[int, int, int, int]:
    for k in range(n):
        _glyph(img, x + k * step, y)
    return x, y, x + (n - 1) * step + TH, y + TH


def _segments(img: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> list[ol.Segment]:
    grid = find_grid(img, min_len=40, min_cell=8)
    segs, th, _rules = ol.segments(img, grid, boxes, TH)
    assert th == pytest.approx(TH, abs=2)
    return sorted(segs, key=lambda s: (s.y0, s.x0))


def test_inflated_overlapping_boxes_give_each_line_once() -> None:
    img = _page()
    a = _word(img, 50, 50, 6)
    b = _word(img, 50, 76, 6)  # the next line of a wrapped label, 6 px below
    inflate = 9  # the detector's boxes reach well into the neighbouring line
    boxes = [(x0 - inflate, y0 - inflate, x1 + inflate, y1 + inflate) for x0, y0, x1, y1 in (a, b)]
    segs = _segments(img, boxes)
    assert [(s.y0, s.y1) for s in segs] == [(50, 70), (76, 96)]


def test_ink_no_box_holds_is_read_and_joins_its_line() -> None:
    img = _page()
    label = _word(img, 80, 100, 5)
    _glyph(img, 50, 100)  # 一、 before 本年…: the detector started its box after it
    _glyph(img, 400, 100, w=10)  # a lone 0 in a far column
    segs = _segments(img, [label])
    assert [(s.x0, s.x1) for s in segs] == [(50, label[2]), (400, 410)]


def test_box_across_a_rule_is_cut_into_its_cells() -> None:
    img = _page()
    cv2.rectangle(img, (40, 40), (600, 140), 0, 2)
    cv2.line(img, (300, 40), (300, 140), 0, 2)
    _word(img, 60, 80, 4)
    _glyph(img, 320, 80, w=10)
    segs = _segments(img, [(55, 75, 340, 105)])  # one detected line over both cells
    assert len(segs) == 2 and segs[0].cell != segs[1].cell >= 0
    assert segs[0].x1 < 300 < segs[1].x0


def test_characters_printed_down_the_page_form_a_stack() -> None:
    img = _page()
    for k in range(4):  # 三、本年… printed one character per line
        _glyph(img, 60, 50 + k * (TH + 6))
    segs = _segments(img, [(55, 45, 85, 50 + 4 * (TH + 6))])
    assert len(segs) == 4 and len({s.stack for s in segs}) == 1 and segs[0].stack >= 0
    assert len(ol.visual_lines(segs)) == 1  # read together, as one word


def test_strip_hands_each_character_back_to_its_segment() -> None:
    img = _page()
    segs = [ol.Segment(*_word(img, 50, 100, 3), -1), ol.Segment(400, 100, 410, 120, -1)]
    _glyph(img, 400, 100, w=10)
    strip = ol.build_strip(img, np.zeros(img.shape, bool), segs, [0, 1])
    assert strip.image.shape[0] == REC_HEIGHT
    (a0, a1), (b0, b1) = strip.spans
    assert a1 < b0  # a white gap between the pieces
    hits = [CharHit("本", a0 + 5, 0.9), CharHit("年", (a0 + a1) / 2, 0.8), CharHit("0", (b0 + b1) / 2, 0.99)]
    ink = img < 160
    boxes = ol.split_hits(strip, hits, segs, ink)
    assert boxes[0].text == "本年" and boxes[1].text == "0"
    assert boxes[1].chars[0].x0 >= 400 and boxes[1].chars[0].x1 <= 410


def test_sideways_page_and_skew_from_boxes() -> None:
    def quad(x: float, y: float, w: float, h: float, deg: float = 0.0) -> np.ndarray:
        c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
        pts = [(0, 0), (w, 0), (w, h), (0, h)]
        return np.array([(x + px * c + py * s, y - px * s + py * c) for px, py in pts], np.float32)

    lines = np.stack([quad(50, 100 + 40 * k, 400, 20, 2.0) for k in range(6)])
    assert not orient.is_sideways(lines)
    assert orient.skew_degrees(lines) == pytest.approx(2.0, abs=0.1)
    turned = np.stack([quad(100 + 40 * k, 50, 20, 400) for k in range(6)])  # a page turned by 90°
    assert orient.is_sideways(turned)
    moved = orient.transform_quads(lines, orient.rotation_matrix((800, 600), -2.0))
    assert orient.skew_degrees(moved) == pytest.approx(0.0, abs=0.1)


@pytest.mark.parametrize(("skew", "coarse"), [(-3.0, -3.7), (2.4, 1.6), (0.0, 0.4)])
def test_skew_refined_on_the_ink(skew: float, coarse: float) -> None:
    # A ruled table with rows of glyphs, turned by ``skew``: the boxes' estimate (``coarse``,
    # off by up to a degree on a page of few lines) is refined on the ink's row profile.
    img = _page(600, 900)
    for k in range(8):
        y = 100 + 50 * k
        img[y - 12 : y - 10, 80:820] = 0
        _word(img, 100, y, 12)
    img[y + 30 : y + 32, 80:820] = 0
    turned = cv2.warpAffine(img, orient.rotation_matrix(img.shape, skew), (900, 600), borderValue=255)
    found = orient.refine_skew(turned < 128, coarse)
    assert found == pytest.approx(skew, abs=0.15)


@pytest.mark.parametrize(("n", "numeral"), [(1, "一"), (2, "二"), (3, "三")])
def test_numeral_by_its_strokes(n: int, numeral: str) -> None:
    ink = np.zeros((TH, TH), bool)
    for k in range(n):
        ink[3 + k * 7, 2:18] = True
    assert count_strokes(ink) == n
    assert numeral_by_strokes(ink, "二" if numeral != "二" else "三") == numeral
    ink[:, 0] = True  # a bracket's stroke beside it: no clean count, the reading stays
    assert numeral_by_strokes(ink, "二") == "二"


def test_decode_keeps_positions_and_pools_same_readings() -> None:
    charset = ["blank", "0", "O", "1", " "]
    steps = 10
    preds = np.zeros((1, steps, len(charset)), np.float32)
    preds[0, :, 0] = 1.0
    preds[0, 2] = [0.0, 0.45, 0.55, 0.0, 0.0]  # a lone zero the model half reads as O
    preds[0, 6] = [0.0, 0.0, 0.0, 1.0, 0.0]
    groups = [np.array([i for i, c in enumerate(charset) if c in g], np.int64) for g in SAME_READING]
    hits = _decode(preds, charset, width=80, groups=groups)[0]
    assert [(h.text, h.x) for h in hits] == [("O", 20.0), ("1", 52.0)]
    assert hits[0].conf == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("O", "0"),
        ("1O", "10"),
        ("四～结转下年度", "四、结转下年度"),
        ("（—)予以公开", "（一)予以公开"),
        ("—、本年新收", "一、本年新收"),
        ("2,没有现成信息", "2.没有现成信息"),
        ("8属于行政查询事项", "8.属于行政查询事项"),
        ("1一", "1—"),
        ("3月1日", "3月1日"),
        ("|（一)予以公开", "（一)予以公开"),
        ("二〇二一年", "二〇二一年"),
    ],
)
def test_token_fixes(read: str, meant: str) -> None:
    assert normalise_token(read) == meant


def test_tokens_at_the_scans_edge_are_not_clean_reads() -> None:
    # Deskewing by 2.5° turns white corners in along the border: a value beside them, or beside
    # the image border, may have been cut short (a table run off the page) and gets EDGE_CONF.
    from gidar.extract.ocr import EDGE_CONF, _at_edge
    from gidar.extract.ocr_tokens import Token

    scanned = orient.scanned_area((1000, 800), 2.5)
    assert scanned[500, 400] and not scanned[5, 795] and not scanned[995, 5]
    centre, left = Token("12", 380, 490, 420, 506, 0.99), Token("5", 24, 40, 34, 56, 0.99)
    assert not _at_edge(centre, scanned) and _at_edge(left, scanned)
    assert _at_edge(Token("5", 5, 490, 15, 506, 0.99), orient.scanned_area((1000, 800), 0.0))
    assert EDGE_CONF < 0.8  # under the review threshold (layout.checks.OCR_REVIEW_CONF)
