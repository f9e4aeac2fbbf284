"""Blame only what was read cleanly: is a broken identity the publisher's, or our misreading?

A violation is the publisher's only when every cell on both sides of the identity was read
cleanly: one well-formed number inside its column box, with no orphan value piece nearby, and
(OCR) read with confidence. Otherwise the report is ``uncertain`` and the suspect cells go to
``review`` with the reason. A cell is suspect when:

* it is not a number (unparsed text, a table left blank);
* its value sits between two columns, or spans two (two values read as one), or a value of its
  row went to no column;
* (OCR) it was joined from lines wrapped down its cell: on a scan, line positions cannot prove it;
* (a number wrapped inside its cell is joined only where that is proven, `pieces`; unproven
  pieces stay apart and make their row fail the count check instead);
* a value piece that went to no cell lies in its column close by (a number split in two);
* two values of its row almost touch (one number split in two, or two merged by the next step);
* it is blank in a table that prints its zeros (a value was probably dropped);
* OCR read it with low confidence.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache

from gidar.contract import Cell
from gidar.extract.layout.lines import MIN_LINE_HEIGHT
from gidar.extract.model import Word
from gidar.invariants import Violation
from gidar.keys import Key

DENSE = 0.9  # share of printed (non-blank) cells above which a blank cell is suspicious
TOUCH = 2.0  # points between two values of one row that are really one number
OCR_REVIEW_CONF = 0.80  # OCR cells read with less confidence than this are not clean reads
ORPHAN_REACH = 2.5  # line heights: an orphan piece this close above/below a cell may belong to it

_FLAG_REASONS = {
    "off_column": "value printed between two columns",
    "column_guessed": "value midway between two column headers: its column is a guess",
    "row_value_dropped": "a value of this row went to no column",
    "table_blank": "the table is blank (an unfilled template)",
    "straddles_columns": "value spans two columns: two values read as one?",
    "straddled_by_neighbour": "a neighbouring value spans this column: this value may be glued into it",
}
# Flags that make an OCR cell suspect, not a text-layer one: a text layer places each glyph
# exactly, so `pieces` can prove a wrap join; on a scan the engine's boxes and lines are
# estimates, and ``43`` over the next row's ``40`` joins into ``4340`` as easily as ``3,9``
# over ``77`` into ``3,977``. Such a value is blamed on nobody until a person looks: if the
# row's identities hold with it, it is proven and nothing is reported.
_OCR_FLAG_REASONS = {
    "wrapped": "joined from lines wrapped on a scan: the join is not proven",
    "crosses_column_edge": "value reaches into the next column on a scan: a piece of its neighbour glued on?",
    "crossed_by_neighbour": "a neighbouring value reaches into this column on a scan: a piece of this one glued to it?",
}


@lru_cache(maxsize=4096)  # a template's few hundred cell keys, ~10,000 times a run
def _row_of(key: str) -> str:
    k = Key.parse(key)
    return str(Key(k.table, k.block, k.row, "_"))


def suspects(cells: Sequence[Cell], orphans: Sequence[Word] = ()) -> dict[str, str]:
    """Every cell that was not read cleanly, with why (first reason wins)."""
    out: dict[str, str] = {}
    rows: dict[str, list[Cell]] = defaultdict(list)
    printed: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    keys = [Key.parse(c.key) for c in cells]  # each key taken apart once
    for c, k in zip(cells, keys, strict=True):
        rows[_row_of(c.key)].append(c)
        counts[k.table] += 1
        printed[k.table] += "blank_as_zero" not in c.flags
    for c, k in zip(cells, keys, strict=True):
        table = k.table
        if c.value is None:
            out.setdefault(c.key, f"{c.raw!r} is not a number")
        if c.flags:  # (most cells have none: ~200 a report)
            for flag, why in _FLAG_REASONS.items():
                if flag in c.flags:
                    out.setdefault(c.key, why)
            if "ocr" in c.flags:
                for flag, why in _OCR_FLAG_REASONS.items():
                    if flag in c.flags:
                        out.setdefault(c.key, why)
        if c.conf is not None and c.conf < OCR_REVIEW_CONF:
            out.setdefault(c.key, f"OCR confidence {c.conf:.2f}")
        dense = counts[table] and printed[table] / counts[table] >= DENSE
        if "blank_as_zero" in c.flags and "table_blank" not in c.flags and dense:
            out.setdefault(c.key, "blank cell in a table that prints its zeros: a value may be lost")
        if c.bbox and c.page is not None:
            for w in orphans:
                if _near(w, c):
                    out.setdefault(c.key, f"value piece {w.text!r} next to it went to no cell")
                    break
    for row in rows.values():
        vals = sorted((c for c in row if c.raw and c.bbox), key=lambda c: c.bbox[0])  # type: ignore[index]
        for a, b in itertools.pairwise(vals):
            if a.bbox and b.bbox and a.page == b.page and b.bbox[0] - a.bbox[2] < TOUCH:
                why = f"values {a.raw!r} and {b.raw!r} almost touch: one number split in two?"
                out.setdefault(a.key, why)
                out.setdefault(b.key, why)
    return out


def _near(w: Word, c: Cell) -> bool:
    assert c.bbox is not None
    x0, top, x1, bottom = c.bbox
    if w.page != c.page or min(x1, w.x1) - max(x0, w.x0) <= 0:
        return False
    h = max(MIN_LINE_HEIGHT, w.bottom - w.top)
    return top - ORPHAN_REACH * h <= w.yc <= bottom + ORPHAN_REACH * h


def blame(
    violations: Sequence[Violation], suspect: dict[str, str]
) -> tuple[list[Violation], list[tuple[Violation, list[str]]]]:
    """(the publisher's violations, the others with their suspect cells)."""
    publisher: list[Violation] = []
    unconfirmed: list[tuple[Violation, list[str]]] = []
    for v in violations:
        bad = [k for k in v.cells if k in suspect]
        if bad:
            unconfirmed.append((v, bad))
        else:
            publisher.append(v)
    return publisher, unconfirmed
