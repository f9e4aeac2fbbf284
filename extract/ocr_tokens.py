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
_FULLWIDTH_NUMERIC = str.maketrans({"，": ",", "．": ".", "＋": "+", "－": "-", "／": "/"})
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


def normalise_token(text: str) -> str:
    """Full-width digits → ASCII; in a numeric token also full-width ``，．＋－``."""
    s = text.translate(_FULLWIDTH_DIGITS)
    t = s.translate(_FULLWIDTH_NUMERIC)
    return t if NUMERIC.match(t) else s


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


def split_box(box: OcrBox, cell_of: Callable[[float, float], int], gap_factor: float = 1.0) -> list[Token]:
    """Split one OCR line into tokens at spaces, at gaps wider than ``gap_factor`` × line height and
    where consecutive characters fall in different table cells (``cell_of(x, y)``, -1 outside)."""
    height = box.bottom - box.top
    yc = (box.top + box.bottom) / 2
    runs: list[list[Char]] = []
    current: list[Char] = []
    prev: Char | None = None
    prev_cell = None
    for ch in box.chars:
        if ch.text.isspace():
            if current:
                runs.append(current)
            current, prev = [], None
            continue
        cell = cell_of((ch.x0 + ch.x1) / 2, yc)
        if prev is not None and (cell != prev_cell or ch.x0 - prev.x1 > gap_factor * height):
            runs.append(current)
            current = []
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
