"""`extract.reader.glyphs` groups glyphs into words and paths into rules exactly as pdfplumber does.

The PDFium backend relies on these functions to hand the layout engine what pdfplumber would;
here they run on pdfplumber's own glyphs (from generated PDFs) and must give pdfplumber's words.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from pdfplumber.utils.text import dedupe_chars
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from gidar.extract.reader.glyphs import X_TOLERANCE, Y_TOLERANCE, Glyph, dedupe, dedupe_needed, rulings, words

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))


def _tricky_page(path: Path) -> Path:
    """Letter-spaced and tightly set text, fake bold, a rotated label, numbers in columns."""
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 12)
    c.drawString(72, 760, "政府信息公开工作年度报告")
    for dx in (0.0, 0.4):  # fake bold: the heading drawn twice, a fraction of a point apart
        c.drawString(72 + dx, 730, "三、收到和处理政府信息公开申请情况")
    t = c.beginText(72, 700)
    t.setFont("STSong-Light", 10)
    t.setCharSpace(1.2)  # under the word gap tolerance: one word
    t.textLine("自然人 法人或其他组织")
    t.setCharSpace(2.5)  # over it: every glyph its own word
    t.textLine("总计")
    c.drawText(t)
    for i, x in enumerate((300, 340, 381.5, 420)):  # values with gaps around the tolerance
        c.drawString(x, 650, str(10 * i + 7))
    c.saveState()
    c.translate(60, 500)
    c.rotate(90)
    c.drawString(0, 0, "三、本年度办理结果")  # a vertical label: rotated glyphs
    c.restoreState()
    c.drawString(72, 480, "1,234  5.6  —  ")
    c.save()
    return path


@pytest.fixture(scope="module")
def chars(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    pdf = _tricky_page(tmp_path_factory.mktemp("glyphs") / "tricky.pdf")
    with pdfplumber.open(pdf) as doc:
        return list(doc.pages[0].chars)


def _glyph(c: dict) -> Glyph:
    return Glyph(c["text"], c["x0"], c["top"], c["x1"], c["bottom"], bool(c["upright"]), c["fontname"], c["size"])


def test_words_are_pdfplumbers_words(chars: list[dict]) -> None:
    want = pdfplumber.utils.extract_words(chars, x_tolerance=X_TOLERANCE, y_tolerance=Y_TOLERANCE)
    got = words([_glyph(c) for c in chars])
    assert [(w["text"], w["x0"], w["top"], w["x1"], w["bottom"]) for w in want] == got
    texts = [w[0] for w in got]
    assert "自然人" in texts and "总" in texts and "计" in texts  # the spacing cases did split as intended
    assert any(not c["upright"] for c in chars)  # the rotated label really is rotated


def test_dedupe_is_pdfplumbers_dedupe(chars: list[dict]) -> None:
    glyphs = [_glyph(c) for c in chars]
    assert dedupe_needed(glyphs)  # the fake-bold heading is detected
    want = [(c["text"], c["x0"], c["top"]) for c in dedupe_chars(chars)]
    assert [(g.text, g.x0, g.top) for g in dedupe(glyphs)] == want
    heading = [w[0] for w in words(dedupe(glyphs)) if w[0].startswith("三、收到")]
    assert heading == ["三、收到和处理政府信息公开申请情况"]


def test_rulings_from_paths() -> None:
    rect = [(10.0, 20.0), (110.0, 20.0), (110.0, 60.0), (10.0, 60.0), (10.0, 20.0)]
    line_closed = [(200.0, 5.0), (200.0, 95.0), (200.0, 5.0)]  # "m l h": one segment, not two
    slanted = [(0.0, 0.0), (50.0, 40.0)]
    short = [(300.0, 10.0), (302.5, 10.0)]  # a tick, not a rule
    thin_fill = [(50.0, 100.0), (250.0, 100.0), (250.0, 100.5), (50.0, 100.5), (50.0, 100.0)]
    h, v = rulings([rect, line_closed, slanted, short, thin_fill])
    assert sorted(h) == [(20.0, 10.0, 110.0), (60.0, 10.0, 110.0), (100.0, 50.0, 250.0), (100.5, 50.0, 250.0)]
    assert sorted(v) == [(10.0, 20.0, 60.0), (110.0, 20.0, 60.0), (200.0, 5.0, 95.0)]


def test_characters_beyond_the_bmp_are_one_glyph() -> None:
    # PDFium hands 𬒗 (U+2C497, a rare place-name character) over as its two UTF-16 halves
    from gidar.extract.reader.glyphs import Glyph
    from gidar.extract.reader.pdfium import _join_surrogates

    glyphs = [Glyph("干", 0, 0, 9, 9), Glyph("\ud871", 9, 0, 18, 9), Glyph("\udc97", 9, 0, 18, 9)]
    glyphs.append(Glyph("\udc00", 30, 0, 39, 9))
    assert [g.text for g in _join_surrogates(glyphs)] == ["干", "\U0002c497", "\ufffd"]  # a lone half is none


def test_ligatures_are_spelt_out_and_other_words_left_as_they_are() -> None:
    row = [Glyph(t, 10.0 + 5 * i, 100.0, 15.0 + 5 * i, 110.0) for i, t in enumerate("ﬁnd ﬀ公开")]
    assert [w[0] for w in words(row)] == ["find", "ff公开"]


def test_upright_lines_are_split_as_the_general_rule_splits_them() -> None:
    """`_words_of_upright_line` (the common case, on unpacked locals) gives what `_words_of_line`
    gives, to the bit: random lines with blanks, ties, overlaps, gaps about the tolerances,
    signed zeros and a NaN."""
    import random

    from gidar.extract.reader.glyphs import _X0, _words_of_line, _words_of_upright_line

    rnd = random.Random(8)
    for _ in range(2000):
        line = []
        for _ in range(rnd.randint(0, 30)):
            x0 = rnd.choice([10.0, 11.0, 12.5, -0.0, 0.0, float("nan"), rnd.uniform(0, 60)])
            top = rnd.choice([100.0, 100.5, 102.0, 102.1, -0.0, 0.0, rnd.uniform(95, 105)])
            w = rnd.choice([0.0, X_TOLERANCE, rnd.uniform(0, 4)])
            text = rnd.choice(["a", "中", " ", "\u3000", "ﬁ", "(cid:7)"])
            line.append(Glyph(text, x0, top, x0 + w, top + rnd.choice([10.0, 12.0])))
        line.sort(key=_X0)
        want, got = _words_of_line(line, True), _words_of_upright_line(line)
        assert repr(got) == repr(want), line
