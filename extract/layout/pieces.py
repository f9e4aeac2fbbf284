"""Numbers printed in pieces, put back together before they are placed in rows and columns.

Two ways one printed number reaches the reader as several words:

* a thin space (or a narrow space) as thousands separator: ``1 234`` is two words a fifth of an
  em apart on one line;
* a line wrap inside a narrow cell: ``3,977`` printed as ``3,9`` over ``77``, ``11,113`` as
  ``11,`` over ``113``, ``190.457379`` as ``190.`` over ``457379``.

Pieces on one line are joined when the gap is separator-sized, no rule runs between them and the
right piece is a thousands group. Stacked pieces form a *chain* (aligned in one column, a line's
gap apart, no rule between); a chain is one cell's text only when that is proven: by the number
itself (a line ends inside a thousands group or on the decimal point), by the ruling (one ruled
box around all of it), or by the rows (it is centred on a row's label, or starts on a row's line,
or all its lines are closest to one row; and no two of its lines sit on two rows' lines). Otherwise
its lines stay separate values, and the count check downstream says the row cannot be read.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from gidar.extract.layout.lines import MIN_LINE_HEIGHT
from gidar.extract.model import Word
from gidar.extract.numbers import ZERO_MARKERS, fold, is_fragment, is_unit, is_value_token, parse_cell, strip_unit

HRule = tuple[int, float, float, float]  # a horizontal ruling segment: page, y, x0, x1
VRule = tuple[int, float, float, float]  # a vertical ruling segment: page, x, top, bottom

THIN_GAP = 0.35  # ems: a thin space is 1/6-1/5 em, a word space 1/4-1/3; cells sit further apart
WRAP_GAP = 0.8  # line heights between two lines of one cell (row gaps are larger, or ruled)
ALIGN = 1.5  # points: the lines of one cell share an edge or a centre (the cell's alignment)
OVERLAP = 0.6  # share of the narrower line within the wider one that also counts as one column
ON_LINE = 0.35  # line heights: a line this close to a row's line sits on it
GAP_SPREAD = 1.0  # points: how unevenly the lines of one paragraph may be spaced
SPAN_SLACK = 0.2  # line heights: a line touching another row's label by this much is not inside it
BOX_SLACK = 4.5  # line heights a cell's box may exceed its text by (padding, empty or blank lines)
THIN_LINE = 0.3  # line heights between the centres of two groups of one number (one baseline)
TOUCH = 0.5  # points: boxes of neighbouring glyphs overlap, and rules touch text, by up to this
# Thousands groups on each side of a thin space. A reader may glue some groups of one number
# and split others (``4145`` ``800.00`` for 4 145 800.00): the left side is any run of digits,
# the right side one or more whole groups.
_GROUP = re.compile(r"^(?:\d{3})+(?:\.\d+)?$")
_LEAD = re.compile(r"^[+-]?\d+$")


def by_page(rules: Sequence[tuple[int, float, float, float]]) -> dict[int, list[tuple[int, float, float, float]]]:
    """Ruling segments grouped by page, each page's ordered by position (y of a horizontal rule,
    x of a vertical one): each test between two words looks at its page's rules near them only.
    A rule without a position (NaN, from a broken path) is left out: no comparison holds with it."""
    out: dict[int, list[tuple[int, float, float, float]]] = {}
    for r in rules:
        if r[1] == r[1]:
            out.setdefault(r[0], []).append(r)
    for page_rules in out.values():
        page_rules.sort(key=_POSITION)
    return out


_POSITION = itemgetter(1)
_FIRST3 = itemgetter(0, 1, 2)
_Ruling = tuple[int, float, float, float]  # page, position, extent from, to
RulesByPage = dict[int, list[_Ruling]]


def _paged(rules: Sequence[_Ruling] | RulesByPage) -> RulesByPage:
    """Rules as `by_page` groups them: a caller joining many tables groups them once."""
    return rules if isinstance(rules, dict) else by_page(rules)


def rules_between(rules: Sequence[_Ruling], lo: float, hi: float) -> Sequence[_Ruling]:
    """The rules of one page (`by_page`) positioned from ``lo`` to ``hi``."""
    return rules[bisect_left(rules, lo, key=_POSITION) : bisect_right(rules, hi, key=_POSITION)]


@dataclass
class Piece:
    """One value as printed, possibly joined from several words."""

    word: Word
    flags: list[str] = field(default_factory=list)


def _h(w: Word) -> float:
    h = w.bottom - w.top
    return h if h > MIN_LINE_HEIGHT else MIN_LINE_HEIGHT  # max(MIN_LINE_HEIGHT, h), spelt out: per word pair


def _merge(a: Word, b: Word, text: str) -> Word:
    confs = [c for c in (a.conf, b.conf) if c is not None]
    return Word(
        text,
        min(a.x0, b.x0),
        min(a.top, b.top),
        max(a.x1, b.x1),
        max(a.bottom, b.bottom),
        a.page,
        min(confs, default=None),
    )


# --- one line: thin-space thousands separators ---------------------------------------------


def _groups_ok(left: str, right: str) -> bool:
    """``1`` / ``1 234`` (groups so far, as printed) followed by whole 3-digit groups."""
    parts = unicodedata.normalize("NFKC", left).split()
    head, *rest = [fold(p) for p in parts] or [""]
    if not _LEAD.match(head) or not all(len(p) % 3 == 0 and p.isdigit() for p in rest):
        return False
    core, _ = strip_unit(fold(right), heads=True)  # (a unit may be cut by a wrap after it: ``800万``)
    return bool(_GROUP.match(core))


def _thin_join(a: Word, b: Word, vrules: Sequence[VRule]) -> str | None:
    """The text of ``a`` and ``b`` as one number, if they are one; ``b`` is on ``a``'s line a separator's
    gap to its right (`join_thin` asks that first)."""
    near = rules_between(vrules, a.x1 - TOUCH, b.x0 + TOUCH)
    if any(p == a.page and a.x1 - TOUCH <= x <= b.x0 + TOUCH and t < a.bottom and bt > a.top for p, x, t, bt in near):
        return None
    if is_unit(b.text) and parse_cell(a.text, "money").ok:
        return a.text + b.text  # ``19,474`` ``宗``: a unit set apart by a space
    if not _groups_ok(a.text, b.text):
        return None
    text = f"{a.text} {b.text}"
    return text if parse_cell(text, "money").ok or is_fragment(text) else None


def join_thin(words: Sequence[Word], vrules: Sequence[VRule] | RulesByPage = ()) -> list[Piece]:
    """Words with thin-space-separated thousands groups joined (``1`` ``234`` → ``1 234``)."""
    out: list[Piece] = []
    rules = _paged(vrules)
    # by line (centre rounded) and x; each centre computed once (ties keep the words' order)
    keyed = [(w.page, round(yc), w.x0, yc, w) for w, yc in ((w, w.yc) for w in words)]
    for _, _, _, yc, w in sorted(keyed, key=_FIRST3):
        for p in reversed(out[-2:]):  # sorted by line and x: the left neighbour is among the last
            a = p.word
            h = a.bottom - a.top
            h = h if h > MIN_LINE_HEIGHT else MIN_LINE_HEIGHT  # _h(a), spelt out: per word pair
            gap = w.x0 - a.x1
            if a.page != w.page or abs(a.yc - yc) > THIN_LINE * h or not (-TOUCH <= gap <= THIN_GAP * h):
                continue  # not on a's line a separator's gap to its right: almost every pair, so asked here
            text = _thin_join(a, w, rules.get(w.page, ()))
            if text is not None:
                p.word = _merge(p.word, w, text)
                flag = "unit_apart" if is_unit(w.text) else "thin_space_thousands"
                if flag not in p.flags:
                    p.flags.append(flag)
                break
        else:
            out.append(Piece(w))
    return out


# --- stacked lines: numbers wrapped inside a narrow cell -----------------------------------


def _aligned(a: Word, b: Word) -> bool:
    """Two lines of one cell: they share its alignment (an edge or the centre), or (a line led
    by invisible U+3000 padding) the narrower lies mostly within the wider."""
    if min(abs(a.x0 - b.x0), abs(a.x1 - b.x1), abs(a.xc - b.xc)) <= ALIGN:
        return True
    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    return overlap >= OVERLAP * min(a.x1 - a.x0, b.x1 - b.x0)


def _ruled_between(a: Word, b: Word, hrules: Sequence[HRule]) -> bool:
    lo, hi = min(a.x0, b.x0), max(a.x1, b.x1)
    near = rules_between(hrules, a.bottom - TOUCH, b.top + TOUCH)
    return any(p == a.page and a.bottom - TOUCH <= y <= b.top + TOUCH and x0 < hi and x1 > lo for p, y, x0, x1 in near)


def _stacked(a: Word, b: Word, hrules: Sequence[HRule]) -> bool:
    """``b`` is the next line of a cell whose line ``a`` is."""
    if a.page != b.page or b.top < a.bottom - TOUCH or b.top - a.bottom > WRAP_GAP * _h(a):
        return False
    return _aligned(a, b) and not _ruled_between(a, b, hrules)


def _boxed(lines: Sequence[Word], hrules: Sequence[HRule]) -> bool:
    """A ruled box around all the lines: the nearest rules above and below them, with room for
    the cell's padding (an empty paragraph included) but for no other row (a 三线表's body is
    ruled only at its ends, which proves nothing)."""
    a, b = lines[0], lines[-1]
    lo, hi = min(w.x0 for w in lines), max(w.x1 for w in lines)
    ys = [y for p, y, x0, x1 in hrules if p == a.page and x0 < hi and x1 > lo]
    above = [y for y in ys if y <= a.top + TOUCH]
    below = [y for y in ys if y >= b.bottom - TOUCH]
    if not above or not below:
        return False
    return min(below) - max(above) <= (b.bottom - a.top) + BOX_SLACK * _h(a)


@dataclass(frozen=True)
class RowLines:
    """Where one table row sits on its page: its label's centre and extent, and the lines its
    one-line cells are printed on (its label's first line and centre, its densest value line)."""

    page: int
    centre: float
    lines: tuple[float, ...]
    top: float
    bottom: float
    band: tuple[float, float] = (float("-inf"), float("inf"))  # the strip of the page the row owns

    def with_band(self, band: tuple[float, float]) -> RowLines:
        """``dataclasses.replace(self, band=band)``, spelt out (it reads the fields one by one: slow)."""
        return RowLines(self.page, self.centre, self.lines, self.top, self.bottom, band)


class _Extents:
    """The words' (top, bottom) by page, ordered by top: the strip between two rows' centres
    looks at the words that can reach into it, not at every word of the table (`row_bands` asks
    for each pair of neighbouring rows). Pages with a position that is not a number keep every
    extent (no order holds among them)."""

    def __init__(self, words: Sequence[Word]) -> None:
        by_page: dict[int, list[tuple[float, float]]] = {}
        for w in words:
            by_page.setdefault(w.page, []).append((w.top, w.bottom))
        self.pages: dict[int, tuple[list[tuple[float, float]], list[float], float] | None] = {}
        for page, spans in by_page.items():
            if all(math.isfinite(t) and math.isfinite(bt) for t, bt in spans):
                spans.sort()
                tallest = max(bt - t for t, bt in spans)
                self.pages[page] = (spans, [t for t, _ in spans], tallest)
            else:
                self.pages[page] = None
        self.raw = by_page

    def near(self, page: int, lo: float, hi: float) -> list[tuple[float, float]]:
        """A superset of the page's extents with a bottom below ``lo`` and a top above ``hi``:
        those with a top from ``lo`` less the tallest extent (and a point against rounding) up to ``hi``."""
        indexed = self.pages.get(page)
        if indexed is None:
            return self.raw.get(page, [])
        spans, tops, tallest = indexed
        return spans[bisect_left(tops, lo - tallest - 1.0) : bisect_right(tops, hi)]


def row_bands(rows: Sequence[RowLines], words: Sequence[Word]) -> list[RowLines]:
    """Rows with the strip of the page each owns: two neighbouring rows meet in the middle of
    the widest empty strip between their labels' centres (a tall wrapped row reaches further
    than half-way to a one-line neighbour)."""
    bands = [r.band for r in rows]  # each row's band as the pairs set it; the rows are rebuilt once, at the end
    order = sorted(range(len(rows)), key=lambda i: (rows[i].page, rows[i].centre))
    pages = _Extents(words)
    for a, b in itertools.pairwise(order):
        ra, rb = rows[a], rows[b]
        if ra.page != rb.page:
            continue
        lo, hi = ra.centre, rb.centre
        spans = sorted((t, bt) for t, bt in pages.near(ra.page, lo, hi) if bt > lo and t < hi)
        spans += [(r.top, r.bottom) for r in (ra, rb)]
        best, at, cur = -1.0, (lo + hi) / 2, lo
        for t, bt in sorted(spans):
            if t > cur and t - cur > best:
                best, at = t - cur, (cur + t) / 2
            if bt > cur:  # cur = max(cur, bt), spelt out
                cur = bt
        if hi - cur > best:
            at = (cur + hi) / 2
        bands[a] = (bands[a][0], at)
        bands[b] = (at, bands[b][1])
    return [r if band is r.band else r.with_band(band) for r, band in zip(rows, bands, strict=True)]


def _on_line(page: int, y: float, rows: Sequence[RowLines], h: float) -> set[int]:
    out: set[int] = set()
    tol = ON_LINE * h
    for i, r in enumerate(rows):  # a plain loop: this runs for every line of every stacked run
        if r.page == page:
            for a in r.lines:
                if abs(a - y) <= tol:
                    out.add(i)
                    break
    return out


def _closest(w: Word, rows: Sequence[RowLines]) -> int | None:
    """The row whose strip of the page holds ``w``'s centre."""
    inside = [i for i, r in enumerate(rows) if r.page == w.page and r.band[0] <= w.yc < r.band[1]]
    return inside[0] if inside else None


def _row_of(lines: Sequence[Word], rows: Sequence[RowLines], on: Sequence[set[int]]) -> int | None:
    """The row a run of stacked lines is one cell of, by where rows print their cells: centred
    on one of the row's lines, starting on one, or every line closest to the row."""
    h = _h(lines[0])
    page = lines[0].page
    centre = (lines[0].top + lines[-1].bottom) / 2
    centred = _on_line(page, centre, rows, h)
    if centred:
        return min(centred)
    if on[0]:
        return min(on[0])
    near = {_closest(w, rows) for w in lines}
    return near.pop() if len(near) == 1 else None  # every line in the same row's strip


def _one_cell(
    lines: Sequence[Word], rows: Sequence[RowLines], hrules: Sequence[HRule], memo: dict[int, set[int]] | None = None
) -> bool:
    """``lines`` are one cell's. ``memo``: each line's `_on_line` (by the word's id) at the first line's
    height, shared by the runs of one chain that start at the same line (`_resolve` tries them all)."""
    if any(is_value_token(w.text) and fold(w.text) in ZERO_MARKERS for w in lines):
        return False  # a zero marker is a whole value (and ``-`` over ``4`` is no ``-4``)
    gaps = [b.top - a.bottom for a, b in itertools.pairwise(lines)]
    if gaps and max(gaps) - min(gaps) > GAP_SPREAD:
        return False  # the lines of one paragraph are evenly spaced; a row break is not
    h = _h(lines[0])
    memo = {} if memo is None else memo
    on = [memo[id(w)] if id(w) in memo else memo.setdefault(id(w), _on_line(w.page, w.yc, rows, h)) for w in lines]
    if len(set().union(*on)) > 1:
        return False  # two of its lines sit on two rows' lines: separate values
    row = _row_of(lines, rows, on)
    proven = _boxed(lines, hrules) or any(is_fragment(w.text) for w in lines[:-1])
    if row is None:
        if not proven:
            return False
        row = _closest(Word("", 0, lines[0].top, 0, lines[-1].bottom, lines[0].page), rows)
    # none of its lines may sit inside another row's label (``389`` beside 其他对外管理服务事项 is
    # its own value, not the end of 行政许可's ``228``), whatever else speaks for one cell
    return not any(
        i != row and r.page == w.page and w.top < r.bottom - SPAN_SLACK * h and w.bottom > r.top + SPAN_SLACK * h
        for w in lines
        for i, r in enumerate(rows)
    )


def join_wrapped(
    pieces: Sequence[Piece], rows: Sequence[RowLines], hrules: Sequence[HRule] | RulesByPage = ()
) -> list[Piece]:
    """Pieces with numbers wrapped inside their cell joined, where that is proven (module doc)."""
    todo = sorted(pieces, key=lambda p: (p.word.page, p.word.top, p.word.x0))
    words = [p.word for p in todo]
    rules = _paged(hrules)
    below: dict[int, int] = {}
    taken: set[int] = set()
    for i, a in enumerate(words):
        reach = a.bottom + WRAP_GAP * _h(a)
        # a top above this is on a's own line: `_stacked` refuses it, tested here first as it does (a NaN passes)
        above = a.bottom - TOUCH
        for j in range(i + 1, len(words)):
            b = words[j]
            if b.page != a.page or b.top > reach:
                break  # sorted by page and top: nothing further down can be the next line
            if not b.top < above and j not in taken and _stacked(a, b, rules.get(a.page, ())):
                below[i] = j
                taken.add(j)
                break
    out: list[Piece] = []
    for i in range(len(todo)):
        if i in taken:
            continue
        if i not in below:  # a value on one line, as most are: nothing to join
            out.append(todo[i])
            continue
        chain = [i]
        while chain[-1] in below:
            chain.append(below[chain[-1]])
        parts = [todo[k] for k in chain]
        for run in _even_runs(parts):  # a chain is on one page (`_stacked`)
            out += _resolve(run, rows, rules.get(run[0].word.page, ()))
    return out


def _even_runs(parts: list[Piece]) -> list[list[Piece]]:
    """A chain cut where its lines sit further apart than its closest pair: the lines of one
    cell are the chain's most tightly spaced; a wider gap is a row break."""
    gaps = [b.word.top - a.word.bottom for a, b in itertools.pairwise(parts)]
    if not gaps:
        return [parts]
    tight = min(gaps) + GAP_SPREAD
    runs = [[parts[0]]]
    for gap, p in zip(gaps, parts[1:], strict=True):
        if gap > tight:
            runs.append([])
        runs[-1].append(p)
    return runs


def _resolve(parts: list[Piece], rows: Sequence[RowLines], hrules: Sequence[HRule]) -> list[Piece]:
    """The longest runs of a chain that are one cell each; the rest stay single values."""
    out: list[Piece] = []
    i = 0
    while i < len(parts):
        memo: dict[int, set[int]] = {}  # (the runs tried from here share their first line, and its height)
        for j in range(len(parts), i + 1, -1):
            run = parts[i:j]
            lines = [p.word for p in run]
            text = "".join(fold(w.text) for w in lines)
            if parse_cell(text, "money").ok and _one_cell(lines, rows, hrules, memo):
                raw = "".join(w.text for w in lines)  # as printed, less the line breaks
                word = lines[0]
                for w in lines[1:]:
                    word = _merge(word, w, raw)
                flags = [*dict.fromkeys(f for p in run for f in p.flags), "wrapped"]
                out.append(Piece(word, flags))
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return out
