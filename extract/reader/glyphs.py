"""Backend-neutral geometry: glyphs → words, path segments → ruling segments.

The layout engine was built and tuned on pdfplumber's output (``extract_words`` with
``x_tolerance=1.5, y_tolerance=2``, ``dedupe_chars`` for fake bold, ``page.edges`` for rules).
A backend that reads glyphs and paths by other means (PDFium) turns them into words and rules
here, with the same grouping rules, so both backends feed the engine the same `Document`.
Coordinates are pdfplumber's: points, origin at the top-left of the page as displayed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import NamedTuple, TypeVar

# pdfplumber's extract_words settings the engine was tuned on.
X_TOLERANCE = 1.5  # a gap wider than this between two glyphs of a line starts a new word
Y_TOLERANCE = 2.0  # glyph tops within this are one line
DEDUPE_TOLERANCE = 1.0  # fake bold redraws a glyph ≤ 1 pt away (pdfplumber's dedupe_chars default)
MIN_RULE = 3.0  # shorter segments are tick marks or the ends of thin boxes, not rules
AXIS_EPS = 0.01  # PDFium gives float32 points: within this a segment is horizontal/vertical
LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
_LIGATURE_TABLE = str.maketrans(LIGATURES)
# str.translate looks every character up (slow on CJK text): only a text holding a ligature is translated
_HAS_LIGATURE = re.compile("[" + "".join(LIGATURES) + "]").search


class Glyph(NamedTuple):
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    upright: bool = True  # the glyph reads left to right on the page as displayed
    font: str = ""
    size: float = 0.0


# A Glyph's fields in a plain tuple, as the PDFium reader makes them: a third of the cost of
# making a Glyph, for ~2,000 glyphs a report. Words are grouped from either, by index.
GlyphTuple = tuple[str, float, float, float, float, bool, str, float]

_TOP: Callable[[GlyphTuple], float] = itemgetter(2)
_X0: Callable[[GlyphTuple], float] = itemgetter(1)
_UPRIGHT: Callable[[GlyphTuple], bool] = itemgetter(5)
_TOP_BOTTOM: Callable[[GlyphTuple], tuple[float, float]] = itemgetter(2, 4)
_ITEMS = [itemgetter(k) for k in range(3)]  # text, x0, top of a Glyph
_TEXT = _ITEMS[0]
_ROUND: Callable[[float], int] = float.__round__
Box = tuple[str, float, float, float, float]  # text, x0, top, x1, bottom
G = TypeVar("G", bound=GlyphTuple)
Segment = tuple[float, float, float]  # (y, x0, x1) for horizontal rules, (x, top, bottom) for vertical


def dedupe_needed(glyphs: Sequence[GlyphTuple]) -> bool:
    """Fake bold draws each glyph twice at almost the same place; detect before paying for dedupe."""
    texts, x0s, tops = map(_ITEMS[0], glyphs), map(_ITEMS[1], glyphs), map(_ITEMS[2], glyphs)
    try:  # float's own round: `round` looks the method up on every value (a third of this test)
        seen = set(zip(texts, map(_ROUND, x0s), map(_ROUND, tops), strict=True))
    except TypeError:  # not all floats
        texts, x0s, tops = map(_ITEMS[0], glyphs), map(_ITEMS[1], glyphs), map(_ITEMS[2], glyphs)
        seen = set(zip(texts, map(round, x0s), map(round, tops), strict=True))
    dup = len(glyphs) - len(seen)  # glyphs seen before
    return dup > 5 and dup > 0.02 * len(glyphs)


def _cluster_ids(values: Iterable[float], tol: float) -> dict[float, int]:
    """Chain clustering of sorted distinct values: a gap wider than ``tol`` starts a new cluster."""
    out: dict[float, int] = {}
    last: float | None = None
    cid = -1
    for v in sorted(set(values)):
        if last is None or v > last + tol:
            cid += 1
        out[v] = cid
        last = v
    return out


def _clusters(items: list[G], key: Callable[[GlyphTuple], float], tol: float) -> list[list[G]]:
    """Items grouped by chain clusters of ``key``; each group keeps the items' order."""
    keys = list(map(key, items))
    ids = _cluster_ids(keys, tol)
    n = max(ids.values(), default=-1) + 1  # ids count from 0
    if n <= 1:
        return [list(items)] if n else []
    groups: list[list[G]] = [[] for _ in range(n)]
    for g, k in zip(items, keys, strict=True):
        groups[ids[k]].append(g)
    return groups


def dedupe(glyphs: Sequence[Glyph], tol: float = DEDUPE_TOLERANCE) -> list[Glyph]:
    """Drop glyphs repeated (same text, font and size) within ``tol`` of another; keep reading order."""
    keep: set[int] = set()
    index = {id(g): i for i, g in enumerate(glyphs)}

    def same(g: Glyph) -> tuple[bool, str, str, float]:
        return (g.upright, g.text, g.font, g.size)

    for _, grp in itertools.groupby(sorted(glyphs, key=same), key=same):
        for row in _clusters(list(grp), _TOP, tol):
            for cell in _clusters(row, _X0, tol):
                keep.add(index[id(min(cell, key=lambda g: (g.top, g.x0)))])
    return [g for i, g in enumerate(glyphs) if i in keep]


