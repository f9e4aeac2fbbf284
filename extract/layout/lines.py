"""Visual lines, page furniture and a page-spanning vertical coordinate.

Tables cross page breaks, so positions are compared on one axis: `gy` puts page *n* below
page *n-1*. Running headers/footers and page numbers sit between the two halves of a split
table and must go before rows are matched (a footer ``- 2 -`` would otherwise be read as a
value in the 自然人 column).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter

from gidar.extract.model import Word
from gidar.labels import normalise

PAGE_STRIDE = 10_000.0  # larger than any page height in points

_PAGE_NO = re.compile(
    r"^(?:[-—–_]*\d{1,3}[-—–_]*|第\d{1,3}页(?:[,/]?共\d{1,3}页)?|\d{1,3}/\d{1,3}|page\d+(?:of\d+)?)$", re.I
)
TOP_ZONE, BOTTOM_ZONE = 0.07, 0.09  # fractions of the page height treated as header/footer zones
# A word's height as a unit of distance, at least this (points): a comma's or a dash's box is
# flatter than the line it sits on, and distances in "line heights" must not shrink with it.
MIN_LINE_HEIGHT = 4.0
# Words whose centres are within this share of the smaller height are one line: under half a
# line, so two lines never merge, and loose enough for CJK and Latin boxes of different heights.
SAME_LINE = 0.45
MIN_WORD_HEIGHT = 1.0  # points: a zero-height box (a blank glyph) still groups with its line
# Running headers/footers repeat on several pages at the same height, to within this (points,
# the band a top rounds into): one writer's header may move by a point or two across pages.
FURNITURE_BAND = 6


def gy(w: Word) -> float:
    return (w.page - 1) * PAGE_STRIDE + w.top


def gyc(w: Word) -> float:
    return (w.page - 1) * PAGE_STRIDE + w.yc


@dataclass
class Line:
    words: list[Word]
    _text: tuple[int, str] | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        # cached while the words stay the same (titles and regions ask for it many times)
        if self._text is None or self._text[0] != len(self.words):
            self._text = (len(self.words), "".join(w.text for w in self.words))
        return self._text[1]

    @property
    def norm(self) -> str:
        return normalise(self.text)

    @property
    def page(self) -> int:
        return self.words[0].page

    @property
    def top(self) -> float:
        return min(map(_TOP, self.words))

    @property
    def bottom(self) -> float:
        return max(map(_BOTTOM, self.words))

    @property
    def gtop(self) -> float:
        return (self.page - 1) * PAGE_STRIDE + self.top

    @property
    def gbottom(self) -> float:
        return (self.page - 1) * PAGE_STRIDE + self.bottom


def group_lines(words: Iterable[Word]) -> list[Line]:
    """Words whose vertical centres are within half a line height, left to right."""
    groups: list[list[Word]] = []
    # each word's centre and height computed once (the engine groups the same words many times)
    keyed = sorted(((w.page, (w.top + w.bottom) / 2, w.x0, w.bottom - w.top, w) for w in words), key=_FIRST3)
    cur: list[Word] = []  # the line being built, from its first word: ref_page, ref_yc, ref_h
    ref_page, ref_yc, ref_h = None, 0.0, 0.0
    for page, yc, _, h, w in keyed:
        if ref_page == page:
            # SAME_LINE * max(MIN_WORD_HEIGHT, min(ref_h, h)) without builtin calls: this runs for every word
            low = h if h < ref_h else ref_h
            if abs(yc - ref_yc) <= SAME_LINE * (low if low > MIN_WORD_HEIGHT else MIN_WORD_HEIGHT):
                cur.append(w)
                continue
        cur = [w]
        groups.append(cur)
        ref_page, ref_yc, ref_h = page, yc, h
    for ws in groups:
        ws.sort(key=_X0)
    return [Line(ws) for ws in groups]


def joined_lines(pages: Sequence[Sequence[Word]], by_page: Sequence[list[Line]]) -> list[Line] | None:
    """`group_lines` of all of ``pages``' words, in order, from ``by_page``, each page's own
    `group_lines`: no line spans two pages, as the grouping sorts on the page first and starts a
    line on a new page. None when that does not hold exactly: pages out of order or holding
    another page's words, or a NaN position (sorting one page alone or among others may then
    order its words differently)."""
    last = 0
    for words in pages:
        if not words:
            continue
        page = words[0].page
        if page <= last or set(map(_PAGE, words)) != {page} or _unordered(words):
            return None
        last = page
    return [ln for lines in by_page for ln in lines]


_FIRST3 = itemgetter(0, 1, 2)  # sort on (page, centre, x0) only: ties keep the words' order
_X0, _TOP, _BOTTOM, _PAGE = attrgetter("x0"), attrgetter("top"), attrgetter("bottom"), attrgetter("page")


def strip_furniture(pages: Sequence[tuple[float, list[Word]]]) -> list[list[Word]]:
    """Drop page numbers and running headers/footers. ``pages`` is (page height, words) per page."""
    return [words for words, _ in strip_furniture_lines(pages)]


def strip_furniture_lines(pages: Sequence[tuple[float, list[Word]]]) -> list[tuple[list[Word], list[Line]]]:
    """`strip_furniture`, with each page's `group_lines` of the words kept: the lines the furniture
    was found in, less the furniture's lines, where that is provably the same grouping."""
    page_lines: list[list[Line]] = []
    zone_lines: list[list[Line]] = []
    repeats: Counter[tuple[str, int]] = Counter()
    for height, words in pages:
        grouped = group_lines(words)
        above, below = TOP_ZONE * height, (1 - BOTTOM_ZONE) * height
        lines = [ln for ln in grouped if ln.bottom < above or ln.top > below]
        page_lines.append(grouped)
        zone_lines.append(lines)
        for sig in {(ln.norm, round(ln.top / FURNITURE_BAND)) for ln in lines}:
            repeats[sig] += 1
    out: list[tuple[list[Word], list[Line]]] = []
    for (_height, words), grouped, lines in zip(pages, page_lines, zone_lines, strict=True):
        drop: set[int] = set()
        dropped: list[Line] = []
        for ln in lines:
            n = ln.norm
            if _PAGE_NO.match(n) or (
                len(pages) > 2 and repeats[(n, round(ln.top / FURNITURE_BAND))] >= 2 and len(n) > 1
            ):
                drop.update(id(w) for w in ln.words)
                dropped.append(ln)
        if not drop:
            out.append((words, grouped))
            continue
        kept = [w for w in words if id(w) not in drop]
        lines_kept = _without(grouped, dropped, words)
        out.append((kept, group_lines(kept) if lines_kept is None else lines_kept))
    return out


