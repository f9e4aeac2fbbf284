"""OCR of image-only pages end to end: a scanned corpus page, and a table printed and scanned by gidar_dev.synth."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from gidar.extract.model import Word
from gidar.extract.ocr import is_image_only, ocr_page_text, ocr_page_words, reread_cell
from gidar.extract.ocr_tokens import is_value_text
from gidar.templates import T2_TITLE, T4_COLUMNS
from gidar_dev.synth.canvas import Document, Grid, GridCell, register_font
from gidar_dev.synth.image import rasterise

pytestmark = pytest.mark.slow


def _row_values(words: list[Word], top: float, bottom: float) -> list[str]:
    """Value words whose vertical centre lies in [top, bottom], left to right."""
    return [w.text for w in sorted(words, key=lambda w: w.x0) if top <= w.yc <= bottom and is_value_text(w.text)]


def _texts(values: dict[str, str], keys: list[str]) -> list[str]:
    return [t for t in (values[k].strip().replace("\u3000", "") for k in keys) if t]


@pytest.mark.corpus
def test_scanned_corpus_page(corpus_dir: Path) -> None:
    # s1-019 page 2: table 二 and the head of table 三 of a 150-dpi grey JPEG scan (no text layer).
    pdf = corpus_dir / "s1-019.pdf"
    if not pdf.exists():
        pytest.skip("s1-019 is not in this corpus")
    truth = json.loads((corpus_dir / "s1-019.json").read_text(encoding="utf-8"))
    assert is_image_only(pdf)
    words = ocr_page_words(pdf, 2)
    assert words and all(w.page == 2 and 0 <= w.x0 < w.x1 <= 596 and 0 <= w.top < w.bottom <= 842 for w in words)
    assert all(w.conf is not None and 0.0 <= w.conf <= 1.0 for w in words)

    # Every printed value of table 二, in printed order (words laid out row by row).
    want = []
    for block in truth["tables"]["t2"]["blocks"]:
        cols = [c["key"] for c in block["columns"]]
        for row in block["rows"]:
            want += _texts(row["texts"], cols)
    rows: list[list[Word]] = []
    for w in sorted((w for w in words if is_value_text(w.text)), key=lambda w: w.yc):
        if rows and abs(rows[-1][0].yc - w.yc) < 4:
            rows[-1].append(w)
        else:
            rows.append([w])
    got = [w.text for row in rows for w in sorted(row, key=lambda w: w.x0)]
    assert got[: len(want)] == want

    # Rows of table 三: the values on the label's line, in column order.
    t3 = truth["tables"]["t3"]
    cols = [c["key"] for c in t3["columns"]]
    for row in t3["rows"][:2]:
        label = next(w for w in words if w.text.startswith(row["label"][:6]))
        assert _row_values(words, label.top, label.bottom) == _texts(row["texts"], cols), row["key"]

    assert T2_TITLE in ocr_page_text(pdf, 2).replace(" ", "")


def test_generated_image_only_table(tmp_path: Path) -> None:
    rng = random.Random(7)
    headers = [c.label for c in T4_COLUMNS]
    # Isolated single digits (what one OCR pass tends to drop), multi-digit values and zeros.
    rows = [[str(rng.choice([0, 1, 3, 7, 9, 12, 48, 105])) for _ in headers] for _ in range(3)]
    cells = [GridCell(0, 0, "项目"), *(GridCell(0, 1 + j, h) for j, h in enumerate(headers))]
    for r, values in enumerate(rows, start=1):
        cells.append(GridCell(r, 0, f"第{r}行"))
        cells += [GridCell(r, 1 + j, v) for j, v in enumerate(values)]
    doc = Document(font=register_font(), margins_cm=(2.0, 2.0, 2.0, 2.0))
    placed = doc.grid(Grid([70.0] + [52.0] * len(headers), cells, 1 + len(rows), 1, 10.5, 22.0))
    pdf, _ = doc.finish()

    text_pdf = tmp_path / "text.pdf"
    text_pdf.write_bytes(pdf)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(rasterise(pdf, dpi=150))
    assert not is_image_only(text_pdf)
    assert is_image_only(scan)

    words = ocr_page_words(scan, 1)
    for r, values in enumerate(rows, start=1):
        _, (_, top, _, bottom) = placed[(r, 0)]
        got = [w for w in words if top <= w.yc <= bottom and is_value_text(w.text)]
        assert [w.text for w in sorted(got, key=lambda w: w.x0)] == values, f"row {r}"
        for w in got:  # each number sits in its own column, in PDF points
            col = next(j for j in range(len(headers)) if placed[(r, 1 + j)][1][0] <= w.xc <= placed[(r, 1 + j)][1][2])
            assert values[col] == w.text
    assert "第1行" in ocr_page_text(scan, 1).replace(" ", "")

    # The re-read hook: a cell box in points gives its text again.
    _, (x0, top, x1, bottom) = placed[(1, 1)]
    text, conf = reread_cell(scan, 1, (x0 + 1, top + 1, x1 - 1, bottom - 1))
    assert text == rows[0][0] and 0.0 < conf <= 1.0
