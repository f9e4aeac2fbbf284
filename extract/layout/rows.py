"""Anchor table rows by matching printed label fragments against the registry labels.

Labels wrap over 2-3 lines, merged parent labels (（三）不予公开, 三、本年度办理结果) are printed
beside them, sometimes one character per line, and both kinds interleave in reading order.
The matcher walks the fragments top to bottom and keeps several labels *open* at once: a
fragment continues an open label when its text extends that label (normalised) and it sits
in the same x-range below it (or right next to it on the same line); otherwise it may start
a new label. Whatever matches no label (headers, notes) is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from gidar.extract.layout.lines import MIN_LINE_HEIGHT, PAGE_STRIDE, group_lines, gy
from gidar.extract.model import Word
from gidar.labels import State, label_state, normalise, open_note, without_insertions
from gidar.templates import GROUP_VARIANTS, LABEL_NOTE_BRACKETS

FUZZY = 0.75  # SequenceMatcher ratio for a misread label piece
# A label read mostly, the rest lost: at least this many characters and this share of the form.
FUZZY_DONE_CHARS, FUZZY_DONE_SHARE = 4, 0.6
# Distances between a label's pieces, in line heights (`MIN_LINE_HEIGHT` at least):
SAME_LINE = 0.5  # centres closer than half a line: the piece is on the label's line
LETTER_GAP = 4  # widest gap to the next piece on the line (分散对齐 labels spread their characters)
NEXT_LINE = (0.4, 4.5)  # the next line of a wrapped label starts this far below its last (blank lines too)
PAGE_EDGE = 4  # a label cut by a page break ends this close to the page's last text, resumes near the first
X_OVERLAP = 0.5  # share of the narrower of piece and label that must overlap in x, for a next line
DY_WEIGHT = 0.1  # per point further down: a piece right below beats one as well aligned further down
# Line heights beyond `NEXT_LINE`'s reach below a match's last piece where no later piece can continue it (the
# pieces come in reading order; the margin covers a line's pieces whose tops differ): it is no longer tried.
RETIRE_MARGIN = 2.0
_EMPTY_NOTE = "".join(normalise(b) for b in LABEL_NOTE_BRACKETS)  # ``()``
_NUMBERING = re.compile(r"^(?:\d+\.|\([一二三四五六七八九十]+\)|[一二三四五六七八九十]+、)")


@dataclass(frozen=True)
class Target:
    key: str  # row key, or the group label itself for merged parent labels
    forms: tuple[str, ...]  # normalised label and variants
    order: int
    is_group: bool = False


@dataclass
class LabelMatch:
    """A label being read. A short piece such as ``（`` can start several labels: ``cands``
    keeps them all until the following pieces decide."""

    cands: list[Target]
    words: list[Word] = field(default_factory=list)
    text: str = ""
    fuzzy: bool = False  # accepted without spelling the whole label
    saved: tuple[int, str, list[Target]] | None = None  # last complete state (words kept, text, cands)
    _span: tuple[int, tuple[float, float]] | None = field(default=None, repr=False)
    _xrange: tuple[int, tuple[float, float]] | None = field(default=None, repr=False)
    # (text, cands, each cand's `label_state` of the text): asked ~200 times a report, and both
    # change only when a piece is added or the match settles (cands is then a new list)
    _states: tuple[str, list[Target], tuple[State | None, ...]] | None = field(default=None, repr=False, compare=False)

    def states(self) -> tuple[State | None, ...]:
        """`label_state` of the text so far against each candidate's forms, in ``cands`` order."""
        memo = self._states
        if memo is None or memo[1] is not self.cands or memo[0] != self.text:
            memo = self._states = (self.text, self.cands, tuple(label_state(self.text, c.forms) for c in self.cands))
        return memo[2]

    @property
    def target(self) -> Target:
        done = [c for c, s in zip(self.cands, self.states(), strict=True) if s == "complete"]
        return done[0] if done else self.cands[0]

    @property
    def complete(self) -> bool:
        return "complete" in self.states()

    @property
    def in_note(self) -> bool:
        """The label is spelt and an explanation in brackets after it is still being read."""
        return any(open_note(self.text, c.forms) for c in self.cands)

    def by_note(self, more: str) -> bool:
        """``more`` would continue an explanation after the label, not the label's own words."""
        return all(label_state(self.text + more, c.forms, notes=False) is None for c in self.cands)

    def extendable(self, more: str) -> bool:
        t = self.text + more
        return any(label_state(t, c.forms) is not None for c in self.cands) and not self._empty_note(t)

    def _empty_note(self, text: str) -> bool:
        """``text`` is the label and a note with nothing in its brackets: no explanation, but the
        ``（`` and ``）`` of a label printed one character per line beside or below it."""
        s = without_insertions(text)
        return any(s.startswith(f) and _EMPTY_NOTE in s[len(f) :] for c in self.cands for f in c.forms)

    def add(self, w: Word, more: str) -> None:
        if self.complete:  # remember it: a wrong continuation must not lose a whole label
            self.saved = (len(self.words), self.text, list(self.cands))
        self.words.append(w)
        self.text += more
        keep = [c for c in self.cands if label_state(self.text, c.forms) is not None]
        self.cands = keep or self.cands[:1]

    def settle(self) -> None:
        """Back to the last complete reading when later pieces led nowhere."""
        if not self.complete and not self.fuzzy_done and self.saved is not None:
            n, self.text, self.cands = self.saved
            del self.words[n:]

    def fuzzy_extension(self, more: str) -> str | None:
        """The label text ``more`` stands for when it is the next piece with a misread character
        or two (OCR, typos); None when it is not close enough."""
        if len(more) < 2:
            return None
        best, best_r = None, 0.0
        text = without_insertions(self.text)
        for f in (f for c in self.cands for f in c.forms):
            if not f.startswith(text):
                continue
            rest = f[len(text) :]
            for k in range(max(1, len(more) - 2), min(len(rest), len(more) + 2) + 1):
                r = SequenceMatcher(None, more, rest[:k]).ratio()
                if r > best_r:
                    best, best_r = rest[:k], r
        return best if best_r >= FUZZY else None

    @property
    def fuzzy_done(self) -> bool:
        """Most of a label read, the rest lost (OCR dropped a line, a typo broke the prefix)."""
        text = without_insertions(self.text)
        return len(self.cands) == 1 and any(
            f.startswith(text) and len(text) >= max(FUZZY_DONE_CHARS, FUZZY_DONE_SHARE * len(f))
            for f in self.cands[0].forms
        )

    @property
    def span(self) -> tuple[float, float]:
        """(gtop, gbottom), computed once its words are final (placement asks for it per value)."""
        key = len(self.words)
        if self._span is None or self._span[0] != key:
            self._span = (key, (self.gtop, self.gbottom))
        return self._span[1]

    @property
    def xrange(self) -> tuple[float, float]:
        """(x0, x1), computed once per set of words (the matcher asks for it per open label and word)."""
        key = len(self.words)
        if self._xrange is None or self._xrange[0] != key:
            self._xrange = (key, (min(w.x0 for w in self.words), max(w.x1 for w in self.words)))
        return self._xrange[1]

    @property
    def x0(self) -> float:
        return self.xrange[0]

    @property
    def x1(self) -> float:
        return self.xrange[1]

    @property
    def gtop(self) -> float:
        return min(gy(w) for w in self.words)

    @property
    def gbottom(self) -> float:
        return max((w.page - 1) * PAGE_STRIDE + w.bottom for w in self.words)