def _spelt(line: list[GlyphTuple], start: int, end: int) -> str:
    """The text of glyphs ``start:end`` of a line, ligatures spelt out (one glyph is one
    character, or an unmapped glyph's "(cid:N)", which holds no ligature)."""
    text = "".join(map(_TEXT, line[start:end]))
    return text.translate(_LIGATURE_TABLE) if _HAS_LIGATURE(text) else text


def _words_of_line(line: list[GlyphTuple], upright: bool) -> list[Box]:
    """Break a sorted line at blanks and where a glyph does not continue the previous one; each
    word's box is gathered as its glyphs come, its text taken once it ends."""
    out: list[Box] = []
    start = 0  # the word's first glyph
    x0 = top = x1 = bottom = 0.0
    p: GlyphTuple | None = None  # the word's last glyph; None between words
    for i, g in enumerate(line):
        if g[0].isspace():
            if p is not None:
                out.append((_spelt(line, start, i), x0, top, x1, bottom))
                p = None
            continue
        if p is not None:
            if upright:  # left to right; lines run down the page
                new = g[1] < p[1] or g[1] > p[3] + X_TOLERANCE or abs(g[2] - p[2]) > Y_TOLERANCE
            else:  # rotated text reads top to bottom; the tolerances swap axes
                new = g[2] < p[2] or g[2] > p[4] + Y_TOLERANCE or abs(g[1] - p[1]) > X_TOLERANCE
            if new:
                out.append((_spelt(line, start, i), x0, top, x1, bottom))
                p = None
        if p is None:
            start = i
            x0, top, x1, bottom = g[1], g[2], g[3], g[4]
        else:
            # min and max, spelt out: this runs for every glyph of a report
            if g[1] < x0:
                x0 = g[1]
            if g[2] < top:
                top = g[2]
            if g[3] > x1:
                x1 = g[3]
            if g[4] > bottom:
                bottom = g[4]
        p = g
    if p is not None:
        out.append((_spelt(line, start, len(line)), x0, top, x1, bottom))
    return out


def _words_of_upright_line(line: list[GlyphTuple]) -> list[Box]:
    """`_words_of_line` for upright glyphs, its tests and box updates on unpacked locals (a plain
    tuple unpacks fast; an index into a tuple, or into any tuple subclass, costs a generic call)."""
    out: list[Box] = []
    start = 0  # the word's first glyph
    x0 = top = x1 = bottom = 0.0  # the word's box
    px0 = px1 = ptop = 0.0  # its last glyph's
    open_ = False  # within a word
    for i, (t, gx0, gtop, gx1, gbottom, _, _, _) in enumerate(line):
        if t.isspace():
            if open_:
                out.append((_spelt(line, start, i), x0, top, x1, bottom))
                open_ = False
            continue
        if open_ and (gx0 < px0 or gx0 > px1 + X_TOLERANCE or (gtop != ptop and abs(gtop - ptop) > Y_TOLERANCE)):
            out.append((_spelt(line, start, i), x0, top, x1, bottom))
            open_ = False
        if open_:
            if gx0 < x0:
                x0 = gx0
            if gtop < top:
                top = gtop
            if gx1 > x1:
                x1 = gx1
            if gbottom > bottom:
                bottom = gbottom
        else:
            start, open_ = i, True
            x0, top, x1, bottom = gx0, gtop, gx1, gbottom
        px0, px1, ptop = gx0, gx1, gtop
    if open_:
        out.append((_spelt(line, start, len(line)), x0, top, x1, bottom))
    return out


def words(glyphs: Sequence[GlyphTuple]) -> list[Box]:
    """pdfplumber's word grouping: runs of upright/rotated glyphs, split into lines by their tops
    (left edges when rotated), sorted along the line, broken at blanks and at gaps."""
    out: list[Box] = []
    for upright, run in itertools.groupby(glyphs, key=_UPRIGHT):
        chars = list(run)
        line_key, tol = (_TOP, Y_TOLERANCE) if upright else (_X0, X_TOLERANCE)
        for line in _clusters(chars, line_key, tol):
            if upright:
                line.sort(key=_X0)
                out += _words_of_upright_line(line)
            else:
                line.sort(key=_TOP_BOTTOM)
                out += _words_of_line(line, upright)
    return out


def rulings(paths: Iterable[Sequence[tuple[float, float]]]) -> tuple[list[Segment], list[Segment]]:
    """Horizontal and vertical ruling segments from painted subpaths (their points in page order,
    a closed subpath ending on its first point). Each straight piece along a path counts, as
    pdfplumber counts the four edges of a rectangle and the pieces of a polyline; slanted pieces
    and pieces of ``MIN_RULE`` or less do not."""
    h: list[Segment] = []
    v: list[Segment] = []
    for pts in paths:
        seen: set[tuple[float, float, float, float]] = set()
        for (xa, ya), (xb, yb) in itertools.pairwise(pts):
            # min and max spelt out, ties to the first as theirs (a page draws hundreds of these)
            x0, x1 = xb if xb < xa else xa, xb if xb > xa else xa
            top, bottom = yb if yb < ya else ya, yb if yb > ya else ya
            key = (x0, top, x1, bottom)
            if key in seen:  # a line closed back on itself ("m l h") is one segment
                continue
            seen.add(key)
            if abs(ya - yb) <= AXIS_EPS and x1 - x0 > MIN_RULE:
                h.append((top, x0, x1))
            elif abs(xa - xb) <= AXIS_EPS and bottom - top > MIN_RULE:
                v.append((x0, top, bottom))
    return h, v
