"""OCR text boxes → per-token words (pure functions, pixel space).

A text layer gives one word per printed token; OCR gives one box per detected text line, which may
hold a whole row of numbers (``3 0 0 0 0 3``) or a label run into a number. We split boxes at
white space, at wide gaps and at table-cell boundaries, placing each token by the recogniser's
per-character x positions (or by interpolation when those are missing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PixBox = tuple[int, int, int, int]

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_FULLWIDTH_NUMERIC = str.maketrans(
    {"，": ",", "．": ".", "＋": "+", "－": "-", "／": "/", **dict.fromkeys("〇○OoＯ", "0")}
)
NUMERIC = re.compile(r"^[+\-]?\d[\d,]*(?:\.\d+)?$")
DASH = re.compile(r"^[—–\-－/／一]+$")  # printed "nothing": em dash, hyphen, slash (一 is OCR's dash)
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Char:
    text: str
    x0: float
    x1: float
    conf: float


@dataclass(frozen=True)
class OcrBox:
    """One recognised text line: axis-aligned box, text, line score and its characters."""

    text: str
    score: float
    x0: float
    top: float
    x1: float
    bottom: float
    chars: tuple[Char, ...]


@dataclass(frozen=True)
class Token:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    conf: float

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2


# A row label's leading number as OCR misreads it: ``2,没有…`` (the period read as a comma) or
# ``8属于…`` (the period or 、 lost). Never before a counter or unit: ``3月``, ``2件`` stay.
_LABEL_NUM_MISREAD = re.compile(r"^(\d{1,2})[,，·˙'’`]\s*(?=[\u4e00-\u9fff])")
_LABEL_NUM_LOST = re.compile(r"^([1-9])(?=[\u4e00-\u9fff]{2})(?![年月日号个件条项人次份元万千百亿])")


# Characters the recogniser confuses with the ideographic comma, which labels use after a numeral
# (四、 read as 四丶 or 四～); 丶 is a radical and never printed as text.
CHAR_FIX = {"丶": "、"}
_CN_NUM_SEP = re.compile(r"^([一二三四五六七八九十]{1,3})[～~・·](?=[\u4e00-\u9fff])")
_DASHED_NUMBER = re.compile(r"^[一—–\-]*\d+[一—–\-]*$")
# 一 read as a dash where a label numbers its row: （一）, 一、
_DASH_ONE = re.compile(r"^(?:([（(])[—－\-–]([）)])|[—－\-–](、))")


def normalise_token(text: str) -> str:
    """Full-width digits → ASCII; in a numeric token also full-width ``，．＋－`` and ``〇``; a
    misread label number ``2,没有`` / ``8属于`` → ``2.没有`` / ``8.属于``."""
    if len(text) > 1:
        text = text.strip("|｜")  # a table rule read with the text beside it; reports print no bars
    s = text.translate(_FULLWIDTH_DIGITS)
    t = s.translate(_FULLWIDTH_NUMERIC)
    if NUMERIC.match(t):
        return t
    if _DASHED_NUMBER.match(s):
        return s.replace("一", "—")  # — 1 — read as 一1一: a page number, not a numeral
    if has_cjk(s):
        s = _LABEL_NUM_LOST.sub(r"\1.", _LABEL_NUM_MISREAD.sub(r"\1.", s))
        s = _CN_NUM_SEP.sub(r"\1、", s)
        s = _DASH_ONE.sub(lambda m: f"{m.group(1)}一{m.group(2)}" if m.group(1) else "一、", s)
    return s


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def is_value_text(text: str) -> bool:
    """A printed table value: a number or a dash/slash meaning none."""
    return bool(NUMERIC.match(text) or DASH.match(text))


def box_chars(
    text: str,
    x0: float,
    x1: float,
    char_boxes: Sequence[tuple[float, float]] | None,
    confs: Sequence[float] | None,
    score: float,
) -> tuple[Char, ...]:
    """Characters with x extents: the recogniser's when they line up with the text, else interpolated."""
    n = len(text)
    if n == 0:
        return ()
    conf = list(confs) if confs is not None and len(confs) == n else [score] * n
    if char_boxes is not None and len(char_boxes) == n:
        return tuple(Char(c, bx0, bx1, cf) for c, (bx0, bx1), cf in zip(text, char_boxes, conf, strict=True))
    step = (x1 - x0) / n
    return tuple(Char(c, x0 + i * step, x0 + (i + 1) * step, conf[i]) for i, c in enumerate(text))


