"""Columns from header geometry, and numbers → columns.

A column header is found as a *stack*: a word that starts a column label, grown to the right
on its line (letter-spaced ``总 计``) and downwards under itself (wrapped ``商业\\n企业``) while
the text still spells the label. Values are then placed by a monotone assignment (left to
right, never two in one column) that prefers the column whose header interval holds the
value's centre; rows that print every column give exact positions that beat the header.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from operator import itemgetter

from gidar.extract.layout.lines import MIN_LINE_HEIGHT, PAGE_STRIDE, gy
from gidar.extract.layout.pieces import RulesByPage, by_page
from gidar.extract.layout.rows import startable
from gidar.extract.model import Word
from gidar.labels import header_unit, label_state, normalise

# How a header stack grows, in line heights of its last piece (`MIN_LINE_HEIGHT` at least):
STACK_SAME_LINE = 0.5  # centres closer than half a line: the piece continues the stack's line
STACK_LETTER_GAP = 4  # widest gap to it on the line (letter-spaced headers: 总 计)
STACK_BELOW = (0.4, 2.6)  # a wrapped header's next line starts this far below (tops), not a row away
STACK_OVERLAP = 0.4  # share of the piece's width under the stack so far: it wraps in the same cell
RULE_SLACK = 1.0  # points a ruling may sit inside a header's text edge (the text touches its cell)
# Value-to-column cost without full rows: each point outside the column's cell costs as much as
# this many points off its centre, so the cell decides and the centre only breaks ties.
OUTSIDE_WEIGHT, CENTRE_WEIGHT = 10, 0.01


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    x0: float
    x1: float
    top: float = 0.0  # page-spanning y (`lines.gy`) of the stack's first word
    bottom: float = 0.0  # page-spanning y of the stack's lowest edge
    cell: tuple[float, float] | None = None  # x-bounds of the ruled cell around the header, if drawn
    alts: tuple[str, ...] = ()  # every key whose label the printed header spells (本年新: two columns)
    unit: str | None = None  # unit the printed header names (采购总金额（元）)

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2


def _complete(text: str, forms: Sequence[str]) -> bool:
    """The label, possibly with a year inside or a note in brackets after it (``采购总金额（元）``)."""
    return label_state(text, forms) == "complete"


def _prefix(text: str, forms: Sequence[str]) -> bool:
    return label_state(text, forms) is not None


class _Pieces:
    """The words a header stack may grow by, ordered by (page, top, x0): for a stack's last piece,
    the words of its page near enough in height to continue it, then those of the next page, in
    that order. Words with a box upside down or not finite are compared with every stack instead."""

    def __init__(self, ordered: Sequence[Word]) -> None:
        self.words = list(ordered)
        self.keys = [(w.page, w.top) for w in ordered]
        self.tallest = max((w.bottom - w.top for w in ordered), default=0.0)
        self.indexed = all(math.isfinite(w.top) and math.isfinite(w.bottom) and w.bottom >= w.top for w in ordered)

    def near(self, last: Word, h: float) -> list[Word]:
        if not self.indexed:
            return self.words
        # below it by STACK_BELOW, or on its line: a centre within STACK_SAME_LINE of its centre
        # (so a top no higher than that less half the tallest word); widened a hair against rounding
        lo = min(last.top + STACK_BELOW[0] * h, last.yc - STACK_SAME_LINE * h - self.tallest / 2) - 1e-6
        hi = max(last.top + STACK_BELOW[1] * h, last.yc + STACK_SAME_LINE * h) + 1e-6
        keys, page = self.keys, last.page
        same = self.words[bisect_left(keys, (page, lo)) : bisect_right(keys, (page, hi))]
        nxt = self.words[bisect_left(keys, (page + 1, -math.inf)) : bisect_left(keys, (page + 2, -math.inf))]
        return same + nxt


def _grow(start: Word, pieces: _Pieces, used: set[int], forms: Sequence[str]) -> list[Word] | None:
    parts = [start]
    text = normalise(start.text)
    best: list[Word] | None = list(parts) if _complete(text, forms) else None
    lo, hi = start.x0, start.x1  # the stack's x-range: min(x0), max(x1) of its parts, kept as they come
    while True:
        last = parts[-1]
        h = last.bottom - last.top
        h = h if h > MIN_LINE_HEIGHT else MIN_LINE_HEIGHT  # max(MIN_LINE_HEIGHT, h), spelt out
        nxt, gap = None, float("inf")  # the closest piece that continues the label
        # the last piece's geometry and the distances it allows, read once (the loop runs for
        # every nearby word)
        page, yc, x1, top, bottom = last.page, last.yc, last.x1, last.top, last.bottom
        line_tol, letter_gap = STACK_SAME_LINE * h, STACK_LETTER_GAP * h
        below_lo, below_hi = STACK_BELOW[0] * h, STACK_BELOW[1] * h
        # A piece right of the last on its line starts before x_max; one below overlaps [lo, hi]: a piece
        # starting after x_max, or with both edges before x_min, is neither (whatever its box's
        # orientation; a NaN edge is kept), with a point of slack for rounding (the tests below decide).
        x_max, x_min = max(x1 + letter_gap, hi), min(x1 - 1, lo)
        x_max, x_min = x_max + 1 + abs(x_max) * 1e-9, x_min - 1 - abs(x_min) * 1e-9
        # cheap geometry first; whether the text still spells the label is asked last
        for w in pieces.near(last, h):
            if w.x0 > x_max or (w.x0 < x_min and w.x1 < x_min) or id(w) in used:
                continue
            if w.page != page:
                if w.page != page + 1 or nxt is not None:
                    continue
                # a header cell broken by the page end continues on the next page
                overlaps = min(hi, w.x1) - max(lo, w.x0) > STACK_OVERLAP * (w.x1 - w.x0)
                if overlaps and w not in parts and _prefix(text + normalise(w.text), forms):
                    nxt = w
                continue
            same_line = abs((w.top + w.bottom) / 2 - yc) < line_tol and -1 <= w.x0 - x1 <= letter_gap
            if same_line:
                d = w.x0 - x1
            elif below_lo < w.top - top < below_hi and (
                # min(hi, w.x1) - max(lo, w.x0), spelt out: per word below
                (w.x1 if w.x1 < hi else hi) - (w.x0 if w.x0 > lo else lo) > STACK_OVERLAP * (w.x1 - w.x0)
            ):
                d = w.top - bottom  # below, overlapping the stack
            else:
                continue
            if nxt is not None and nxt.page == page and d >= gap:
                continue
            if w not in parts and _prefix(text + normalise(w.text), forms):
                nxt, gap = w, d
        if nxt is None:
            return best
        parts.append(nxt)
        lo, hi = (nxt.x0 if nxt.x0 < lo else lo), (nxt.x1 if nxt.x1 > hi else hi)  # as min and max compare
        text += normalise(nxt.text)
        if _complete(text, forms):
            best = list(parts)


def find_header_columns(words: Sequence[Word], columns: Sequence[tuple[str, Sequence[str]]]) -> list[ColumnSpec]:
    """Every header stack spelling one of ``columns`` (key, labels), left to right."""
    forms = [(k, tuple(dict.fromkeys(normalise(x) for x in labels))) for k, labels in columns]
    every = tuple(fs for _, fs in forms)
    ordered = sorted(words, key=lambda w: (w.page, w.top, w.x0))
    pieces = _Pieces(ordered)
    found: list[ColumnSpec] = []
    used: set[int] = set()
    for w in ordered:
        if id(w) in used:
            continue
        t = normalise(w.text)
        if not t:
            continue
        starts = startable(t, every)  # the columns whose label ``t`` can start
        if not starts:
            continue
        best: tuple[int, str, list[Word]] | None = None
        alts: list[str] = []
        for i in starts:
            key, fs = forms[i]
            parts = _grow(w, pieces, used, fs)
            if parts and (best is None or len(parts) > len(best[2])):
                best, alts = (len(parts), key, parts), [key]
            elif parts and best is not None and len(parts) == len(best[2]) and parts == best[2]:
                alts.append(key)
        if best:
            _, key, parts = best
            used.update(id(p) for p in parts)
            found.append(
                ColumnSpec(
                    key,
                    min(p.x0 for p in parts),
                    max(p.x1 for p in parts),
                    min(gy(p) for p in parts),
                    max(gy(p) + p.bottom - p.top for p in parts),
                    alts=tuple(alts),
                    unit=header_unit("".join(p.text for p in parts)),
                )
            )
    return sorted(found, key=lambda c: c.xc)


def pick_one_per_key(found: Sequence[ColumnSpec], keys: Sequence[str]) -> list[ColumnSpec] | None:
    """One stack per expected key, in the expected left-to-right order; None if that is impossible.

    A key found twice (``其他`` inside a letter-spaced ``法人或其他组织``) keeps the lowest stack:
    sub-headers sit below the headers that span them. A header that spells several keys (two
    cut-off ``本年新`` cells) takes the first key still missing, left to right.
    """
    by_key: dict[str, ColumnSpec] = {}
    for c in found:
        if len(c.alts) > 1:
            continue
        if c.key in keys and (c.key not in by_key or c.top > by_key[c.key].top):
            by_key[c.key] = c
    for c in sorted((c for c in found if len(c.alts) > 1), key=lambda c: c.xc):
        k = next((k for k in keys if k in c.alts and k not in by_key), None)
        if k is not None:
            by_key[k] = replace(c, key=k)
    if set(by_key) != set(keys):
        return None
    out = [by_key[k] for k in keys]
    if any(a.xc >= b.xc for a, b in itertools.pairwise(out)):
        return None
    return out


Rule = tuple[int, float, float, float]  # a vertical ruling segment: page, x, top, bottom
# Points: the segments of one horizontal rule lie this close in y; a grid's cell segments meet this
# close (stroke joins), and two rules mark one cell edge this close in x.
RULE_LEVEL, SEGMENT_JOIN = 0.5, 2.0


def cell_edges(hrules: Sequence[tuple[int, float, float, float]]) -> list[Rule]:
    """The vertical cell edges a grid shows in its horizontal rules alone (a table ruled without
    vertical lines draws each rule as one segment per cell): an x where the segments of a rule
    meet, or where the rule ends, found in two rules one above the other is a cell edge between them.
    A dashed rule has gaps, not joins: only its ends count."""
    by_page: dict[int, list[tuple[int, float, float, float]]] = {}
    for r in hrules:
        if abs(r[3] - r[2]) > SEGMENT_JOIN:  # else a dot, not a rule (and its end would meet its own start)
            by_page.setdefault(r[0], []).append(r)
    out: list[Rule] = []
    for page, page_rules in by_page.items():
        rows = rule_levels(page_rules)
        marks = []
        for y, segs in rows:
            starts = sorted([a for a, _ in segs])
            ends = [b for _, b in segs]
            xs = [min(starts), max(ends), *_near_any(starts, ends)]  # a segment ends where another starts
            marks.append((y, sorted(xs)))
        for (y0, upper), (y1, lower) in itertools.pairwise(marks):
            out += [(page, x, y0, y1) for x in dict.fromkeys(_near_any(lower, upper))]
    return out


def rule_levels(hrules: Sequence[tuple[int, float, float, float]]) -> list[tuple[float, list[tuple[float, float]]]]:
    """One page's horizontal segments grouped into the rules they draw: (y, [(x0, x1), ...]) top down, the
    segments of one rule lying within `RULE_LEVEL` of each other in y (a grid draws one segment per cell)."""
    levels: list[tuple[float, list[tuple[float, float]]]] = []
    for _, y, x0, x1 in sorted(hrules, key=_POSITION):
        seg = (x1 if x1 < x0 else x0, x1 if x1 > x0 else x0)  # (min(x0, x1), max(x0, x1)), spelt out: per segment
        if levels and y - levels[-1][0] <= RULE_LEVEL:
            levels[-1][1].append(seg)
        else:
            levels.append((y, [seg]))
    return levels


def _near_any(xs: Sequence[float], queries: Sequence[float]) -> list[float]:
    """The ``queries`` (in order) with some x of the sorted ``xs`` within `SEGMENT_JOIN` of them."""
    n = len(xs)
    return [x for x in queries if (i := bisect_left(xs, x - SEGMENT_JOIN)) < n and xs[i] <= x + SEGMENT_JOIN]


def with_rules(specs: Sequence[ColumnSpec], rules: Sequence[Rule] | RulesByPage) -> list[ColumnSpec]:
    """Header columns with the x-bounds of the ruled cells around them, where rules are drawn.
    ``rules``: vertical ruling segments, or those `pieces.by_page` grouped (a caller ruling many
    tables groups them once: a document's rules are thousands, a header's page has a few).

    A column gets bounds only when a rule sits in the gap on each side (not beyond a neighbour),
    so a page frame or a table with horizontal rules only leaves the header-gap estimate alone.
    """
    paged = rules if isinstance(rules, dict) else by_page(rules)
    out = []
    for i, s in enumerate(specs):
        page = int(s.top // PAGE_STRIDE) + 1
        top, bottom = s.top % PAGE_STRIDE, s.bottom % PAGE_STRIDE
        page_rules = paged.get(page, [])
        lo = _closest_rule(page_rules, top, bottom, s.x0 + RULE_SLACK, left=True)
        hi = _closest_rule(page_rules, top, bottom, s.x1 - RULE_SLACK, left=False)
        cell = None
        if lo is not None and hi is not None:
            prev_ok = i == 0 or lo >= specs[i - 1].x1 - RULE_SLACK
            next_ok = i + 1 == len(specs) or hi <= specs[i + 1].x0 + RULE_SLACK
            if prev_ok and next_ok:
                cell = (lo, hi)
        out.append(s if cell is None and s.cell is None else replace(s, cell=cell))  # (replace is slow)
    return out


def _closest_rule(rules: Sequence[Rule], top: float, bottom: float, x: float, left: bool) -> float | None:
    """The x of the rule nearest ``x`` at or left of it (``left``) or at or right of it, among one page's
    rules (`by_page`: ordered by x) that reach into [top, bottom]; None if there is none. From where ``x``
    falls in the order outwards, the first that reaches is the nearest (each x is compared again: with a
    NaN ``x`` none is)."""
    if left:
        for k in range(bisect_right(rules, x, key=_POSITION) - 1, -1, -1):
            _, rx, t, b = rules[k]
            if rx <= x and t <= bottom and b >= top:
                return rx
    else:
        for k in range(bisect_left(rules, x, key=_POSITION), len(rules)):
            _, rx, t, b = rules[k]
            if rx >= x and t <= bottom and b >= top:
                return rx
    return None


_POSITION = itemgetter(1)  # a rule's position: x of a vertical rule, y of a horizontal one


@dataclass(frozen=True)
class Anchor:
    """Where a column's values sit: from a row that prints every column, or from the header."""

    x0: float
    x1: float
    exact: bool

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2