def targets_for(rows: Sequence[tuple[str, str, Sequence[str]]], groups: Sequence[str] = ()) -> list[Target]:
    """Targets from (key, label, variants) rows plus merged group labels (with their variants)."""
    out = [
        Target(k, tuple(dict.fromkeys(normalise(x) for x in (lab, *var))), i) for i, (k, lab, var) in enumerate(rows)
    ]
    out += [
        Target(g, tuple(dict.fromkeys(normalise(x) for x in (g, *GROUP_VARIANTS.get(g, ())))), len(rows) + i, True)
        for i, g in enumerate(dict.fromkeys(groups))
    ]
    return out


def _continues(m: LabelMatch, w: Word, bounds: dict[int, tuple[float, float]]) -> float | None:
    """Geometric fit of ``w`` as the next fragment of ``m`` (lower is better), None if it cannot be."""
    last = m.words[-1]
    h = last.bottom - last.top
    h = h if h > MIN_LINE_HEIGHT else MIN_LINE_HEIGHT  # max(MIN_LINE_HEIGHT, h), spelt out: per word and open label
    page, last_page = w.page, last.page
    if page == last_page:
        if abs((w.top + w.bottom) / 2 - (last.top + last.bottom) / 2) < SAME_LINE * h:  # just to the right
            gap = w.x0 - last.x1
            return gap if -1 <= gap <= LETTER_GAP * h else None  # (-1: boxes that touch may overlap)
        base = (page - 1) * PAGE_STRIDE
        dy = (base + w.top) - (base + last.top)  # gy(w) - gy(last), spelt out
        if not (NEXT_LINE[0] * h < dy < NEXT_LINE[1] * h):
            return None
    else:  # only from the last lines of a page to the first lines of the next
        if page != last_page + 1 or last_page not in bounds or page not in bounds:
            return None
        if last.bottom < bounds[last_page][1] - PAGE_EDGE * h or w.top > bounds[page][0] + PAGE_EDGE * h:
            return None
        dy = 0.0
    lo, hi = m.xrange
    x0, x1 = w.x0, w.x1
    # min(hi, x1) - max(lo, x0) < X_OVERLAP * min(x1 - x0, hi - lo), the builtins spelt out as they compare
    width, span = x1 - x0, hi - lo
    if (x1 if x1 < hi else hi) - (x0 if x0 > lo else lo) < X_OVERLAP * (span if span < width else width):
        return None
    return abs(x0 - lo) + dy * DY_WEIGHT