def _without(grouped: list[Line], dropped: list[Line], words: Sequence[Word]) -> list[Line] | None:
    """`group_lines` of ``words`` less the ``dropped`` lines' words, from ``grouped``, their grouping,
    less those lines; None when that may differ. Grouping is one pass down the page that compares
    each word with the first of the line being built: lines before a dropped one cannot change, nor
    can the lines after a dropped first line (the pass starts afresh either way). A word after a
    dropped line in the middle might join the line above it instead. (Unordered positions, a NaN,
    may also sort differently without the dropped words.)"""
    gone = {id(ln) for ln in dropped}
    flags = [id(ln) in gone for ln in grouped]
    head = next((i for i, f in enumerate(flags) if not f), len(flags))  # the lines from here on...
    tail = len(flags) - next((i for i, f in enumerate(reversed(flags)) if not f), len(flags))  # ...up to here kept
    if any(flags[head:tail]):
        return None
    return None if _unordered(words) else grouped[head:tail]


def _unordered(words: Sequence[Word]) -> bool:
    """A word's centre or x0 is NaN, which `group_lines` cannot sort by: a sum of them all is NaN then.
    (Infinities of both signs make it NaN too: a needless but harmless refusal.)"""
    total = sum(map(_TOP, words)) + sum(map(_BOTTOM, words)) + sum(map(_X0, words))
    return total != total
