"""From detected text boxes to what the recogniser reads: segments, visual lines, strips (pure).

A *segment* is one piece of printed text in page pixels: a detected box cut at the table rules it
crosses and shrunk to its ink, a character of a vertically printed label, or ink the detector
missed (an isolated ``0`` in a ruled cell, most often). Segments on one visual line are pasted,
at their printed size and height, side by side with a fixed white gap into one *strip*, which
the recogniser reads in a single pass: a table row of seven values costs about one crop instead
of seven padded ones, and each value is read in the context of its neighbours, which steadies
lone digits. The characters come back with strip positions and are handed back to their
segments (`split_hits`).

Prose (long dense lines outside any table) is not needed for the tables and is most of a
report's ink: `is_prose` lets the caller skip it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from gidar.extract.ocr_engine import REC_HEIGHT, CharHit
from gidar.extract.ocr_grid import Grid, PixBox, dark_mask
from gidar.extract.ocr_tokens import CHAR_FIX, Char, OcrBox

WORD_GAP = 1.0  # a blank run this many text heights wide inside a box separates two words
RULE_BIT = 2.5  # ink this many text heights long ...
THIN_BIT = 0.3  # ... and at most this many thick is a piece of a rule, not text
STACK_MIN = 3  # characters in a column before it is taken for a label printed down (2 may be a
# row number above a wrapped label's last character; a two-character heading read apart is no loss)
WORD_NEIGHBOUR = 0.35  # a character this close to another on its line belongs to a word printed across
JOIN_GAP = 0.5  # segments this close on one line are one piece of text
FRAGMENT = 0.5  # a segment lower than this many text heights may be a piece of a glyph
CHAR_MAX = 1.6  # a blob wider or taller than this many text heights is more than one character
ATTACH_GAP = 1.2  # missed ink this close to a segment on its line joins it (words split later)
MIN_INK = 4  # pixels: a hyphen of 8-pt text at 144 dpi is 4 × 1, after JPEG
MIN_GLYPH = 0.4  # ink lower than this share of the default text height is a mark, not a glyph
MULTILINE = 1.4  # a box this many text heights tall may hold several lines ...
LINE_MIN = 0.6  # ... each at least this many text heights tall
STACKED = 1.8  # a column of ink this many times taller than the ink beside it holds two characters
STACK_RATIO = 1.8  # a box this many times taller than wide is a vertically printed label
LINE_OVERLAP = 0.5  # segments on one visual line overlap vertically by this share of the lower
LINE_CENTRE = 0.4  # ... their middles at most this share of the lower one apart
LINE_HEIGHT_RATIO = 1.8  # ... and differ in height by at most this factor
GAP = 0.6  # white gap between pasted segments, in strip heights (the recogniser reads it as space)
STACK_GAP = 0.15  # gap between the characters of a vertical label laid out as a line: a word's spacing
RIM = 2  # pixels of page taken around each segment's ink box
PAD_Y = 0.22  # white margin above and below a strip's band, in band heights
PROSE_WIDTH = 0.7  # a line this share of the page's text width or wider may be prose ...
TITLE_HEIGHT = 1.4  # ... and not in a font this much larger than the table text (titles, headings)
PROSE_GAP = 1.5  # ... when no blank run inside it is wider than this many text heights
MISSED_MIN_PX = 3  # missed ink is kept when it is at least this many pixels wide or tall (a hyphen)


@dataclass(frozen=True)
class Segment:
    x0: int
    y0: int
    x1: int
    y1: int
    cell: int  # grid cell holding it, -1 outside any ruled cell
    stack: int = -1  # characters printed one per line share a stack number

    @classmethod
    def of(cls, box: Sequence[int], cell: int, stack: int = -1) -> Segment:
        return cls(int(box[0]), int(box[1]), int(box[2]), int(box[3]), cell, stack)

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2


def _root(parent: list[int] | dict[int, int], i: int) -> int:
    """Union-find: the representative of i's group, halving the path as it goes."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def axis_boxes(quads: np.ndarray, shape: tuple[int, int]) -> list[PixBox]:
    """Axis-aligned integer boxes of detector quadrilaterals, clipped to the image."""
    h, w = shape
    out = []
    for q in quads:
        x0, y0 = int(max(0, math.floor(q[:, 0].min()))), int(max(0, math.floor(q[:, 1].min())))
        x1, y1 = int(min(w, math.ceil(q[:, 0].max()) + 1)), int(min(h, math.ceil(q[:, 1].max()) + 1))
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            out.append((x0, y0, x1, y1))
    return out


