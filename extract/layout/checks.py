"""Invariants as a reading check: is a broken identity the publisher's, or our misreading?

A violation whose cells were read cleanly is the publisher's and is reported as printed. It is
put down to the reading (status ``uncertain``, cells in ``review``) when its cells show a known
misreading pattern:

* a blank cell in a table that prints every other cell: a value was probably dropped;
* two values that almost touch: one number split in two (or two merged by the next step);
* a value placed between two column headers rather than under one (a column shift).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

from gidar.contract import Cell
from gidar.invariants import Violation

DENSE = 0.9  # share of printed (non-blank) cells above which a blank cell is suspicious
TOUCH = 2.0  # points between two values of one row that are really one number


def _row_of(key: str) -> str:
    return key.rsplit(".", 1)[0]


def reading_doubts(cells: Sequence[Cell], violations: Sequence[Violation]) -> list[tuple[str, str]]:
    """(cell key, why) for the cells of violated identities that may be misread."""
    if not violations:
        return []
    by_key = {c.key: c for c in cells}
    rows: dict[str, list[Cell]] = defaultdict(list)
    for c in cells:
        rows[_row_of(c.key)].append(c)
    printed: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for c in cells:
        table = c.key.split(".", 1)[0]
        counts[table] += 1
        printed[table] += "blank_as_zero" not in c.flags
    out: dict[str, str] = {}
    for v in violations:
        for key in v.cells:
            cell = by_key.get(key)
            if cell is None:
                continue
            table = key.split(".", 1)[0]
            if "blank_as_zero" in cell.flags and counts[table] and printed[table] / counts[table] >= DENSE:
                out.setdefault(key, "blank cell in a table that prints its zeros: a value may be lost")
            if "off_column" in cell.flags:
                out.setdefault(key, "value printed between two columns")
        for key in {_row_of(k) for k in v.cells}:
            vals = sorted((c for c in rows.get(key, []) if c.raw and c.bbox), key=lambda c: c.bbox[0])  # type: ignore[index]
            for a, b in itertools.pairwise(vals):
                if a.bbox and b.bbox and a.page == b.page and b.bbox[0] - a.bbox[2] < TOUCH:
                    why = f"values {a.raw!r} and {b.raw!r} almost touch: one number split in two?"
                    out.setdefault(a.key, why)
                    out.setdefault(b.key, why)
    return list(out.items())
