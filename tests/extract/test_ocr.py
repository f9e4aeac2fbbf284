"""OCR of image-only pages end to end: a scanned corpus page, and an image-only PDF made here."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from gidar.extract.model import Word
from gidar.extract.ocr import is_image_only, ocr_page_text, ocr_page_words, reread_cell
from gidar.extract.ocr_tokens import is_value_text
from gidar.templates import T2_TITLE, T4_COLUMNS

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


def _image_only_copy(pdf_bytes: bytes, dpi: int = 150) -> bytes:
    """Rasterise page 1 and wrap the picture into a new PDF of the same size: a 'scan'."""
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    doc = pdfium.PdfDocument(pdf_bytes)
    page = doc[0]
    width, height = page.get_size()
    image = page.render(scale=dpi / 72, grayscale=True).to_pil()
    page.close()
    doc.close()
    png = io.BytesIO()
    image.save(png, format="PNG")
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(width, height))
    c.drawImage(ImageReader(io.BytesIO(png.getvalue())), 0, 0, width, height)
    c.showPage()
    c.save()
    return out.getvalue()


def test_generated_image_only_table(tmp_path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    rng = random.Random(7)
    headers = [c.label for c in T4_COLUMNS]
    # Isolated single digits (what one OCR pass tends to drop), multi-digit values and zeros.
    rows = [[str(rng.choice([0, 1, 3, 7, 9, 12, 48, 105])) for _ in headers] for _ in range(3)]
    x0, col_w, label_w, row_h, top = 20.0, 52.0, 70.0, 22.0, 30.0
    width, height = x0 * 2 + label_w + col_w * len(headers), top * 2 + row_h * (len(rows) + 1)

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setFont("STSong-Light", 10.5)
    xs = [x0, x0 + label_w] + [x0 + label_w + col_w * (i + 1) for i in range(len(headers))]
    ys = [height - top - row_h * i for i in range(len(rows) + 2)]  # reportlab: origin bottom-left
    for y in ys:
        c.line(xs[0], y, xs[-1], y)
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    for i, text in enumerate(["项目", *headers]):
        c.drawCentredString((xs[i] + xs[i + 1]) / 2, ys[0] - row_h + 7, text)
    for r, values in enumerate(rows):
        c.drawCentredString((xs[0] + xs[1]) / 2, ys[r + 1] - row_h + 7, f"第{r + 1}行")
        for i, v in enumerate(values):
            c.drawCentredString((xs[i + 1] + xs[i + 2]) / 2, ys[r + 1] - row_h + 7, v)
    c.showPage()
    c.save()

    text_pdf = tmp_path / "text.pdf"
    text_pdf.write_bytes(buf.getvalue())
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(_image_only_copy(buf.getvalue()))
    assert not is_image_only(text_pdf)
    assert is_image_only(scan)

    words = ocr_page_words(scan, 1)
    for r, values in enumerate(rows):
        top_pt, bottom_pt = height - ys[r + 1], height - ys[r + 2]  # to top-left origin
        got = [w for w in words if top_pt <= w.yc <= bottom_pt and is_value_text(w.text)]
        assert [w.text for w in sorted(got, key=lambda w: w.x0)] == values, f"row {r + 1}"
        for w in got:  # each number sits in its own column, in PDF points
            col = next(i for i in range(len(headers)) if xs[i + 1] <= w.xc <= xs[i + 2])
            assert values[col] == w.text
    assert "第1行" in ocr_page_text(scan, 1).replace(" ", "")

    # The re-read hook: a cell box in points gives its text again; a blank box gives "".
    r = 0
    cell = (xs[1] + 1, height - ys[r + 1] + 1, xs[2] - 1, height - ys[r + 2] - 1)
    text, conf = reread_cell(scan, 1, cell)
    assert text == rows[r][0] and 0.0 < conf <= 1.0
    assert reread_cell(scan, 1, (2.0, 2.0, x0 - 2, top - 2)) == ("", 1.0)