def anchors(specs: Sequence[ColumnSpec], full_rows: Sequence[Sequence[Word]]) -> list[Anchor]:
    n = len(specs)
    rows = [r for r in full_rows if len(r) == n]
    if rows:
        out = []
        for i in range(n):
            xs0 = sorted(r[i].x0 for r in rows)
            xs1 = sorted(r[i].x1 for r in rows)
            out.append(Anchor(xs0[len(xs0) // 2], xs1[len(xs1) // 2], True))
        return out
    return [Anchor(s.x0, s.x1, False) for s in specs]


def cost(w: Word, i: int, specs: Sequence[ColumnSpec], anc: Sequence[Anchor]) -> float:
    a = anc[i]
    if a.exact:  # same alignment as the full rows: left, centre or right edge agrees
        return min(abs(w.x0 - a.x0), abs(w.xc - a.xc), abs(w.x1 - a.x1))
    # header only: the ruled cell, else up to the middle of the gaps to the neighbouring headers
    if specs[i].cell is not None:
        lo, hi = specs[i].cell  # type: ignore[misc]
    else:
        lo = (specs[i - 1].x1 + specs[i].x0) / 2 if i > 0 else specs[i].x0 - (specs[i].x1 - specs[i].x0)
        hi = (specs[i].x1 + specs[i + 1].x0) / 2 if i + 1 < len(specs) else specs[i].x1 + (specs[i].x1 - specs[i].x0)
    outside = max(0.0, lo - w.xc, w.xc - hi)
    return outside * OUTSIDE_WEIGHT + abs(w.xc - specs[i].xc) * CENTRE_WEIGHT


OFF_COLUMN = 6.0  # cost above which a value sits between columns rather than under one


DROP = 40.0  # cost of leaving a value out (only when a row prints more values than columns)


def assign(tokens: Sequence[Word], specs: Sequence[ColumnSpec], anc: Sequence[Anchor]) -> tuple[list[int], float]:
    """Column index per token (left to right, strictly increasing columns) and total cost.

    With more values than columns (an extra subtotal column, a split number) the values that
    fit no header worst are left out, as -1.
    """
    toks = sorted(tokens, key=lambda w: w.x0)
    k, n = len(toks), len(specs)
    if k == 0:
        return [], 0.0
    inf = float("inf")
    drop = DROP if k > n else inf
    # dp[i][j]: best cost placing tokens[:i] in columns[:j]; move: 0 skip column, 1 use, 2 drop token
    dp = [[inf] * (n + 1) for _ in range(k + 1)]
    move = [[0] * (n + 1) for _ in range(k + 1)]
    for j in range(n + 1):
        dp[0][j] = 0.0
    for i in range(1, k + 1):
        dp[i][0] = dp[i - 1][0] + drop
        move[i][0] = 2
        for j in range(1, n + 1):
            options = (
                (dp[i][j - 1], 0),
                (dp[i - 1][j - 1] + cost(toks[i - 1], j - 1, specs, anc), 1),
                (dp[i - 1][j] + drop, 2),
            )
            dp[i][j], move[i][j] = min(options, key=lambda o: (o[0], -o[1] if o[1] == 1 else 0))
    cols = [-1] * k
    i, j = k, n
    while i > 0:
        m = move[i][j]
        if m == 1:
            cols[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif m == 2:
            i -= 1
        else:
            j -= 1
    order = sorted(range(k), key=lambda t: tokens[t].x0)
    result = [0] * k
    for pos, t in enumerate(order):
        result[t] = cols[pos]
    return result, dp[k][n]