def _split_lines(ink: np.ndarray, box: PixBox, text_h: float, min_pixels: int) -> list[PixBox]:
    """A box too tall for one line of text cut at the blank pixel rows between its lines (the
    detector joins the lines of a label wrapped with little leading)."""
    x0, y0, x1, y1 = box
    if y1 - y0 < MULTILINE * text_h:
        return [box]
    rows = ink[y0:y1, x0:x1].any(axis=1).astype(np.int8)
    bands = [(s, e) for v, s, e in _runs(rows) if v]
    # strokes of one line (三, 二) leave blank rows too: join bands until each is a line high
    lines: list[list[int]] = []
    for s, e in bands:
        if lines and (lines[-1][1] - lines[-1][0] < LINE_MIN * text_h or e - s < 0.25 * text_h):
            lines[-1][1] = e
        else:
            lines.append([s, e])
    if len(lines) < 2:
        return [box]
    pieces = [(x0, y0 + s, x1, y0 + e) for s, e in lines]
    return [q for q in (_tight(ink, p, min_pixels) for p in pieces) if q]


def _ink(gray: np.ndarray, grid: Grid) -> np.ndarray:
    return dark_mask(gray) & ~grid.lines


def _tight(ink: np.ndarray, box: PixBox, min_pixels: int) -> PixBox | None:
    x0, y0, x1, y1 = box
    sub = ink[y0:y1, x0:x1]
    if int(sub.sum()) < min_pixels:
        return None
    ys, xs = np.nonzero(sub)
    return (x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1)


