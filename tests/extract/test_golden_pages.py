"""Hard pages as recorded words (no PDF needed): the table engine alone must rebuild them.

Golden files hold each page's words as pdfplumber read them and the hand-checked values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gidar.extract.layout.lines import strip_furniture
from gidar.extract.layout.tables import read_tables
from gidar.extract.model import Word
from gidar.invariants import check
from gidar.templates import TEMPLATES

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.json"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_page_words(path: Path) -> None:
    g = json.loads(path.read_text(encoding="utf-8"))
    pages = [
        (p["height"], [Word(t, x0, top, x1, bottom, p["number"]) for t, x0, top, x1, bottom in p["words"]])
        for p in g["pages"]
    ]
    words = [w for ws in strip_furniture(pages) for w in ws]
    tpl = TEMPLATES[g["template"]]
    reading = read_tables(words, tpl)
    values = {k: c.value for k, c in reading.cells.items()}
    assert {k: values.get(k) for k in g["expected"]} == g["expected"]
    assert reading.doubts == []
    got = sorted([v.invariant, v.row, v.col] for v in check(tpl, values))
    assert got == g["expected_violations"]


def test_golden_engine_notices_a_dropped_line() -> None:
    """Remove one printed value line: the reading must turn doubtful or break an invariant."""
    g = json.loads((Path(__file__).parent / "golden" / "s1-005-p2-3.json").read_text(encoding="utf-8"))
    pages = []
    for p in g["pages"]:
        ws = [Word(t, x0, top, x1, bottom, p["number"]) for t, x0, top, x1, bottom in p["words"]]
        if p["number"] == 2:  # the values of 一、本年新收 (top ≈ 424)
            ws = [w for w in ws if not (420 < w.top < 428 and w.x0 > 300)]
        pages.append((p["height"], ws))
    words = [w for ws in strip_furniture(pages) for w in ws]
    tpl = TEMPLATES[g["template"]]
    reading = read_tables(words, tpl)
    values = {k: c.value for k, c in reading.cells.items()}
    assert reading.doubts or check(tpl, values)


def test_a_row_that_cannot_be_anchored_makes_the_reading_uncertain() -> None:
    from gidar.contract import ExtractionResult
    from gidar.extract.api import _finish
    from gidar.extract.layout.tables import table_templates

    g = json.loads((Path(__file__).parent / "golden" / "hongze-2023-p2-4.json").read_text(encoding="utf-8"))
    pages = [
        (
            p["height"],
            [
                Word(t, x0, top, x1, bottom, p["number"])
                for t, x0, top, x1, bottom in p["words"]
                if not t.startswith("3.补正后")
            ],
        )
        for p in g["pages"]
    ]
    tpl = TEMPLATES[g["template"]]
    reading = read_tables([w for ws in strip_furniture(pages) for w in ws], tpl)
    res = ExtractionResult("x.pdf", "", "ok", "")
    _finish(res, reading, table_templates(reading, tpl))
    assert (res.status, res.quality) == ("uncertain", "uncertain")
    assert {f"t3.unavailable_unclear.{c.key}" for c in tpl.t3_columns} <= set(res.review)
    assert "row label not found" in res.message