@lru_cache(maxsize=1 << 14)
def startable(t: str, forms: tuple[tuple[str, ...], ...]) -> tuple[int, ...]:
    """Which of the labels (their forms, in order) ``t`` can start: the same texts are asked about
    the same label sets in every report."""
    return tuple(i for i, f in enumerate(forms) if label_state(t, f) is not None)


@lru_cache(maxsize=1 << 14)
def _glued_heads(t: str, forms: tuple[tuple[str, ...], ...]) -> tuple[tuple[int, str], ...]:
    """The forms (label index, form; in the order given) that ``t`` starts with and goes on after:
    a whole label glued to the start of the next. Most pieces have none."""
    return tuple((i, f) for i, fs in enumerate(forms) for f in fs if len(f) < len(t) and t.startswith(f))


def may_start(texts: Iterable[str], target: Target, targets: Sequence[Target]) -> bool:
    """Whether `match_labels` over ``targets`` could open a match for ``target`` at a piece reading one of
    ``texts`` (normalised, not empty), whatever was read before it: as a label's start, a misread start,
    or after whole labels glued before it. False proves no match for ``target`` can come from them."""
    every = tuple(tg.forms for tg in targets)
    return any(_may_start(t, target.forms, every) for t in texts)


@lru_cache(maxsize=1 << 14)
def _may_start(t: str, forms: tuple[str, ...], every: tuple[tuple[str, ...], ...]) -> bool:
    # `match_labels`'s ways to start, less what depends on its state (labels taken, rows expected next)
    if label_state(t, forms) is not None:
        return True
    num = _NUMBERING.match(t) if len(t) >= 3 else None
    misread = num and any(f.startswith(num.group(0)) for f in forms)
    if misread and LabelMatch([Target("", forms, 0)], [], "").fuzzy_extension(t):
        return True
    # a whole label glued before the next: the label itself, or what follows it
    return any(f in forms or _may_start(t[len(f) :], forms, every) for _, f in _glued_heads(t, every))


def _out_of_reach(m: LabelMatch, w: Word, bounds: dict[int, tuple[float, float]]) -> bool:
    """No piece at or after ``w`` in reading order can continue ``m`` (`_continues` would refuse them all)."""
    last = m.words[-1]
    h = last.bottom - last.top
    h = h if h > MIN_LINE_HEIGHT else MIN_LINE_HEIGHT  # max(MIN_LINE_HEIGHT, h), spelt out: per word and open label
    if w.page == last.page:
        base = (w.page - 1) * PAGE_STRIDE
        return (base + w.top) - (base + last.top) > (NEXT_LINE[1] + RETIRE_MARGIN) * h  # gy(w) - gy(last)
    if w.page > last.page + 1 or last.page not in bounds or w.page not in bounds:
        return w.page > last.page
    return (
        last.bottom < bounds[last.page][1] - PAGE_EDGE * h
        or w.top > bounds[w.page][0] + (PAGE_EDGE + RETIRE_MARGIN) * h
    )