def _runs(arr: Any) -> list[tuple[int, int, int]]:
    """(value, start, end) runs of equal values of a 1-d array."""
    values = np.asarray(arr)
    if values.size == 0:
        return []
    cuts = np.nonzero(np.diff(values))[0] + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [values.size]])
    return [(int(values[s]), int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def _cell_parts(box: PixBox, grid: Grid) -> list[tuple[PixBox, int]]:
    """The box cut where it crosses from one ruled cell into another (sampled along its middle,
    across its long side); parts in a cell are clipped to it."""
    x0, y0, x1, y1 = box
    tall = (y1 - y0) > 1.5 * (x1 - x0)
    line = grid.index[y0:y1, (x0 + x1) // 2] if tall else grid.index[(y0 + y1) // 2, x0:x1]
    runs = [r for r in _runs(line) if r[0] >= 0]
    if not runs:
        return [(box, -1)]
    parts = []
    for cell, s, e in runs:
        cx0, cy0, cx1, cy1 = grid.cells[cell]
        part = (x0, y0 + s, x1, y0 + e) if tall else (x0 + s, y0, x0 + e, y1)
        parts.append(((max(part[0], cx0), max(part[1], cy0), min(part[2], cx1), min(part[3], cy1)), cell))
    # Text of the box outside the ruled cells (beside a table) stays one part of its own.
    outside = [(s, e) for c, s, e in _runs(line) if c < 0 and e - s > 0.25 * len(line)]
    for s, e in outside:
        part = (x0, y0 + s, x1, y0 + e) if tall else (x0 + s, y0, x0 + e, y1)
        parts.append((part, -1))
    return parts


def _split_at_gaps(ink: np.ndarray, box: PixBox, text_h: float, min_pixels: int) -> list[PixBox]:
    """The box cut at blank column runs of at least WORD_GAP text heights: the detector joins
    the cells of an unruled table row, or a label and the value beside it, into one line; the
    characters of one word are never that far apart."""
    x0, y0, x1, y1 = box
    cols = np.asarray(ink[y0:y1, x0:x1].any(axis=0), np.int8)
    cuts = [(s, e) for v, s, e in _runs(cols) if not v and e - s >= WORD_GAP * text_h and s > 0 and e < len(cols)]
    if not cuts:
        return [box]
    edges = [0] + [c for s, e in cuts for c in (s, e)] + [len(cols)]
    pieces = [(x0 + edges[k], y0, x0 + edges[k + 1], y1) for k in range(0, len(edges), 2)]
    return [q for q in (_tight(ink, p, min_pixels) for p in pieces) if q]


def _split_misaligned(ink: np.ndarray, box: PixBox, text_h: float, min_pixels: int) -> list[PixBox]:
    """The box cut where its ink steps up or down by half a line, or where a column of two
    characters one above the other meets a line: labels of neighbouring cells printed at
    different heights, or a label printed down the page, that the detector boxed as one line."""
    x0, y0, x1, y1 = box
    sub = ink[y0:y1, x0:x1]
    cols = sub.any(axis=0).astype(np.int8)
    chunks = [(s, e) for v, s, e in _runs(cols) if v]
    if len(chunks) < 2:
        return [box]
    extents: list[tuple[int, int]] = []
    two: list[bool] = []
    main: list[int] = []  # height of each chunk's tallest part
    for s, e in chunks:
        rows = sub[:, s:e].any(axis=1)
        inked = np.nonzero(rows)[0]
        extents.append((int(inked[0]), int(inked[-1]) + 1))
        # two characters one above the other: ink, a blank, ink, each part a glyph high (the
        # strokes of 三 are one part: blanks under a quarter of a text height join)
        parts: list[list[int]] = []
        for v, b, c in _runs(rows.astype(np.int8)):
            if not v:
                continue
            if parts and b - parts[-1][1] < 0.25 * text_h:
                parts[-1][1] = c
            else:
                parts.append([b, c])
        two.append(sum(c - b >= 0.4 * text_h for b, c in parts) >= 2)
        main.append(max(c - b for b, c in parts))
    cuts = []
    for k in range(1, len(chunks)):
        (a0, a1), (b0, b1) = extents[k - 1], extents[k]
        ha, hb = a1 - a0, b1 - b0
        if min(ha, hb) < 0.5 * text_h:
            continue  # a mark (、 . -) sits where it likes
        stacked = (two[k - 1] and ha > STACKED * main[k]) or (two[k] and hb > STACKED * main[k - 1])
        if min(a1, b1) - max(a0, b0) < 0.5 * min(ha, hb) or stacked:
            cuts.append(chunks[k][0])  # half a line up or down, or two characters one above the other
    if not cuts:
        return [box]
    edges = [0, *cuts, x1 - x0]
    pieces = [(x0 + edges[k], y0, x0 + edges[k + 1], y1) for k in range(len(edges) - 1)]
    return [q for q in (_tight(ink, p, min_pixels) for p in pieces) if q]


def _stack_chars(ink: np.ndarray, box: PixBox) -> list[PixBox]:
    """A vertically printed label (one character per line) cut into its characters.

    Blank pixel rows separate strokes as well as characters (三 is three strokes), so pieces
    are joined while the character stays about square; a piece that would make it much taller
    than wide starts the next character."""
    x0, y0, x1, y1 = box
    rows = ink[y0:y1, x0:x1].any(axis=1)
    pieces = [(s, e) for v, s, e in _runs(rows.astype(np.int8)) if v]
    width = x1 - x0
    chars: list[list[int]] = []
    for s, e in pieces:
        if chars and (e - chars[-1][0] <= 1.15 * width or chars[-1][1] - chars[-1][0] < 0.2 * width):
            chars[-1][1] = e
        else:
            chars.append([s, e])
    return [(x0, y0 + s, x1, y0 + e) for s, e in chars]


def _weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    order = np.argsort(values)
    cum = np.cumsum(np.asarray(weights, np.float64)[order])
    return float(np.asarray(values, np.float64)[order][np.searchsorted(cum, cum[-1] / 2)])


def _owners(boxes: Sequence[PixBox], centroids: np.ndarray) -> np.ndarray:
    """For each ink component (by its centroid), the detected box it belongs to, or -1. A
    centroid inside several (inflated, overlapping) boxes goes to the one whose centre is
    nearest, in units of the box's size."""
    if len(boxes) == 0 or len(centroids) == 0:
        return np.full(len(centroids), -1, np.int64)
    b = np.asarray(boxes, np.float64)
    cx, cy = centroids[:, :1], centroids[:, 1:2]
    inside = (cx >= b[:, 0]) & (cx < b[:, 2]) & (cy >= b[:, 1]) & (cy < b[:, 3])
    dist = np.hypot(
        (cx - (b[:, 0] + b[:, 2]) / 2) / np.maximum(1, b[:, 2] - b[:, 0]),
        (cy - (b[:, 1] + b[:, 3]) / 2) / np.maximum(1, b[:, 3] - b[:, 1]),
    )
    dist[~inside] = np.inf
    owner = dist.argmin(axis=1)
    owner[~inside.any(axis=1)] = -1
    return owner


def _spans(owner: np.ndarray, stats: np.ndarray, n_boxes: int) -> list[tuple[int, np.ndarray, PixBox]]:
    """(box, its ink components, their bounding box) for every box that holds ink."""
    spans = []
    for b in range(n_boxes):
        ids = np.nonzero(owner == b)[0] + 1
        if ids.size:
            x0, y0 = int(stats[ids, 0].min()), int(stats[ids, 1].min())
            x1 = int((stats[ids, 0] + stats[ids, 2]).max())
            y1 = int((stats[ids, 1] + stats[ids, 3]).max())
            spans.append((b, ids, (x0, y0, x1, y1)))
    return spans


def segments(
    gray: np.ndarray, grid: Grid, boxes: Sequence[PixBox], default_h: float
) -> tuple[list[Segment], float, np.ndarray]:
    """Detected boxes → segments, plus the ink no box holds; the page's typical glyph height;
    and the pixels of rule fragments the grid left (to be whitened like rules).

    Each ink component (rules removed) belongs to the box holding its centroid, so boxes that
    are inflated, overlap, or cover only part of a glyph still give whole glyphs once. A box's
    ink is then cut at the rules into cells, into lines when it holds several, at wide gaps into
    words, and a vertically printed label into its characters. The glyph height is the median
    height of the ink of boxes that hold one line (wider than tall), ``default_h`` without any."""
    ink = _ink(gray, grid)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    owner = _owners(boxes, centroids[1:])
    spans = _spans(owner, stats, len(boxes))
    # glyph height: of one-line boxes, weighted by width (labels and headings, not the dashes
    # and slashes that can fill a page of zeros); marks under MIN_GLYPH of the default ignored
    lined = [
        (bb[3] - bb[1], bb[2] - bb[0])
        for _, _, bb in spans
        if bb[2] - bb[0] >= 1.5 * (bb[3] - bb[1]) and bb[3] - bb[1] >= MIN_GLYPH * default_h
    ]
    text_h = _weighted_median([h for h, _ in lined], [w for _, w in lined]) if lined else default_h
    # Pieces of a rule the grid did not take (a skewed scan's rule broken by resampling, a rule
    # of an unruled-looking table): longer and thinner than any stroke of text. Inside a text
    # box they would turn 一 into 二.
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    rule_like = ((w >= RULE_BIT * text_h) & (h <= THIN_BIT * text_h)) | (
        (h >= RULE_BIT * text_h) & (w <= THIN_BIT * text_h)
    )
    # ... and stubs of a rule the grid took, where JPEG broke it: thin and touching that rule
    thin = ((w <= THIN_BIT * text_h) & (h >= THIN_BIT * text_h)) | ((h <= THIN_BIT * text_h) & (w >= THIN_BIT * text_h))
    if thin.any() and grid.lines.any():
        near = cv2.dilate(grid.lines.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        touching = np.zeros(n, bool)
        touching[np.unique(labels[near & ink])] = True
        rule_like |= thin & touching[1:]
    bits = np.isin(labels, np.nonzero(rule_like)[0] + 1) if rule_like.any() else np.zeros(ink.shape, bool)
    if rule_like.any():
        owner[rule_like] = -2
        spans = _spans(owner, stats, len(boxes))
    min_pixels = MIN_INK
    owned = np.zeros(ink.shape, bool)
    out: list[Segment] = []
    for _b, ids, (x0, y0, x1, y1) in spans:
        owned[y0:y1, x0:x1] = np.isin(labels[y0:y1, x0:x1], ids)
        for part, cell in _cell_parts((x0, y0, x1, y1), grid):
            t = _tight(owned, part, min_pixels)
            if t is None:
                continue
            if (t[3] - t[1]) >= STACK_RATIO * (t[2] - t[0]) and (t[2] - t[0]) <= 1.6 * text_h:
                chars = [q for q in (_tight(owned, p, min_pixels) for p in _stack_chars(owned, t)) if q]
                stack = len(out) if len(chars) > 1 else -1
                out += [Segment.of(q, cell, stack) for q in chars]
            else:
                for line in _split_lines(owned, t, text_h, min_pixels):
                    for piece in _split_misaligned(owned, line, text_h, min_pixels):
                        out += [Segment.of(q, cell) for q in _split_at_gaps(owned, piece, text_h, min_pixels)]
        owned[y0:y1, x0:x1] = False
    stray = np.nonzero(owner == -1)[0] + 1
    rest = np.isin(labels, stray) if stray.size else np.zeros(ink.shape, bool)
    # pieces of a glyph or two that the detector boxed on their own (the upper stroke of 二)
    # join their line like the ink it missed
    small = [s for s in out if s.stack < 0 and s.h < FRAGMENT * text_h and s.w <= CHAR_MAX * text_h]
    whole = [s for s in out if not (s.stack < 0 and s.h < FRAGMENT * text_h and s.w <= CHAR_MAX * text_h)]
    extra = _join_strokes(
        [[b.x0, b.y0, b.x1, b.y1] for b in small + missed_ink(rest, grid, text_h, min_pixels)], text_h
    )
    pieces = [Segment.of(b, grid.cell_at((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)) for b in extra]
    return stack_up(_join_close(attach(whole, pieces, text_h), text_h), text_h), text_h, bits


@dataclass(frozen=True)
class _Coords:
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    cell: np.ndarray
    stack: np.ndarray

    @property
    def h(self) -> np.ndarray:
        return self.y1 - self.y0

    @property
    def yc(self) -> np.ndarray:
        return (self.y0 + self.y1) / 2


def _coords(segs: Sequence[Segment]) -> _Coords:
    a = np.array([(s.x0, s.y0, s.x1, s.y1, s.cell, s.stack) for s in segs], np.float64).reshape(-1, 6)
    return _Coords(*(a[:, k] for k in range(6)))


def _join_close(segs: list[Segment], text_h: float) -> list[Segment]:
    """Segments side by side on one line in one cell, closer than JOIN_GAP text heights, are one
    piece of text the detector boxed in two (``1`` and ``0`` of ``10``); words are told apart
    after reading, by the characters (`ocr_tokens.split_box`)."""
    if len(segs) < 2:
        return segs
    c = _coords(segs)
    ov = np.minimum(c.y1[:, None], c.y1[None, :]) - np.maximum(c.y0[:, None], c.y0[None, :])
    lo = np.minimum(c.h[:, None], c.h[None, :])
    hi = np.maximum(c.h[:, None], c.h[None, :])
    gap = np.maximum(c.x0[:, None] - c.x1[None, :], c.x0[None, :] - c.x1[:, None])
    tall = np.maximum(c.y1[:, None], c.y1[None, :]) - np.minimum(c.y0[:, None], c.y0[None, :])
    pair = (
        (c.cell[:, None] == c.cell[None, :])
        & (c.stack[:, None] < 0)
        & (c.stack[None, :] < 0)
        & (ov >= 0.6 * lo)
        & (gap <= JOIN_GAP * text_h)
        & (hi <= 1.5 * lo)
        & (tall <= 1.2 * hi)  # still one line: not a bracket of the column beside, printed lower
    )
    np.fill_diagonal(pair, False)
    parent = list(range(len(segs)))

    for i, j in zip(*np.nonzero(np.triu(pair)), strict=True):
        parent[_root(parent, int(j))] = _root(parent, int(i))
    groups: dict[int, list[Segment]] = {}
    for i, s in enumerate(segs):
        groups.setdefault(_root(parent, i), []).append(s)
    return [
        g[0]
        if len(g) == 1
        else Segment(min(s.x0 for s in g), min(s.y0 for s in g), max(s.x1 for s in g), max(s.y1 for s in g), g[0].cell)
        for g in groups.values()
    ]


def _square(s: Segment, text_h: float) -> bool:
    """About the size and shape of one CJK character (digits are narrower, dashes flatter)."""
    return s.stack < 0 and 0.6 * text_h <= s.h <= CHAR_MAX * text_h and 0.6 <= s.w / max(1, s.h) <= 1.7


def stack_up(segs: list[Segment], text_h: float) -> list[Segment]:
    """Characters right below one another in one cell form a stack: a label printed one
    character per line (三、本年度办理结果 down a narrow column). A character with another right
    beside it on its line is part of a word printed across; a small mark (the 、 of 三、)
    joins the stack it sits in but makes none."""
    square = [_square(s, text_h) for s in segs]
    mark = [s.stack < 0 and s.h < ol_fragment(text_h) and s.w < 0.6 * text_h for s in segs]
    cand = [i for i in range(len(segs)) if square[i] or mark[i]]
    if not cand:
        return segs
    a, b = _coords([segs[i] for i in cand]), _coords(segs)
    same_line = np.abs(b.yc[None, :] - a.yc[:, None]) < 0.3 * np.maximum(a.h[:, None], b.h[None, :])
    apart = np.minimum(a.x1[:, None], b.x1[None, :]) - np.maximum(a.x0[:, None], b.x0[None, :]) < 0
    gap = np.maximum(b.x0[None, :] - a.x1[:, None], a.x0[:, None] - b.x1[None, :])
    lined = (same_line & apart & (gap < WORD_NEIGHBOUR * text_h)).any(axis=1)
    free = sorted((i for i, ln in zip(cand, lined, strict=True) if not ln), key=lambda i: segs[i].y0)
    parent = {i: i for i in free}

    for n, i in enumerate(free):
        upper = segs[i]
        for j in free[n + 1 :]:
            lower = segs[j]
            if lower.y0 - upper.y1 > 0.8 * text_h:
                break
            ov = min(upper.x1, lower.x1) - max(upper.x0, lower.x0)
            if lower.cell == upper.cell and lower.y0 >= upper.yc and ov >= 0.4 * min(upper.w, lower.w):
                parent[_root(parent, j)] = _root(parent, i)
    groups: dict[int, list[int]] = {}
    for i in free:
        groups.setdefault(_root(parent, i), []).append(i)
    out = list(segs)
    base = len(segs)
    for g, members in groups.items():
        if sum(square[i] for i in members) >= STACK_MIN:
            for i in members:
                s = out[i]
                out[i] = Segment(s.x0, s.y0, s.x1, s.y1, s.cell, base + g)
    return out


def ol_fragment(text_h: float) -> float:
    return FRAGMENT * text_h


def missed_ink(rest: np.ndarray, grid: Grid, text_h: float, min_pixels: int) -> list[Segment]:
    """Ink no detected box holds, grouped into character- or word-sized blobs: the detector
    drops some isolated short values (a lone ``0`` in a wide cell, a dash), a leading ``一、``,
    and characters printed one per line."""
    if not rest.any():
        return []
    rest8 = rest.astype(np.uint8)
    kx, ky = max(1, round(0.5 * text_h)), max(1, round(0.15 * text_h))
    blobs = cv2.dilate(rest8, np.ones((ky, kx), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    boxes = []
    for i in range(1, n):
        x, y, w, h, _a = (int(v) for v in stats[i])
        t = _tight(rest & (labels == i), (x, y, x + w, y + h), min_pixels=1)
        if t is not None:
            boxes.append(list(t))
    out = []
    for b in _join_strokes(boxes, text_h):
        t = _tight(rest, (b[0], b[1], b[2], b[3]), min_pixels)
        if t is None or max(t[2] - t[0], t[3] - t[1]) < MISSED_MIN_PX:
            continue
        if t[3] - t[1] > 3 * text_h and t[2] - t[0] < 0.5 * text_h:
            continue  # a stray vertical stroke (a rule the grid did not take), not text
        out.append(Segment.of(t, grid.cell_at((t[0] + t[2]) / 2, (t[1] + t[3]) / 2)))
    return out


def _join_strokes(boxes: list[list[int]], text_h: float) -> list[list[int]]:
    """Join character-sized blobs stacked in one column while the result stays about square and
    character-sized: the strokes of 三 or 二 are separate blobs; two characters printed one per
    line, or two lines of text, are not one."""
    limit = CHAR_MAX * text_h
    changed = True
    while changed:
        changed = False
        boxes.sort(key=lambda b: (b[1], b[0]))
        for i, a in enumerate(boxes):
            if a[2] - a[0] > limit or a[3] - a[1] > limit:
                continue
            for j in range(i + 1, len(boxes)):
                b = boxes[j]
                ov = min(a[2], b[2]) - max(a[0], b[0])
                if ov < 0.5 * min(a[2] - a[0], b[2] - b[0]):
                    continue
                u = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                if u[3] - u[1] <= 1.15 * (u[2] - u[0]) and max(u[2] - u[0], u[3] - u[1]) <= limit:
                    boxes[i] = u
                    del boxes[j]
                    changed = True
                    break
            if changed:
                break
    return boxes


def attach(segs: list[Segment], extra: Sequence[Segment], text_h: float) -> list[Segment]:
    """Extra segments (missed ink) that sit on a segment's line right before or after it, in the
    same cell, become part of it: ``一、`` + ``本年新收…`` is one label. Extras are taken left to
    right and one that joins nothing stands alone, so a line the detector missed whole is
    rebuilt from its pieces; a second pass joins those that the first left alone too early."""
    out = list(segs)
    alone: list[int] = []
    for e in sorted(extra, key=lambda e: e.x0):
        k = _attach_target(out, e, text_h)
        if k < 0:
            alone.append(len(out))
            out.append(e)
        else:
            out[k] = _union(out[k], e)
    drop: set[int] = set()
    for i in alone:
        k = _attach_target(out, out[i], text_h, skip={i, *drop})
        if k >= 0:
            out[k] = _union(out[k], out[i])
            drop.add(i)
    return [s for i, s in enumerate(out) if i not in drop]


def _union(s: Segment, e: Segment) -> Segment:
    return Segment(min(s.x0, e.x0), min(s.y0, e.y0), max(s.x1, e.x1), max(s.y1, e.y1), s.cell)


def _attach_target(out: list[Segment], e: Segment, text_h: float, skip: set[int] | None = None) -> int:
    """The first segment ``e`` can join (same cell, on its line, close, wider than a character),
    or -1."""
    if not out:
        return -1
    c = _coords(out)
    ov = np.minimum(c.y1, e.y1) - np.maximum(c.y0, e.y0)
    gap = np.maximum(c.x0 - e.x1, e.x0 - c.x1)
    scale = np.maximum(text_h, c.h)  # a heading's glyphs and gaps are larger than the table's
    tall = np.maximum(c.y1, e.y1) - np.minimum(c.y0, e.y0)
    ok = (
        (c.cell == e.cell)
        & (c.stack < 0)
        & (c.x1 - c.x0 > CHAR_MAX * text_h)  # a word, not a character that may be printed one per line
        & (ov >= 0.6 * np.minimum(e.h, c.h))
        & (gap <= ATTACH_GAP * scale)
        & (tall <= 1.3 * np.maximum(c.h, e.h))
    )
    for i in skip or ():
        ok[i] = False
    hits = np.nonzero(ok)[0]
    return int(hits[0]) if hits.size else -1


def is_prose(seg: Segment, ink: np.ndarray, text_width: float, text_h: float) -> bool:
    """A long line of running text outside the tables: at least PROSE_WIDTH of the text width and
    without the wide blank runs that separate the columns of an unruled table row."""
    if seg.cell >= 0 or seg.w < PROSE_WIDTH * text_width or seg.h > TITLE_HEIGHT * text_h:
        return False
    cols = ink[seg.y0 : seg.y1, seg.x0 : seg.x1].any(axis=0).astype(np.int8)
    widest = max((e - s for v, s, e in _runs(cols) if not v), default=0)
    return widest <= PROSE_GAP * text_h


def visual_lines(segs: Sequence[Segment]) -> list[list[int]]:
    """Indices of segments grouped into visual lines (left to right), stacks apart.

    Two segments can share a line when they overlap vertically by LINE_OVERLAP of the lower
    one, their middles are close and their heights agree (a dash or dot within the other's
    height always can); each
    segment is chained to its nearest such neighbour on the left and on the right. Nearest
    matters: a row number the detector boxed apart (``3、``) sits between its label and the
    row's values, and belongs to the label beside it."""
    flat = [i for i, s in enumerate(segs) if s.stack < 0]
    stacks: dict[int, list[int]] = {}
    for i, s in enumerate(segs):
        if s.stack >= 0:
            stacks.setdefault(s.stack, []).append(i)
    parent = list(range(len(segs)))

    if flat:
        c = _coords([segs[i] for i in flat])
        h = np.maximum(c.h, 1.0)
        ov = np.minimum(c.y1[:, None], c.y1[None, :]) - np.maximum(c.y0[:, None], c.y0[None, :])
        lo, hi = np.minimum(h[:, None], h[None, :]), np.maximum(h[:, None], h[None, :])
        yc = c.yc
        mark = (
            (h[:, None] < FRAGMENT * h[None, :]) & (yc[:, None] >= c.y0[None, :]) & (yc[:, None] <= c.y1[None, :])
        ) | ((h[None, :] < FRAGMENT * h[:, None]) & (yc[None, :] >= c.y0[:, None]) & (yc[None, :] <= c.y1[:, None]))
        gap = np.maximum(c.x0[None, :] - c.x1[:, None], c.x0[:, None] - c.x1[None, :])
        level = np.abs(yc[:, None] - yc[None, :]) <= LINE_CENTRE * lo  # no drift from line to line
        ok = (ov >= LINE_OVERLAP * lo) & (((hi <= LINE_HEIGHT_RATIO * lo) & level) | mark) & (gap >= 0)
        np.fill_diagonal(ok, False)
        # the nearest piece beside it at its height, if that one may share its line: a piece of
        # another line in between (a header cell printed higher) breaks the chain
        beside = (ov > 0) & (gap >= 0)
        np.fill_diagonal(beside, False)
        to_right = c.x0[None, :] >= c.x1[:, None]
        for side in (beside & to_right, beside & ~to_right):
            dist = np.where(side, gap, np.inf)
            best = dist.argmin(axis=1)
            for k in range(len(flat)):
                j = int(best[k])
                if np.isfinite(dist[k, j]) and ok[k, j]:
                    parent[_root(parent, flat[j])] = _root(parent, flat[k])
    lines: dict[int, list[int]] = {}
    for i in flat:
        lines.setdefault(_root(parent, i), []).append(i)
    out = [sorted(line, key=lambda i: segs[i].x0) for line in lines.values()]
    out.sort(key=lambda line: (min(segs[i].y0 for i in line), segs[line[0]].x0))
    return out + [sorted(m, key=lambda i: segs[i].y0) for m in stacks.values()]


@dataclass(frozen=True)
class Strip:
    image: np.ndarray  # grey, REC_HEIGHT high
    members: tuple[int, ...]  # segment indices, left to right
    spans: tuple[tuple[float, float], ...]  # each member's x range in the strip's pixels
    scale: float  # strip pixels per page pixel


def build_strip(gray: np.ndarray, rules: np.ndarray, segs: Sequence[Segment], members: Sequence[int]) -> Strip:
    """Paste the members' ink boxes (rules whitened, each with its own rows only, so the line
    above or below does not leak in) side by side: a visual line, or a stack (members top to
    bottom) as one line of characters."""
    stacked = segs[members[0]].stack >= 0
    band = max(1, max(segs[i].h for i in members))
    # Where each member sits in the band: full-height pieces centred (a label printed a little
    # lower than the cell beside it reads as one line), marks (. - 、) where they are printed
    # relative to the full-height pieces.
    full = [segs[i] for i in members if segs[i].h >= 0.6 * band]
    ref_top = float(np.median([f.y0 for f in full]))
    ref_h = float(np.median([f.h for f in full]))
    offset = {}
    for i in members:
        s = segs[i]
        if stacked or s.h >= 0.6 * band:
            offset[i] = (band - s.h) // 2
        else:
            offset[i] = int(min(max(0.0, s.y0 - ref_top + (band - ref_h) / 2), band - s.h))
    pad = max(RIM + 1, round(PAD_Y * band))
    gap = max(2 * RIM + 2, round((STACK_GAP if stacked else GAP) * band))
    height = band + 2 * pad
    width = sum(segs[i].w for i in members) + gap * (len(members) + 1) + (2 * pad if stacked else 0)
    canvas = np.full((height, width), 255, np.uint8)
    spans = []
    x = max(gap, RIM) + (pad if stacked else 0)
    H, W = gray.shape
    for i in members:
        s = segs[i]
        # the ink box plus a pixel or two of the page: the anti-aliased rim of a glyph is lighter
        # than the ink threshold, and a 0 cut at its top rim reads as U
        y0, y1 = max(0, s.y0 - RIM), min(H, s.y1 + RIM)
        x0, x1 = max(0, s.x0 - RIM), min(W, s.x1 + RIM)
        piece = gray[y0:y1, x0:x1].copy()
        piece[rules[y0:y1, x0:x1]] = 255
        y = pad + offset[i] - (s.y0 - y0)
        cy0, cy1 = max(0, y), min(height, y + (y1 - y0))
        canvas[cy0:cy1, x - (s.x0 - x0) : x - (s.x0 - x0) + (x1 - x0)] = np.minimum(
            canvas[cy0:cy1, x - (s.x0 - x0) : x - (s.x0 - x0) + (x1 - x0)], piece[cy0 - y : cy1 - y]
        )
        spans.append((x, x + s.w))
        x += s.w + gap
    k = REC_HEIGHT / height
    out_w = max(1, round(width * k))
    image = cv2.resize(canvas, (out_w, REC_HEIGHT), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    return Strip(image, tuple(members), tuple((a * k, b * k) for a, b in spans), k)


def _char_extents(ink: np.ndarray, seg: Segment, xs: Sequence[float]) -> list[tuple[float, float]]:
    """Each character's ink extent in page pixels, from the characters' x positions: between two
    neighbours the boundary is the widest blank column run between them (or the midpoint when
    their glyphs touch); each extent is then trimmed to its ink."""
    cols = np.asarray(ink[seg.y0 : seg.y1, seg.x0 : seg.x1].any(axis=0))
    blanks = [(seg.x0 + s, seg.x0 + e) for v, s, e in _runs(cols.astype(np.int8)) if not v]
    cuts = [float(seg.x0)]
    for p, q in itertools.pairwise(xs):
        between = [(s, e) for s, e in blanks if s >= p and e <= q]
        widest = max(between, key=lambda r: r[1] - r[0]) if between else None
        cuts.append((widest[0] + widest[1]) / 2 if widest else (p + q) / 2)
    cuts.append(float(seg.x1))
    out = []
    for a, b in itertools.pairwise(cuts):
        lo, hi = int(a) - seg.x0, math.ceil(b) - seg.x0
        inked = np.nonzero(cols[max(0, lo) : max(0, hi)])[0]
        out.append(
            (seg.x0 + max(0, lo) + float(inked[0]), seg.x0 + max(0, lo) + float(inked[-1]) + 1)
            if inked.size
            else (a, b)
        )
    return out


def split_hits(strip: Strip, hits: Sequence[CharHit], segs: Sequence[Segment], ink: np.ndarray) -> dict[int, OcrBox]:
    """The strip's characters handed back to its segments (by position), as OCR boxes in page
    pixels, each character with its ink extent."""
    gap = (strip.spans[1][0] - strip.spans[0][1]) if len(strip.spans) > 1 else REC_HEIGHT * GAP
    mine: dict[int, list[CharHit]] = {i: [] for i in strip.members}
    for h in hits:
        for i, (a, b) in zip(strip.members, strip.spans, strict=True):
            if a - gap / 2 <= h.x < b + gap / 2:
                mine[i].append(h)
                break
        else:  # before the first or after the last span: the nearest
            near = min(range(len(strip.spans)), key=lambda k: abs(sum(strip.spans[k]) / 2 - h.x))
            mine[strip.members[near]].append(h)
    out = {}
    for (i, chars), (a, _b) in zip(mine.items(), strip.spans, strict=True):
        s = segs[i]
        while chars and not chars[0].text.strip():
            chars.pop(0)
        while chars and not chars[-1].text.strip():
            chars.pop()
        if not chars:
            continue
        xs = [min(s.x1, max(s.x0, s.x0 + (c.x - a) / strip.scale)) for c in chars]
        extents = _char_extents(ink, s, xs)
        out[i] = OcrBox(
            "".join(CHAR_FIX.get(c.text, c.text) for c in chars),
            float(np.mean([c.conf for c in chars])),
            float(s.x0),
            float(s.y0),
            float(s.x1),
            float(s.y1),
            tuple(
                Char(CHAR_FIX.get(c.text, c.text), x0, x1, c.conf) for c, (x0, x1) in zip(chars, extents, strict=True)
            ),
        )
    return out