# Punctuation whose glyph leaves a wide blank beside it inside one word: no word ends with an
# opening mark, none starts with a closing or separating one; never a word break there.
_OPENS = frozenset("（(《“‘〔[【")
_SEPARATORS = frozenset("、，,。.．：:；;")  # their glyph's blank follows them: a break only beyond it
_CLOSES = _SEPARATORS | frozenset("）)》”’〕]】")


SEPARATOR_GAP = 2.5  # after 、 , . a break only this many text heights away: the mark carries its blank
DIGIT_GAP = 1.0  # digits of one number are never this far apart (full-width digits leave half a text height)


def _word_break(prev: str, nxt: str, gap: float, height: float, gap_factor: float) -> bool:
    """Whether an ink gap between two recognised characters separates two words."""
    if gap <= gap_factor * height:
        return False  # a word's own spacing
    if prev in _SEPARATORS:
        # 一、 本年…: the separator's own blank; no label or value ends with one
        return gap > SEPARATOR_GAP * height
    if gap > height:
        return True  # a table column's gap
    if (prev in _CLOSES or prev in _OPENS) and nxt.isdigit():
        return True  # （三） | 4.保护…: a row number starts the next cell's label, not a bracket's
    if prev in _OPENS or nxt in _CLOSES or prev in _CLOSES:
        return False  # the blank an opening or closing mark carries
    if prev.isdigit() and has_cjk(nxt):
        return False  # a row number whose 、 or . the recogniser dropped: 4、保护 read as 4 保护
    if prev.isdigit() and nxt.isdigit():
        return gap > DIGIT_GAP * height  # a narrow 1 leaves room on both sides
    return True


def split_box(box: OcrBox, cell_of: Callable[[float, float], int], gap_factor: float = 0.3) -> list[Token]:
    """Split one OCR line into tokens at spaces, where consecutive characters fall in different
    table cells (``cell_of(x, y)``, -1 outside), and at ink gaps wider than ``gap_factor`` × line
    height (the columns of an unruled table; not after ``、`` or before ``）``, whose glyphs
    carry their own blank)."""
    height = box.bottom - box.top
    yc = (box.top + box.bottom) / 2
    runs: list[list[Char]] = []
    current: list[Char] = []
    prev: Char | None = None
    prev_cell = None
    spaced = False
    for ch in box.chars:
        if ch.text.isspace():
            spaced = True  # the recogniser's space: a break, unless it split a number
            continue
        cell = cell_of((ch.x0 + ch.x1) / 2, yc)
        if prev is not None:
            gap = ch.x0 - prev.x1
            if spaced and prev.text.isdigit() and ch.text.isdigit():
                brk = gap > DIGIT_GAP * height
            else:
                brk = spaced or _word_break(prev.text, ch.text, gap, height, gap_factor)
            if cell != prev_cell or brk:
                runs.append(current)
                current = []
        spaced = False
        current.append(ch)
        prev, prev_cell = ch, cell
    if current:
        runs.append(current)
    tokens = []
    for run in runs:
        text = normalise_token("".join(c.text for c in run))
        tokens.append(Token(text, run[0].x0, box.top, run[-1].x1, box.bottom, min(c.conf for c in run)))
    return tokens


def reading_lines(boxes: Sequence[OcrBox]) -> list[str]:
    """Box texts grouped into lines (vertical overlap with the line's first box), left to right."""
    lines: list[list[OcrBox]] = []
    for b in sorted(boxes, key=lambda b: (b.top + b.bottom) / 2):
        yc = (b.top + b.bottom) / 2
        for line in lines:
            first = line[0]
            if first.top <= yc <= first.bottom:
                line.append(b)
                break
        else:
            lines.append([b])
    out = []
    for line in lines:
        parts = [b.text for b in sorted(line, key=lambda b: b.x0)]
        text = ""
        for p in parts:
            # Join CJK runs directly (no spaces in Chinese), anything else with one space.
            text = text + p if text and has_cjk(text[-1]) and has_cjk(p[:1]) else (f"{text} {p}" if text else p)
        out.append(text)
    return out