def match_labels(words: Sequence[Word], targets: Sequence[Target]) -> list[LabelMatch]:
    """Complete label matches in reading order (each target at most once)."""
    forms = tuple(tg.forms for tg in targets)
    by_order = sorted(targets, key=lambda tg: tg.order)
    longest_first = tuple(tuple(sorted(tg.forms, key=len, reverse=True)) for tg in by_order)
    open_: list[LabelMatch] = []
    active: list[LabelMatch] = []  # the matches a piece may still continue (`_out_of_reach`)
    done: set[str] = set()
    bounds: dict[int, tuple[float, float]] = {}
    for w in words:
        lo, hi = bounds.get(w.page, (w.top, w.bottom))
        bounds[w.page] = (min(lo, w.top), max(hi, w.bottom))
    last_order = -1

    def _opened(m: LabelMatch) -> None:
        open_.append(m)
        active.append(m)

    def start(t: str, w: Word) -> bool:
        nonlocal last_order
        starts = startable(t, forms)
        num = _NUMBERING.match(t) if len(t) >= 3 else None
        glued = _glued_heads(t, longest_first)
        if not (starts or num or glued):
            return False  # nothing below could start a label (most pieces): skip building ``taken``
        taken = done | {m.cands[0].key for m in open_ if len(m.cands) == 1}
        cands = [targets[i] for i in starts if targets[i].key not in taken]
        if cands:
            # prefer the next expected row; groups and out-of-order rows only when nothing else fits
            cands.sort(key=lambda tg: (tg.is_group, tg.order < last_order, tg.order))
            _opened(LabelMatch(cands, [w], t))
            if len(cands) == 1 and not cands[0].is_group:
                last_order = cands[0].order
            return True
        # a misread start (OCR, typo): one of the next expected rows, numbering must agree
        if num:
            nxt = [tg for tg in targets if not tg.is_group and tg.key not in taken and tg.order > last_order][:3]
            nxt += [tg for tg in targets if tg.is_group and tg.key not in taken]
            for tg in nxt:
                for f in tg.forms:
                    if not f.startswith(num.group(0)):
                        continue
                    probe = LabelMatch([tg], [w], "")
                    ext = probe.fuzzy_extension(t)
                    if ext:
                        _opened(LabelMatch([tg], [w], ext))
                        if not tg.is_group:
                            last_order = tg.order
                        return True
        # a fragment holding a whole label plus the start of the next (glued words)
        for i, f in glued:
            tg = by_order[i]
            if tg.key not in taken:
                _opened(LabelMatch([tg], [w], f))
                done.add(tg.key)
                if not tg.is_group:
                    last_order = tg.order
                start(t[len(f) :], w)
                return True
        return False

    def could_start(t: str) -> bool:
        taken = done | {m.cands[0].key for m in open_ if len(m.cands) == 1}
        return any(targets[i].key not in taken for i in startable(t, forms))

    def _match_word(w: Word) -> None:
        t = normalise(w.text)
        if not t:
            return
        # where the piece sits decides most: geometry is asked first (once: the misread test below asks too)
        near = [(s, m) for m in active if (s := _continues(m, w, bounds)) is not None]
        fits = [
            (s, m)
            for s, m in near
            if m.extendable(t)
            and not ((m.complete or m.in_note) and w.page != m.words[-1].page)  # notes stay on their page
        ]
        if fits and all(m.by_note(t) for _, m in fits) and could_start(t):
            fits = []  # a new label beats the explanation of the one above: notes never swallow rows
        if fits:
            min(fits, key=lambda x: x[0])[1].add(w, t)
            return
        if start(t, w):
            return
        # (`start` changed nothing when it found no label: ``near`` stands)
        fuzzy = [(s, m, e) for s, m in near if not m.complete and (e := m.fuzzy_extension(t))]
        if fuzzy:
            _, m, ext = min(fuzzy, key=lambda x: x[0])
            m.add(w, ext)

    for ln in group_lines(words):
        if active and ln.words:
            first = min(ln.words, key=gy)
            active[:] = [m for m in active if not _out_of_reach(m, first, bounds)]
        for w in ln.words:
            _match_word(w)

    out = []
    seen: set[str] = set()
    for m in open_:
        m.settle()
    for m in sorted(open_, key=lambda m: (m.span[0], m.x0)):  # (gtop: settled, the span is final)
        # a note whose closing bracket never came still leaves its label spelt
        if (m.complete or m.fuzzy_done or m.in_note) and (target := m.target).key not in seen:
            m.fuzzy = not m.complete
            m.cands = [target]
            seen.add(target.key)
            out.append(m)
    return out
