"""Rebuild tables 二, 三 and 四 from a document's words (text layer or OCR) as registry cells.

Pipeline per table: locate the table between its title and the next one; decide which template
it is printed in (from its own labels: a 2021+ report may print table 二 in the 2019 layout);
anchor rows by label matching (`rows.match_labels`); find column positions from the header
(`columns`); put each line of values on the row whose label span holds it (values may sit on
the middle line of a wrapped label, or a little above it); join numbers printed in pieces
(`pieces`); assign the values of a row to columns. Rows that are not in the template (table 二's
其他主动公开文件) are kept as extra cells. Every structural doubt (a value line with no row, more
values than columns, a label not found, a table left blank) is recorded in ``doubts`` so the
caller can mark the reading ``uncertain``; values that went to no cell are kept as ``orphans``.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from gidar.contract import Cell, ExtraCell
from gidar.extract.layout.columns import (
    OFF_COLUMN,
    SEGMENT_JOIN,
    ColumnSpec,
    Rule,
    anchors,
    assign,
    cell_edges,
    cost,
    find_header_columns,
    pick_one_per_key,
    rule_levels,
    with_rules,
)
from gidar.extract.layout.lines import MIN_LINE_HEIGHT, PAGE_STRIDE, Line, group_lines, gy, gyc
from gidar.extract.layout.pieces import (
    HRule,
    Piece,
    RowLines,
    RulesByPage,
    by_page,
    join_thin,
    join_wrapped,
    row_bands,
    rules_between,
)
from gidar.extract.layout.rows import LabelMatch, Target, match_labels, may_start, targets_for
from gidar.extract.model import Word
from gidar.extract.numbers import fold, is_fragment, is_unit, is_value_token, parse_cell
from gidar.keys import TableKey
from gidar.labels import label_state, normalise
from gidar.templates import T2_CONTENT_HEADER, TEMPLATES, V2021, Column, Template, ValueType

# (Folded) a number with a short tail the reader does not know as a unit (``12.5亿``), not a header's
# piece (``2023年事项数）``, ``-8）``: longer, or bracketed).
_NUMBER_LIKE = re.compile(r"^[+-]?\d[\d,.]*[^\d,.()]{1,2}$")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\(?[一二三四五六七八九十]+\)|\d+\.)")
TABLE_NAMES = {"t2": "二", "t3": "三", "t4": "四"}
DENSE_LINE = 3  # values on one line that make it a row's value line (two could be two wrapped cells)
# line heights from its label within which a row's value line lies (a line further away is the end
# of a neighbour's wrapped cells, in a row whose own cells are blank)
DENSE_REACH = 1.0
# A value sits on the row whose label span, widened by this share of the value's height, holds
# its centre (a one-line value beside a wrapped label is centred on it, never exactly inside)...
SPAN_PAD = 0.35
PLACE_REACH = 1.6  # ...or on the nearest row within this many of its heights; further: no row
MIN_VALUE_HEIGHT = 6.0  # points: a value's height as a unit, at least (digits are small glyphs)
HEADER_CLEAR = 2.0  # points above the first row's label where the column headers end
EDGE_SLACK = 1.0  # points a value's glyph box may overrun the half-way line to the next column
ABOVE_FIRST_ROW = 8.0  # points a wrapped first-row value may start above its label; higher: a header digit
EXTRA_LABEL_WRAP = 1.0  # line heights: an extra row's label continues on a line closer than this
ROW_LINE_SLACK = 1.0  # points: label text this close to a template row's span is on that row's line
# Line heights between an extra label and the rules of its own ruled row: a cell's padding is well under a line;
# a note under a table sits much further from the next rule below it (a page frame, the next table).
RULED_ROW_PAD = 1.5
# A value placed by the header gap alone whose centre lies this close to the gap's middle (share of
# the gap) could be in either column: the header text need not be centred on its cell.
MIDWAY_SHARE = 0.1
PROSE_CHARS = 16  # a word longer than this is prose, not a table-四 header cell


@dataclass
class Reading:
    cells: dict[str, Cell] = field(default_factory=dict)
    doubts: list[tuple[str | None, str]] = field(default_factory=list)  # (cell key or None, why)
    found: set[str] = field(default_factory=set)  # tables located: t2 / t3 / t4
    templates: dict[str, str] = field(default_factory=dict)  # table -> template version it was read with
    extras: list[ExtraCell] = field(default_factory=list)
    orphans: list[Word] = field(default_factory=list)  # value words that went to no cell
    units: dict[str, str] = field(default_factory=dict)  # cell key -> unit printed in its cell or header
    blank: list[str] = field(default_factory=list)  # tables printed without a single value
    hrules: RulesByPage = field(default_factory=dict)  # the ruling segments, `by_page`: grouped once
    vrules: RulesByPage = field(default_factory=dict)

    def doubt(self, key: str | None, why: str) -> None:
        self.doubts.append((key, why))

    def absorb(self, other: Reading) -> None:
        self.cells.update(other.cells)
        self.doubts += other.doubts
        self.found |= other.found
        self.templates.update(other.templates)
        self.extras += other.extras
        self.orphans += other.orphans
        self.units.update(other.units)
        self.blank += other.blank

    def sub(self) -> Reading:
        return Reading(hrules=self.hrules, vrules=self.vrules)


def _core(title: str) -> str:
    return _NUMBERING.sub("", normalise(title))


def find_title(lines: Sequence[Line], title: str, after: float = -1.0) -> Line | None:
    core = _core(title)
    for ln in lines:
        if core in ln.norm and len(ln.norm) <= len(core) + 6 and ln.gtop > after:  # (text first: gtop is a min)
            return ln
    return None


@dataclass
class _Row:
    key: str
    match: LabelMatch | None
    tokens: list[Piece] = field(default_factory=list)
    unread: list[Word] = field(default_factory=list)  # number-like text on its line that reads as none

    @property
    def span(self) -> tuple[float, float]:
        assert self.match is not None
        return self.match.span

    @property
    def words(self) -> list[Word]:
        return sorted((p.word for p in self.tokens), key=lambda w: w.x0)


_Span = tuple[float, float, "_Row"]  # a labelled row's label span (gtop, gbottom) and the row


class _Spans:
    """The label spans of labelled rows, looked up once for all the values placed on them, and
    ordered by top so that a value is compared with the spans within its reach only."""

    def __init__(self, rows: Sequence[_Row]) -> None:
        self.spans: list[_Span] = [(*r.match.span, r) for r in rows if r.match is not None]
        self.by_top = sorted(range(len(self.spans)), key=lambda i: self.spans[i][0])
        self.tops = [self.spans[i][0] for i in self.by_top]
        self.tallest = max((b - t for t, b, _ in self.spans), default=0.0)

    def near(self, c: float, margin: float) -> list[_Span]:
        """The spans (in row order) with ``c`` no further than ``margin`` above or below them:
        top ≥ c - margin - the tallest span's height, so the search starts there. (The margin is
        widened by a hair against rounding: one span more to compare changes nothing.)"""
        margin += 1e-6
        lo = bisect_left(self.tops, c - margin - self.tallest)
        hi = bisect_right(self.tops, c + margin)
        spans = self.spans
        return [spans[i] for i in sorted([i for i in self.by_top[lo:hi] if spans[i][1] >= c - margin])]


def _nearest(spans: _Spans, w: Word | Line, reach: float = PLACE_REACH) -> _Row | None:
    """The row whose label span holds ``w``'s centre, or the nearest one within ``reach`` line
    heights; inside two spans, the one centred closer."""
    top_, bottom_ = w.top, w.bottom  # (a `Line`'s are computed at each read)
    c = (w.page - 1) * PAGE_STRIDE + (top_ + bottom_) / 2
    h = bottom_ - top_
    h = h if h > MIN_VALUE_HEIGHT else MIN_VALUE_HEIGHT  # max(MIN_VALUE_HEIGHT, h), spelt out: per value
    pad = SPAN_PAD * h
    best, best_d, best_m = None, float("inf"), 0.0
    # a span further than both the pad and the reach is at a distance beyond the reach: never chosen
    for top, bottom, r in spans.near(c, max(pad, reach * h)):
        d = 0.0 if top - pad <= c <= bottom + pad else min(abs(c - top), abs(c - bottom))
        if d > best_d:
            continue
        m = abs(c - (top + bottom) / 2)
        if d < best_d or m < best_m:
            best, best_d, best_m = r, d, m
    return best if best_d <= reach * h else None


def _row_lines(rows: Sequence[_Row], values: Sequence[Word]) -> list[RowLines]:
    """Each labelled row's label centre and lines: its label's first line and centre, and its
    densest line of values (the line of values closest to it that holds most of them)."""
    labelled = [r for r in rows if r.match is not None]
    spans = _Spans(labelled)
    dense: dict[int, Line] = {}
    for ln in group_lines(values):
        if len(ln.words) < DENSE_LINE:
            continue
        r = _nearest(spans, ln, reach=DENSE_REACH)
        if r is not None and (id(r) not in dense or len(ln.words) > len(dense[id(r)].words)):
            dense[id(r)] = ln
    out: list[RowLines] = []
    for r in labelled:
        assert r.match is not None
        first = r.match.words[0]
        base = (first.page - 1) * PAGE_STRIDE
        gtop, gbottom = r.match.span
        centre = (gtop + gbottom) / 2 - base if gbottom - base < PAGE_STRIDE else first.yc
        ys = [first.yc, centre]
        value_line = dense.get(id(r))
        if value_line is not None and value_line.page == first.page:
            ys.append((value_line.top + value_line.bottom) / 2)
        top, bottom = gtop - base, min(gbottom - base, PAGE_STRIDE)
        out.append(RowLines(first.page, centre, tuple(ys), top, bottom))
    return row_bands(out, values)


def _pieces(values: Sequence[Word], rows: Sequence[_Row], reading: Reading) -> list[Piece]:
    """The table's values with numbers printed in pieces joined (`pieces`); a unit left on its
    own joined nothing and is no value."""
    joined = join_wrapped(join_thin(values, reading.vrules), _row_lines(rows, values), reading.hrules)
    return [p for p in joined if not is_unit(p.word.text)]


def _place(rows: Sequence[_Row], pieces: Sequence[Piece], reading: Reading, table: str) -> None:
    """Each value goes to the row whose label span holds it, or the nearest close one."""
    spans = _Spans(rows)
    lost: list[Word] = []
    for p in pieces:
        best = _nearest(spans, p.word)
        if best is None:
            lost.append(p.word)
            continue
        best.tokens.append(p)
    for ln in group_lines(lost):
        reading.doubt(None, f"{table}: values {ln.text!r} on page {ln.page} belong to no row")
    reading.orphans += lost


def _unread(rows: Sequence[_Row], text_words: Sequence[Word], used: set[int], reading: Reading) -> None:
    """Text right of every row label, on a row, that is a number with a tail that is no unit (a unit the
    registry lacks, one cut by a wrap): its cell would be read blank. It is said, and kept as an orphan."""
    labelled = [r for r in rows if r.match is not None]
    if not labelled:
        return
    label_x1 = max(r.match.x1 for r in labelled if r.match is not None)
    spans = _Spans(labelled)
    for w in text_words:
        if id(w) not in used and w.x0 > label_x1 and _NUMBER_LIKE.match(normalise(fold(w.text))):
            row = _nearest(spans, w)
            if row is not None:
                row.unread.append(w)
                reading.orphans.append(w)


def _cells_for_row(
    reading: Reading,
    prefix: str,
    row: _Row,
    columns: Sequence[Column],
    specs: Sequence[ColumnSpec] | None,
    full_rows: Sequence[Sequence[Word]],
) -> dict[str, Cell]:
    keys = [f"{prefix}.{c.key}" for c in columns]
    types: list[ValueType] = [c.value_type for c in columns]
    toks = row.words
    join_flags = {id(p.word): p.flags for p in row.tokens}
    placed: dict[int, Word] = {}
    off: set[int] = set()
    guess: dict[int, int] = {}  # column -> the neighbour its value may as well belong to
    dropped: list[Word] = []
    if toks:
        if len(toks) > len(columns):
            reading.doubt(keys[0], f"{prefix}: {len(toks)} values for {len(columns)} columns ({_texts(toks)})")
            if specs is None:
                dropped = toks[len(columns) :]
                toks = toks[: len(columns)]
        if len(toks) == len(columns):
            placed = dict(enumerate(toks))
        elif specs is not None:
            anc = anchors(specs, full_rows)
            cols, _ = assign(toks, specs, anc)
            placed = {c: t for c, t in zip(cols, toks, strict=True) if c >= 0}
            dropped += [t for c, t in zip(cols, toks, strict=True) if c < 0]
            off = {c for c, t in placed.items() if cost(t, c, specs, anc) > OFF_COLUMN}
            if not anc[0].exact:
                guess = {c: j for c, t in placed.items() if (j := _midway(t, c, specs, placed)) is not None}
        elif len(columns) == 1:
            placed = {0: toks[0]}
            dropped = toks[1:]
        else:
            reading.doubt(keys[0], f"{prefix}: column header not found, {len(toks)} values cannot be placed")
            placed = dict(enumerate(toks))
    reading.orphans += dropped
    for w in row.unread:  # the cell under it, or (columns unknown) the row's first
        i = min(range(len(keys)), key=lambda i: abs(specs[i].xc - w.xc)) if specs and len(specs) == len(keys) else 0
        reading.doubt(keys[i], f"{prefix}: {w.text!r} is a number with an unknown tail")
    out: dict[str, Cell] = {}
    reached: dict[int, str] = {}  # column → flag: a neighbouring value's box reaches into it
    heads = specs if specs is not None and len(specs) == len(keys) else None  # a header column for each cell
    centres = [s.xc for s in specs] if specs is not None else []  # (asked for each value)
    ordered = all(a < b for a, b in itertools.pairwise(centres))
    blank: tuple[int | None, float, float] | None = None  # where the row's blank cells sit, once asked
    for i, key in enumerate(keys):
        tok = placed.get(i)
        if tok is not None:
            p = parse_cell(tok.text, types[i])
            flags = [*p.flags, *join_flags.get(id(tok), [])]
            cell = Cell(key, p.value, tok.text, tok.page, (tok.x0, tok.top, tok.x1, tok.bottom), tok.conf, flags)
            if p.value is None:
                reading.doubt(key, f"cannot read {tok.text!r} as a number")
            if i in off:
                cell.flags.append("off_column")
            if i in guess:
                cell.flags.append("column_guessed")
                for k in (key, keys[guess[i]]):
                    reading.doubt(k, f"{prefix}: {tok.text!r} sits midway between two column headers")
            if dropped:
                cell.flags.append("row_value_dropped")
            if heads is not None:
                spans, reaches = _straddled(tok, i, centres, ordered), _crossed(tok, i, centres)
                if spans:
                    cell.flags.append("straddles_columns")
                elif reaches:
                    cell.flags.append("crosses_column_edge")
                for j in spans:  # the column it reaches into may be missing the glued piece
                    reached[j] = "straddled_by_neighbour"
                for j in reaches:
                    reached.setdefault(j, "crossed_by_neighbour")
            unit = p.unit or (heads[i].unit if heads is not None else None)
        else:
            if blank is None:
                blank = _blank_place(row)
            page, top, bottom = blank
            bbox = (heads[i].x0, top, heads[i].x1, bottom) if heads is not None and page is not None else None
            cell = Cell(key, 0, "", page, bbox, None, ["blank_as_zero"])
            unit = heads[i].unit if heads is not None else None  # the column's
        out[key] = cell
        if unit:
            reading.units[key] = unit
    for j, flag in reached.items():
        out[keys[j]].flags.append(flag)
    return out


def _blank_place(row: _Row) -> tuple[int | None, float, float]:
    """(page, top, bottom) of the row's blank cells: its label's first page and extent, at most 200
    points down; no page for a row without a label."""
    if row.match is None:
        return None, 0.0, 0.0
    page = row.match.words[0].page
    gtop, gbottom = row.match.span
    top = gtop - (page - 1) * PAGE_STRIDE
    return page, top, min(gbottom - (page - 1) * PAGE_STRIDE, top + 200)


def _midway(w: Word, i: int, specs: Sequence[ColumnSpec], placed: dict[int, Word]) -> int | None:
    """The value, placed by the headers alone (no ruled cell, no row printing every column), is
    centred so near the middle of the gap between its header and a neighbour's left free that
    either column could be its own (a right-aligned value under a wide column's short header):
    that neighbour's index."""
    for j in (i - 1, i + 1):
        if not 0 <= j < len(specs) or j in placed or specs[i].cell is not None or specs[j].cell is not None:
            continue
        a, b = specs[min(i, j)], specs[max(i, j)]
        gap = b.x0 - a.x1
        if gap > 0 and abs(w.xc - (a.x1 + b.x0) / 2) < MIDWAY_SHARE * gap:
            return j
    return None


def _straddled(w: Word, i: int, centres: Sequence[float], ordered: bool = False) -> list[int]:
    """Other columns (their ``centres``) whose centre the value's box spans: two values read as one word
    (an OCR engine glues ``0`` and ``38`` of neighbouring columns into ``038``), not one number in its box.
    ``ordered``: the centres increase strictly, so those inside the box are found by bisection."""
    if ordered:  # (a NaN edge finds none, as the comparisons below do)
        return [j for j in range(bisect_right(centres, w.x0), bisect_left(centres, w.x1)) if j != i]
    return [j for j, xc in enumerate(centres) if j != i and w.x0 < xc < w.x1]


def _crossed(w: Word, i: int, centres: Sequence[float]) -> list[int]:
    """Neighbouring columns (their ``centres``) the value's box reaches over half-way to (by more than
    glyph-box slack): a piece of the neighbour's value may be glued to it (``9`` wrapped below ``13`` and
    ``71`` beside it read as ``971``)."""
    out = []
    if i > 0 and w.x0 < (centres[i - 1] + centres[i]) / 2 - EDGE_SLACK:
        out.append(i - 1)
    if i + 1 < len(centres) and w.x1 > (centres[i] + centres[i + 1]) / 2 + EDGE_SLACK:
        out.append(i + 1)
    return out


def _texts(ws: Sequence[Word]) -> str:
    return " ".join(w.text for w in ws)


_GLUED = re.compile(r"^(.*?[^\d,.+\-\s])[\s\u3000]*([+\-]?\d[\d,]*(?:\.\d+)?)$")


def unglue(words: Sequence[Word], forms: frozenset[str] | set[str]) -> list[Word]:
    """Split a label word with its value glued on (``行政许可273`` from a tight cell gap). Only
    whole registry labels are split, so prose such as ``信息1136`` stays one word."""
    out: list[Word] = []
    for w in words:
        parts = _glued(w.text)
        if parts and normalise(parts[0]) in forms:
            label, value = parts
            cut = w.x0 + (w.x1 - w.x0) * len(label) / len(w.text)
            out += [Word(label, w.x0, w.top, cut, w.bottom, w.page, w.conf)]
            out += [Word(value, cut, w.top, w.x1, w.bottom, w.page, w.conf)]
        else:
            out.append(w)
    return out


@lru_cache(maxsize=1 << 14)  # every word of every table region, every report: mostly the same texts
def _glued(text: str) -> tuple[str, str] | None:
    """(text, number) of a text ending in a number after other text (`_GLUED`), else None."""
    m = _GLUED.match(text)
    return (m.group(1), m.group(2)) if m else None


@lru_cache(maxsize=1 << 14)  # asked for every word of each table's region: the same texts in every report
def is_value_piece(text: str) -> bool:
    """A printed value or a piece of one (cut by a wrap inside a narrow cell)."""
    return is_value_token(text) or is_fragment(text)


def _split(words: Sequence[Word], forms: frozenset[str] | set[str] = frozenset()) -> tuple[list[Word], list[Word]]:
    """(text words, value words). A unit on its own is both: the end of a wrapped value cell
    (``19,474`` / ``宗``) or a character of a header printed one per line (``件``)."""
    words = unglue(words, forms) if forms else list(words)
    vals = [w for w in words if is_value_piece(w.text)]
    ids = {id(w) for w in vals}
    return [w for w in words if id(w) not in ids], vals + [w for w in words if is_unit(w.text)]


def _region(words: Sequence[Word], start: Line | None, end: Line | None) -> list[Word]:
    lo = start.gbottom if start else -1.0
    hi = end.gtop if end else float("inf")
    return [w for w in words if lo < (w.page - 1) * PAGE_STRIDE + (w.top + w.bottom) / 2 < hi]  # gyc(w), spelt out


def _column_labels(columns: Sequence[Column]) -> list[tuple[str, Sequence[str]]]:
    return [(c.key, (c.label, *c.variants)) for c in columns]


def _flag_blank(reading: Reading, table: TableKey, keys: Sequence[str]) -> None:
    """A table whose every value cell is blank is an unfilled template, not a table of zeros."""
    cells = [reading.cells[k] for k in keys if k in reading.cells]
    if not cells or any(c.raw.strip() for c in cells):
        return
    for c in cells:
        c.flags.append("table_blank")
    reading.blank.append(table)
    reading.doubt(None, f"table {TABLE_NAMES[table]} is blank: an unfilled template, not a table of zeros")


# --- table 三 -----------------------------------------------------------------------------


_T3Match = tuple[list[Word], list[Word], list[LabelMatch]]  # text words, value words, label matches


def _t3_targets(tpl: Template) -> list[Target]:
    groups = [r.group for r in tpl.t3_rows if r.group]
    return targets_for([(r.key, r.label, r.variants) for r in tpl.t3_rows], groups)


def _t3_match(words: Sequence[Word], tpl: Template) -> _T3Match:
    targets = _t3_targets(tpl)
    text_words, values = _split(words, {f for t in targets for f in t.forms})
    return text_words, values, match_labels(text_words, targets)


def t3_template(words: Sequence[Word], hint: Template) -> tuple[Template, _T3Match]:
    """Table 三's template from its labels (and its label matches, to read it with): the three
    （六） sub-rows only the 2021 format prints; a single （六）其他处理 row fits both (2021 reports
    print it too), so ``hint`` decides."""
    subrows = {r.key for r in V2021.t3_rows} - {r.key for r in TEMPLATES["v2019"].t3_rows}
    if hint is not V2021 and _startable_subrows(words, subrows) < 2:
        return hint, _t3_match(words, hint)  # two sub-rows cannot be found: the 2021 reading is not needed
    found = _t3_match(words, V2021)
    if len(subrows & {m.target.key for m in found[2]}) >= 2 or hint is V2021:
        return V2021, found
    return hint, _t3_match(words, hint)


def _startable_subrows(words: Sequence[Word], subrows: set[str]) -> int:
    """How many of the 2021 format's ``subrows`` some piece of ``words`` could start (`rows.may_start`),
    as `_t3_match` would read them: an upper bound on how many its matching can find."""
    targets = _t3_targets(V2021)
    text_words, _ = _split(words, {f for t in targets for f in t.forms})
    texts = {t for w in text_words if (t := normalise(w.text))}
    return sum(may_start(texts, tg, targets) for tg in targets if tg.key in subrows)


def read_t3(
    words: Sequence[Word],
    tpl: Template,
    reading: Reading,
    rules: Sequence[Rule] = (),
    matched: _T3Match | None = None,
) -> None:
    groups = [r.group for r in tpl.t3_rows if r.group]
    text_words, values, matches = matched if matched is not None else _t3_match(words, tpl)
    by_key = {m.target.key: m for m in matches}
    rows = [_Row(r.key, by_key.get(r.key)) for r in tpl.t3_rows]
    # a merged parent printed as one row (（六）其他处理 in a 2021-format report): a pseudo-row
    pseudo: dict[str, list[str]] = {}
    for g in dict.fromkeys(groups):
        kids = [r.key for r in tpl.t3_rows if r.group == g]
        if g in by_key and all(by_key.get(k) is None for k in kids) and len(kids) > 1:
            pseudo[g] = kids
    prow = {g: _Row(g, by_key[g]) for g in pseudo}
    found = [r for r in rows if r.match]
    if len(found) < len(rows) // 2:
        return
    reading.found.add("t3")
    reading.templates["t3"] = tpl.version
    first = min(r.span[0] for r in found)
    header_words = [w for w in text_words if gy(w) < first - HEADER_CLEAR]
    specs = pick_one_per_key(
        find_header_columns(header_words, _column_labels(tpl.t3_columns)), [c.key for c in tpl.t3_columns]
    )
    if specs is not None and rules:
        specs = with_rules(specs, reading.vrules)
    used = {id(w) for m in matches for w in m.words}
    vals = [w for w in values if id(w) not in used]
    all_rows = [*rows, *prow.values()]
    # values above the first row (a header digit) are not the table's; a wrapped first-row cell
    # starts above its label, so the test is on the joined pieces
    pieces = [
        p for p in _pieces(vals, all_rows, reading) if gy(p.word) + p.word.bottom - p.word.top > first - ABOVE_FIRST_ROW
    ]
    _place(all_rows, pieces, reading, "t3")
    _unread(all_rows, text_words, used, reading)
    full = [r.words for r in all_rows if len(r.tokens) == len(tpl.t3_columns)]
    if specs is None:
        reading.doubt(None, "t3: applicant column headers not found; columns from value positions")
        if full:
            specs = [ColumnSpec(c.key, w.x0, w.x1) for c, w in zip(tpl.t3_columns, full[0], strict=True)]
    for r in rows:
        if r.match is None and not any(r.key in kids for kids in pseudo.values()):
            reading.doubt(f"t3.{r.key}.total", f"t3: row label not found: {tpl.t3_row(r.key).label}")
            continue
        if r.match is not None:
            reading.cells.update(_cells_for_row(reading, f"t3.{r.key}", r, tpl.t3_columns, specs, full))
    for g, kids in pseudo.items():
        tmp = reading.sub()
        pcells = _cells_for_row(tmp, "p", prow[g], tpl.t3_columns, specs, full)
        reading.doubts += tmp.doubts
        reading.orphans += tmp.orphans
        nonzero = any(c.value for c in pcells.values())
        for i, kid in enumerate(kids):
            for c in tpl.t3_columns:
                src = pcells[f"p.{c.key}"]
                last = i == len(kids) - 1
                key = f"t3.{kid}.{c.key}"
                val = src.value if last else 0
                reading.cells[key] = Cell(
                    key,
                    val,
                    src.raw if last else "",
                    src.page,
                    src.bbox,
                    src.conf,
                    [*src.flags, "group_printed_as_one_row"],
                )
                if nonzero:
                    reading.doubt(key, f"t3: {g} printed as one row; its values are put under the last sub-row")
    _flag_blank(reading, "t3", tpl.value_keys("t3"))


# --- table 四 -----------------------------------------------------------------------------


_HEADING = re.compile(r"^[五六七八九十]、")


def _t4_region(lines: Sequence[Line]) -> list[Line]:
    """Lines after the table-四 title up to the next section heading or prose."""
    out = []
    for ln in lines:
        prose = any(len(normalise(w.text)) > PROSE_CHARS for w in ln.words)  # header cells are short
        if _HEADING.match(ln.norm) or prose:
            break
        out.append(ln)
    return out


def read_t4(lines: Sequence[Line], tpl: Template, reading: Reading, rules: Sequence[Rule] = ()) -> None:
    region = _t4_region(lines)
    words = [w for ln in region for w in ln.words]
    text_words, _ = _split(words)
    found = find_header_columns(text_words, _column_labels(tpl.t4_columns))
    keys = [c.key for c in tpl.t4_columns]
    # stacked layout: one row per block, labelled on the left, under one 5-column header
    five = pick_one_per_key(found, keys) if len(found) == len(keys) else None
    if five is not None and rules:
        five = with_rules(five, reading.vrules)
    if five is not None:
        blocks = targets_for([(b.key, b.label, b.variants) for b in tpl.t4_blocks])
        matches = match_labels(text_words, blocks)
        if len(matches) == len(tpl.t4_blocks) and all(m.x1 < five[0].x0 for m in matches):
            _read_t4_stacked(region, matches, five, tpl, reading)
            return
    header: list[Word] = []
    data: list[Word] = []
    for ln in region:
        if all(is_value_piece(w.text) for w in ln.words):
            data.extend(ln.words)
        elif data:
            break
        else:
            header.extend(ln.words)
    n = len(tpl.t4_blocks) * len(keys)
    specs: list[ColumnSpec] | None = None
    if len(found) == n:
        chunks = [found[i : i + len(keys)] for i in range(0, n, len(keys))]
        if all(sorted(c.key for c in ch) == sorted(keys) for ch in chunks):
            specs = [
                ColumnSpec(f"{b.key}.{c.key}", c.x0, c.x1, c.top, c.bottom)
                for b, ch in zip(tpl.t4_blocks, chunks, strict=True)
                for c in ch
            ]
            specs = with_rules(specs, reading.vrules) if rules else specs
    if specs is None and len(data) != n:
        if not header and not data:
            return
        reading.doubt(None, f"t4: {len(found)} column headers and {len(data)} values for {n} cells")
    reading.found.add("t4")
    reading.templates["t4"] = tpl.version
    cols = (
        [Column(s.key, s.key) for s in specs]
        if specs
        else [Column(f"{b.key}.{c.key}", c.label) for b in tpl.t4_blocks for c in tpl.t4_columns]
    )
    row = _Row("t4", None)
    if data:  # one row: the data band (its centre and its first line)
        first = min(data, key=lambda w: w.top)
        centre = (first.top + max(w.bottom for w in data if w.page == first.page)) / 2
        band = RowLines(first.page, centre, (first.yc, centre), first.top, first.top)
        joined = join_wrapped(join_thin(data, reading.vrules), [band], reading.hrules)
        row.tokens = [p for p in joined if not is_unit(p.word.text)]
    full = [row.words]
    reading.cells.update(_cells_for_row(reading, "t4", row, cols, specs, full))
    if specs:  # blank cells: the header column, on the data line or (none printed) just below the header
        low = max(specs, key=lambda s: s.bottom)
        page = int(low.bottom // PAGE_STRIDE) + 1
        top, bottom = (
            (data[0].top, data[0].bottom) if data else (low.bottom % PAGE_STRIDE + 2, low.bottom % PAGE_STRIDE + 14)
        )
        for s in specs:
            c = reading.cells[f"t4.{s.key}"]
            if c.bbox is None:
                c.bbox, c.page = (s.x0, top, s.x1, bottom), data[0].page if data else page
    _flag_blank(reading, "t4", tpl.value_keys("t4"))


def _read_t4_stacked(
    region: Sequence[Line], matches: Sequence[LabelMatch], specs: Sequence[ColumnSpec], tpl: Template, reading: Reading
) -> None:
    reading.found.add("t4")
    reading.templates["t4"] = tpl.version
    by_key = {m.target.key: m for m in matches}
    rows = [_Row(b.key, by_key[b.key]) for b in tpl.t4_blocks]
    used = {id(w) for m in matches for w in m.words}
    vals = [w for ln in region for w in ln.words if id(w) not in used and is_value_piece(w.text)]
    _place(rows, _pieces(vals, rows, reading), reading, "t4")
    full = [r.words for r in rows if len(r.tokens) == len(specs)]
    for r in rows:
        reading.cells.update(_cells_for_row(reading, f"t4.{r.key}", r, tpl.t4_columns, specs, full))
    _flag_blank(reading, "t4", tpl.value_keys("t4"))


# --- table 二 -----------------------------------------------------------------------------


def _extra_rows(text_words: Sequence[Word], used: set[int], rows: Sequence[_Row], tpl: Template) -> list[_Row]:
    """Rows the template does not have: label text left of the values, on no template row's
    line, that is no caption, header or known label (checked below: only rows that get values
    on their own line become extra cells)."""
    placed = [r for r in rows if r.match is not None]
    if not placed:
        return []
    label_x1 = max(r.match.x1 for r in placed if r.match is not None)
    known = [normalise(T2_CONTENT_HEADER)] + [normalise(b.label) for b in tpl.t2_blocks]
    known += [normalise(x) for b in tpl.t2_blocks for c in b.columns for x in (c.label, *c.variants)]
    spans = [r.span for r in placed]
    free = []
    for w in text_words:
        if id(w) in used or w.x0 > label_x1:
            continue
        if _known_piece(normalise(w.text), tuple(known)):
            continue  # a piece of a caption, header or label (第二十条 / 第（五）项)
        c = gyc(w)
        if any(top - ROW_LINE_SLACK <= c <= bottom + ROW_LINE_SLACK for top, bottom in spans):
            continue
        free.append(w)
    out: list[_Row] = []
    for ln in group_lines(free):
        prev = out[-1] if out else None
        if prev is not None and prev.match is not None:
            last = prev.match.words[-1]
            h = max(MIN_LINE_HEIGHT, last.bottom - last.top)
            if (
                ln.page == last.page
                and 0 < ln.top - last.bottom < EXTRA_LABEL_WRAP * h
                and ln.words[0].x0 < prev.match.x1
            ):
                prev.match.words.extend(ln.words)
                prev.match.text += "".join(normalise(w.text) for w in ln.words)
                continue
        target = Target(f"extra{len(out)}", (), -1)
        out.append(_Row(target.key, LabelMatch([target], list(ln.words), "".join(normalise(w.text) for w in ln.words))))
    return out


@lru_cache(maxsize=1 << 14)  # the same pieces against the same texts in every report
def _known_piece(t: str, known: tuple[str, ...]) -> bool:
    """``t`` is a piece of one of the ``known`` texts (normalised), or may start one."""
    return any((len(t) > 1 and t in k) or label_state(t, (k,)) is not None for k in known)


def t2_template(words: Sequence[Word], hint: Template) -> Template:
    """Table 二's template from its own words: the column headers each template prints (found
    at once, keyed by version), then the rows only one of them has; ``hint`` breaks a tie."""
    text_words, _ = _split(words)
    cols = {
        f"{t.version}:{c.key}": (c.label, *c.variants)
        for t in TEMPLATES.values()
        for b in t.t2_blocks
        for c in b.columns
    }
    heads = {c.key for c in find_header_columns(text_words, list(cols.items()))}
    text = "".join(ln.norm for ln in group_lines(text_words))
    score = {}
    for t in TEMPLATES.values():
        others = {normalise(r.label) for o in TEMPLATES.values() if o is not t for b in o.t2_blocks for r in b.rows}
        own = {normalise(r.label) for b in t.t2_blocks for r in b.rows} - others
        score[t.version] = (sum(h.startswith(f"{t.version}:") for h in heads), sum(lab in text for lab in own))
    return max(TEMPLATES.values(), key=lambda t: (score[t.version], t is hint))


def read_t2(
    words: Sequence[Word], lines: Sequence[Line], tpl: Template, reading: Reading, rules: Sequence[Rule] = ()
) -> None:
    rows_spec = [(f"{b.key}.{r.key}", r.label, r.variants) for b in tpl.t2_blocks for r in b.rows]
    targets = targets_for(rows_spec)
    text_words, values = _split(words, {f for t in targets for f in t.forms})
    matches = match_labels(text_words, targets)
    by_key = {m.target.key: m for m in matches}
    if len(by_key) < len(rows_spec) // 2:
        return
    reading.found.add("t2")
    reading.templates["t2"] = tpl.version
    rows = {k: _Row(k, by_key.get(k)) for k, _, _ in rows_spec}
    used = {id(w) for m in matches for w in m.words}
    extras = _extra_rows(text_words, used, list(rows.values()), tpl)
    vals = [w for w in values if id(w) not in used]
    all_rows = [*rows.values(), *extras]
    _place(all_rows, _pieces(vals, all_rows, reading), reading, "t2")
    _unread(all_rows, text_words, used, reading)
    prev_bottom = -1.0
    for bi, b in enumerate(tpl.t2_blocks):
        brows = [rows[f"{b.key}.{r.key}"] for r in b.rows]
        got = [r for r in brows if r.match]
        if not got:
            for r in brows:
                reading.doubt(f"t2.{r.key}.{b.columns[0].key}", f"t2: row label not found in {b.label}")
            continue
        top = min(r.span[0] for r in got)
        header = [w for w in text_words if prev_bottom < gy(w) < top - 1 and id(w) not in used]
        specs = pick_one_per_key(find_header_columns(header, _column_labels(b.columns)), [c.key for c in b.columns])
        if specs is not None and rules:
            specs = with_rules(specs, reading.vrules)
        if specs is None and len(b.columns) > 1:
            reading.doubt(None, f"t2: column headers of {b.label} not found")
        full = [r.words for r in got if len(r.tokens) == len(b.columns)]
        for r in brows:
            if r.match is None:
                reading.doubt(f"t2.{r.key}.{b.columns[0].key}", "t2: row label not found")
                continue
            reading.cells.update(_cells_for_row(reading, f"t2.{r.key}", r, b.columns, specs, full))
        bottom = max(r.span[1] for r in got)
        later = [rows[f"{n.key}.{r.key}"] for n in tpl.t2_blocks[bi + 1 :] for r in n.rows]
        next_top = min((r.span[0] for r in later if r.match), default=float("inf"))
        for x in extras:  # an extra row belongs to the block whose rows it follows
            if top <= x.span[0] < next_top and (
                x.tokens
                or _blank_ruled_row(x, specs, text_words, reading.hrules)
                or _blank_unruled_row(x, list(rows.values()), specs, reading.hrules)
            ):
                _extra_cells(reading, b.key, x, b.columns, specs, full)
        prev_bottom = bottom
    _flag_blank(reading, "t2", tpl.value_keys("t2"))


def _blank_ruled_row(
    row: _Row, specs: Sequence[ColumnSpec] | None, text_words: Sequence[Word], hrules: RulesByPage
) -> bool:
    """An extra label with no value on its line is a row of blanks (zeros printed as nothing) only where the
    grid draws it as one: rules close above and below the label that run across the value columns, with
    no other text between them (a header row has its column headers there). Elsewhere it may be a note."""
    if row.match is None or specs is None or not specs:
        return False
    words = row.match.words
    page = words[0].page
    if any(w.page != page for w in words):
        return False
    top, bottom = min(w.top for w in words), max(w.bottom for w in words)
    reach = RULED_ROW_PAD * max(MIN_LINE_HEIGHT, max(w.bottom - w.top for w in words))
    left, right = min(w.x0 for w in words), max(s.xc for s in specs)
    rules = hrules.get(page, [])

    def across(lo: float, hi: float) -> list[float]:
        """Heights in [lo, hi] where a rule drawn there (`rule_levels`) runs unbroken from the label's left to
        the last column's centre."""
        out = []
        for y, segs in rule_levels(rules_between(rules, lo, hi)):
            covered = left + EDGE_SLACK  # the rule runs unbroken from the left up to here
            for x0, x1 in sorted(segs):
                if x0 <= covered + SEGMENT_JOIN:
                    covered = max(covered, x1)
            if covered >= right:
                out.append(y)
        return out

    above, below = across(top - reach, top + EDGE_SLACK), across(bottom - EDGE_SLACK, bottom + reach)
    if not above or not below:
        return False
    band_top, band_bottom = max(above), min(below)
    mine = {id(w) for w in words}
    return not any(
        w.page == page and id(w) not in mine and band_top < (w.top + w.bottom) / 2 < band_bottom for w in text_words
    )


def _blank_unruled_row(
    row: _Row, rows: Sequence[_Row], specs: Sequence[ColumnSpec] | None, hrules: RulesByPage
) -> bool:
    """An extra label with no value on its line, in a table drawn without rules, is a row of blanks only where
    it sits as a row does: in the label column (clear of the value columns, which a note under the table
    runs into), below the template row above it by no more than the widest gap between the labels of two
    template rows on its page. (A ruled table: `_blank_ruled_row`.)"""
    if row.match is None or not specs:
        return False
    words = row.match.words
    page = words[0].page
    if any(w.page != page for w in words) or row.match.x1 > specs[0].x0:
        return False
    top, bottom = min(w.top for w in words), max(w.bottom for w in words)
    base = (page - 1) * PAGE_STRIDE
    spans = sorted(
        (r.match.gtop - base, r.match.gbottom - base)
        for r in rows
        if r.match is not None and all(w.page == page for w in r.match.words)
    )
    above = [b for _, b in spans if b <= top]
    if not above or len(spans) < 2:
        return False
    h = max(MIN_LINE_HEIGHT, max(w.bottom - w.top for w in words))
    near = rules_between(hrules.get(page, []), max(above) - EDGE_SLACK, bottom + RULED_ROW_PAD * h)
    if any(r[2] < row.match.x1 and r[3] > row.match.x0 for r in near):
        return False  # rules drawn here: the ruled test decides
    widest = max(b[0] - a[1] for a, b in itertools.pairwise(spans))
    return 0 < top - max(above) <= widest + EDGE_SLACK


def _extra_cells(
    reading: Reading,
    block: str,
    row: _Row,
    columns: Sequence[Column],
    specs: Sequence[ColumnSpec] | None,
    full: Sequence[Sequence[Word]],
) -> None:
    assert row.match is not None
    label = "".join(w.text for w in row.match.words)
    tmp = reading.sub()
    cells = _cells_for_row(tmp, "x", row, columns, specs, full)
    reading.orphans += tmp.orphans
    for (_, cell), col in zip(cells.items(), columns, strict=True):
        reading.extras.append(
            ExtraCell(
                "t2",
                block,
                col.key,
                label,
                cell.raw,
                cell.value,
                cell.page,
                cell.bbox,
                tmp.units.get(cell.key),
                cell.flags,
            )
        )


# --- whole document -----------------------------------------------------------------------


def read_tables(
    words: Sequence[Word],
    tpl: Template,
    rules: Sequence[Rule] = (),
    hrules: Sequence[HRule] = (),
    lines: Sequence[Line] | None = None,
) -> Reading:
    """All three tables of one report; ``words`` is every page's words, furniture removed;
    ``rules``/``hrules`` the vertical/horizontal ruling segments where the PDF draws them
    (page, x, top, bottom / page, y, x0, x1). ``tpl`` is the template the report's year (or its
    markers) suggest; each table is read with the template its own labels show, ``tpl`` only
    breaking ties. ``reading.templates`` says which. ``lines`` is `group_lines` of ``words``
    when the caller has it already."""
    lines = group_lines(words) if lines is None else lines
    rules = [*rules, *cell_edges(hrules)]  # a grid ruled across only still shows its cell edges
    reading = Reading(hrules=by_page(hrules), vrules=by_page(rules))
    t2 = find_title(lines, tpl.t2_title)
    t3 = find_title(lines, tpl.t3_title, t2.gtop if t2 else -1.0)
    t4 = find_title(lines, tpl.t4_title, t3.gtop if t3 else -1.0)
    t2_words = _region(words, t2, t3)
    read_t2(t2_words, lines, t2_template(t2_words, tpl), reading, rules)
    t3_words = _region(words, t3 or t2, t4)
    t3_tpl, matched = t3_template(t3_words, tpl)
    read_t3(t3_words, t3_tpl, reading, rules, matched)
    if t4 is not None:
        read_t4([ln for ln in lines if ln.gtop > t4.gbottom], t3_tpl, reading, rules)
    return reading


def table_templates(reading: Reading, fallback: Template) -> dict[TableKey, Template]:
    """The template of each table: as read, else (table 四 not found) table 三's, else ``fallback``."""
    got = {t: TEMPLATES[v] for t, v in reading.templates.items()}
    t3 = got.get("t3", fallback)
    return {"t2": got.get("t2", fallback), "t3": t3, "t4": got.get("t4", t3)}


def value_keys(templates: dict[TableKey, Template]) -> list[str]:
    """Every template cell key of the report: each table's keys from its own template."""
    return [k for table in ("t2", "t3", "t4") for k in templates[table].value_keys(table)]  # type: ignore[arg-type]
