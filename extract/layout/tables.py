"""Rebuild tables 二, 三 and 四 from a document's words (text layer or OCR) as registry cells.

Pipeline per table: locate the table between its title and the next one; anchor rows by label
matching (`rows.match_labels`); find column positions from the header (`columns`); put each
line of values on the row whose label span holds it (values may sit on the middle line of a
wrapped label, or a little above it); assign the values of a row to columns. Every
structural doubt (a value line with no row, more values than columns, a label not found) is
recorded in ``doubts`` so the caller can mark the reading ``uncertain``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from gidar.contract import Cell
from gidar.extract.layout.columns import (
    OFF_COLUMN,
    ColumnSpec,
    Rule,
    anchors,
    assign,
    cost,
    find_header_columns,
    pick_one_per_key,
    with_rules,
)
from gidar.extract.layout.lines import PAGE_STRIDE, Line, group_lines, gy, gyc
from gidar.extract.layout.rows import LabelMatch, match_labels, targets_for
from gidar.extract.model import Word
from gidar.extract.numbers import is_value_token, parse_cell
from gidar.labels import normalise
from gidar.templates import Column, Template, ValueType

_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\(?[一二三四五六七八九十]+\)|\d+\.)")


@dataclass
class Reading:
    cells: dict[str, Cell] = field(default_factory=dict)
    doubts: list[tuple[str | None, str]] = field(default_factory=list)  # (cell key or None, why)
    found: set[str] = field(default_factory=set)  # tables located: t2 / t3 / t4

    def doubt(self, key: str | None, why: str) -> None:
        self.doubts.append((key, why))


def _core(title: str) -> str:
    return _NUMBERING.sub("", normalise(title))


def find_title(lines: Sequence[Line], title: str, after: float = -1.0) -> Line | None:
    core = _core(title)
    for ln in lines:
        if ln.gtop > after and core in ln.norm and len(ln.norm) <= len(core) + 6:
            return ln
    return None


@dataclass
class _Row:
    key: str
    match: LabelMatch | None
    tokens: list[Word] = field(default_factory=list)

    @property
    def span(self) -> tuple[float, float]:
        assert self.match is not None
        return self.match.gtop, self.match.gbottom


def _value_lines(tokens: Sequence[Word]) -> list[Line]:
    return group_lines(tokens)


def _place_lines(rows: Sequence[_Row], vlines: Sequence[Line], reading: Reading, table: str) -> None:
    """Each line of values goes to the row whose label span holds it, or the nearest close one."""
    placed = [r for r in rows if r.match is not None]
    for ln in vlines:
        c = (ln.page - 1) * PAGE_STRIDE + (ln.top + ln.bottom) / 2
        h = max(6.0, ln.bottom - ln.top)
        best, dist = None, float("inf")
        for r in placed:
            top, bottom = r.span
            d = 0.0 if top - 0.35 * h <= c <= bottom + 0.35 * h else min(abs(c - top), abs(c - bottom))
            if d < dist:
                best, dist = r, d
        if best is None or dist > 1.6 * h:
            reading.doubt(None, f"{table}: values {ln.text!r} on page {ln.page} belong to no row")
            continue
        best.tokens.extend(ln.words)


def _cells_for_row(
    reading: Reading,
    prefix: str,
    row: _Row,
    columns: Sequence[Column],
    specs: Sequence[ColumnSpec] | None,
    full_rows: Sequence[Sequence[Word]],
) -> None:
    keys = [f"{prefix}.{c.key}" for c in columns]
    types: list[ValueType] = [c.value_type for c in columns]
    toks = sorted(row.tokens, key=lambda w: w.x0)
    placed: dict[int, Word] = {}
    off: set[int] = set()
    if toks:
        if len(toks) > len(columns):
            reading.doubt(keys[0], f"{prefix}: {len(toks)} values for {len(columns)} columns ({_texts(toks)})")
            if specs is None:
                toks = toks[: len(columns)]
        if len(toks) == len(columns):
            placed = dict(enumerate(toks))
        elif specs is not None:
            anc = anchors(specs, full_rows)
            cols, _ = assign(toks, specs, anc)
            placed = {c: t for c, t in zip(cols, toks, strict=True) if c >= 0}
            off = {c for c, t in placed.items() if cost(t, c, specs, anc) > OFF_COLUMN}
        elif len(columns) == 1:
            placed = {0: toks[0]}
        else:
            reading.doubt(keys[0], f"{prefix}: column header not found, {len(toks)} values cannot be placed")
            placed = dict(enumerate(toks))
    for i, key in enumerate(keys):
        tok = placed.get(i)
        if tok is not None:
            p = parse_cell(tok.text, types[i])
            cell = Cell(
                key, p.value, tok.text, tok.page, (tok.x0, tok.top, tok.x1, tok.bottom), tok.conf, list(p.flags)
            )
            if p.value is None:
                reading.doubt(key, f"cannot read {tok.text!r} as a number")
            if i in off:
                cell.flags.append("off_column")
        else:
            bbox = None
            page = None
            if row.match is not None:
                first = row.match.words[0]
                page = first.page
                top = row.match.gtop - (page - 1) * PAGE_STRIDE
                bottom = min(row.match.gbottom - (page - 1) * PAGE_STRIDE, top + 200)
                if specs is not None and len(specs) == len(keys):
                    bbox = (specs[i].x0, top, specs[i].x1, bottom)
            cell = Cell(key, 0, "", page, bbox, None, ["blank_as_zero"])
        reading.cells[key] = cell


def _texts(ws: Sequence[Word]) -> str:
    return " ".join(w.text for w in ws)


_GLUED = re.compile(r"^(.*?[^\d,.+\-\s])[\s\u3000]*([+\-]?\d[\d,]*(?:\.\d+)?)$")


def unglue(words: Sequence[Word], forms: frozenset[str] | set[str]) -> list[Word]:
    """Split a label word with its value glued on (``行政许可273`` from a tight cell gap). Only
    whole registry labels are split, so prose such as ``信息1136`` stays one word."""
    out: list[Word] = []
    for w in words:
        m = _GLUED.match(w.text)
        if m and normalise(m.group(1)) in forms:
            cut = w.x0 + (w.x1 - w.x0) * len(m.group(1)) / len(w.text)
            out += [Word(m.group(1), w.x0, w.top, cut, w.bottom, w.page, w.conf)]
            out += [Word(m.group(2), cut, w.top, w.x1, w.bottom, w.page, w.conf)]
        else:
            out.append(w)
    return out


def _split(words: Sequence[Word], forms: frozenset[str] | set[str] = frozenset()) -> tuple[list[Word], list[Word]]:
    words = unglue(words, forms) if forms else list(words)
    vals = [w for w in words if is_value_token(w.text)]
    ids = {id(w) for w in vals}
    return [w for w in words if id(w) not in ids], vals


def _region(words: Sequence[Word], start: Line | None, end: Line | None) -> list[Word]:
    lo = start.gbottom if start else -1.0
    hi = end.gtop if end else float("inf")
    return [w for w in words if lo < gyc(w) < hi]


def _column_labels(columns: Sequence[Column]) -> list[tuple[str, Sequence[str]]]:
    return [(c.key, (c.label, *c.variants)) for c in columns]


# --- table 三 -----------------------------------------------------------------------------


def read_t3(words: Sequence[Word], tpl: Template, reading: Reading, rules: Sequence[Rule] = ()) -> None:
    groups = [r.group for r in tpl.t3_rows if r.group]
    targets = targets_for([(r.key, r.label, r.variants) for r in tpl.t3_rows], groups)
    text_words, values = _split(words, {f for t in targets for f in t.forms})
    matches = match_labels(text_words, targets)
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
    first = min(r.span[0] for r in found)
    header_words = [w for w in text_words if gy(w) < first - 2]
    specs = pick_one_per_key(
        find_header_columns(header_words, _column_labels(tpl.t3_columns)), [c.key for c in tpl.t3_columns]
    )
    if specs is not None and rules:
        specs = with_rules(specs, rules)
    used = {id(w) for m in matches for w in m.words}
    vals = [w for w in values if id(w) not in used and gyc(w) > first - 8]
    _place_lines([*rows, *prow.values()], _value_lines(vals), reading, "t3")
    full = [
        sorted(r.tokens, key=lambda w: w.x0) for r in [*rows, *prow.values()] if len(r.tokens) == len(tpl.t3_columns)
    ]
    if specs is None:
        reading.doubt(None, "t3: applicant column headers not found; columns from value positions")
        if full:
            specs = [ColumnSpec(c.key, w.x0, w.x1) for c, w in zip(tpl.t3_columns, full[0], strict=True)]
    for r in rows:
        if r.match is None and not any(r.key in kids for kids in pseudo.values()):
            reading.doubt(f"t3.{r.key}.total", f"t3: row label not found: {tpl.t3_row(r.key).label}")
            continue
        if r.match is not None:
            _cells_for_row(reading, f"t3.{r.key}", r, tpl.t3_columns, specs, full)
    for g, kids in pseudo.items():
        tmp = Reading()
        _cells_for_row(tmp, "p", prow[g], tpl.t3_columns, specs, full)
        reading.doubts += tmp.doubts
        nonzero = any(c.value for c in tmp.cells.values())
        for i, kid in enumerate(kids):
            for c in tpl.t3_columns:
                src = tmp.cells[f"p.{c.key}"]
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


# --- table 四 -----------------------------------------------------------------------------


_HEADING = re.compile(r"^[五六七八九十]、")


def _t4_region(lines: Sequence[Line]) -> list[Line]:
    """Lines after the table-四 title up to the next section heading or prose."""
    out = []
    for ln in lines:
        prose = any(len(normalise(w.text)) > 16 for w in ln.words)  # header cells are short
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
        five = with_rules(five, rules)
    if five is not None:
        blocks = targets_for([(b.key, b.label, b.variants) for b in tpl.t4_blocks])
        matches = match_labels(text_words, blocks)
        if len(matches) == len(tpl.t4_blocks) and all(m.x1 < five[0].x0 for m in matches):
            _read_t4_stacked(region, matches, five, tpl, reading)
            return
    header: list[Word] = []
    data: list[Word] = []
    for ln in region:
        if all(is_value_token(w.text) for w in ln.words):
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
            specs = with_rules(specs, rules) if rules else specs
    if specs is None and len(data) != n:
        if not header and not data:
            return
        reading.doubt(None, f"t4: {len(found)} column headers and {len(data)} values for {n} cells")
    reading.found.add("t4")
    cols = (
        [Column(s.key, s.key) for s in specs]
        if specs
        else [Column(f"{b.key}.{c.key}", c.label) for b in tpl.t4_blocks for c in tpl.t4_columns]
    )
    _cells_for_row(reading, "t4", _Row("t4", None, data), cols, specs, [sorted(data, key=lambda w: w.x0)])
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


def _read_t4_stacked(
    region: Sequence[Line], matches: Sequence[LabelMatch], specs: Sequence[ColumnSpec], tpl: Template, reading: Reading
) -> None:
    reading.found.add("t4")
    by_key = {m.target.key: m for m in matches}
    rows = [_Row(b.key, by_key[b.key]) for b in tpl.t4_blocks]
    used = {id(w) for m in matches for w in m.words}
    vals = [w for ln in region for w in ln.words if id(w) not in used and is_value_token(w.text)]
    _place_lines(rows, _value_lines(vals), reading, "t4")
    full = [sorted(r.tokens, key=lambda w: w.x0) for r in rows if len(r.tokens) == len(specs)]
    for r in rows:
        _cells_for_row(reading, f"t4.{r.key}", r, tpl.t4_columns, specs, full)


# --- table 二 -----------------------------------------------------------------------------


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
    rows = {k: _Row(k, by_key.get(k)) for k, _, _ in rows_spec}
    used = {id(w) for m in matches for w in m.words}
    vals = [w for w in values if id(w) not in used]
    _place_lines(list(rows.values()), _value_lines(vals), reading, "t2")
    prev_bottom = -1.0
    for b in tpl.t2_blocks:
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
            specs = with_rules(specs, rules)
        if specs is None and len(b.columns) > 1:
            reading.doubt(None, f"t2: column headers of {b.label} not found")
        full = [sorted(r.tokens, key=lambda w: w.x0) for r in got if len(r.tokens) == len(b.columns)]
        for r in brows:
            if r.match is None:
                reading.doubt(f"t2.{r.key}.{b.columns[0].key}", "t2: row label not found")
                continue
            _cells_for_row(reading, f"t2.{r.key}", r, b.columns, specs, full)
        prev_bottom = max(r.span[1] for r in got)


# --- whole document -----------------------------------------------------------------------


def read_tables(words: Sequence[Word], tpl: Template, rules: Sequence[Rule] = ()) -> Reading:
    """All three tables of one report; ``words`` is every page's words, furniture removed;
    ``rules`` the vertical ruling segments (page, x, top, bottom) where the PDF draws them."""
    lines = group_lines(words)
    reading = Reading()
    t2 = find_title(lines, tpl.t2_title)
    t3 = find_title(lines, tpl.t3_title, t2.gtop if t2 else -1.0)
    t4 = find_title(lines, tpl.t4_title, t3.gtop if t3 else -1.0)
    read_t2(_region(words, t2, t3), lines, tpl, reading, rules)
    read_t3(_region(words, t3 or t2, t4), tpl, reading, rules)
    if t4 is not None:
        read_t4([ln for ln in lines if ln.gtop > t4.gbottom], tpl, reading, rules)
    return reading
