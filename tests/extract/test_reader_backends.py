"""The PDFium backend reads generated PDFs into the `Document` pdfplumber gives, and each backend
falls back to the other where the first cannot read what the second can.

Every PDF here is generated in the test (reportlab), built to hit one thing the issue names:
rotated pages, fake bold, CID fonts written vertically, thin filled rectangles used as rules,
rules drawn inside a form XObject, files one reader cannot open.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from reportlab.lib import pdfencrypt
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from gidar.extract.api import extract_file
from gidar.extract.pdf import read_pdf
from gidar.extract.reader.document import Document

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
_vertical = UnicodeCIDFont("STSong-Light", isVertical=True)
_vertical.name = _vertical.fontName = VERTICAL = "STSong-Light-V"  # both writing modes in one file
pdfmetrics.registerFont(_vertical)

# pdfminer leaves out the character spacing after the last glyph of a string and PDFium's loose box
# takes in ink past a glyph's advance; both stay well under a point, far under the gaps the layout
# engine decides on (1.5 pt between words, a line height between rows).
BOX_TOL = 1.0
RULE_TOL = 0.01  # rules come from the same path points, read as float32 by PDFium

TITLE = "政府信息公开工作年度报告"


def _table(c: canvas.Canvas, x0: float, top: float, thin_fill: bool = False) -> None:
    """A 3 × 4 ruled grid with numbers: stroked lines, or filled 0.5 pt rectangles."""
    xs = [x0 + 60 * i for i in range(5)]
    ys = [top - 20 * j for j in range(4)]
    for y in ys:
        if thin_fill:
            c.rect(xs[0], y - 0.25, xs[-1] - xs[0], 0.5, stroke=0, fill=1)
        else:
            c.line(xs[0], y, xs[-1], y)
    for x in xs:
        if thin_fill:
            c.rect(x - 0.25, ys[-1], 0.5, ys[0] - ys[-1], stroke=0, fill=1)
        else:
            c.line(x, ys[0], x, ys[-1])
    c.setFont("STSong-Light", 10)
    for j in range(3):
        c.drawString(xs[0] + 4, ys[j] - 14, ["予以公开", "部分公开", "总计"][j])
        for i in range(1, 4):
            c.drawRightString(xs[i + 1] - 4, ys[j] - 14, str(17 * j + 3 * i))


def _pdf(path: Path, draw, **kw: object) -> Path:  # type: ignore[no-untyped-def]
    c = canvas.Canvas(str(path), **kw)  # type: ignore[arg-type]
    c.setFont("STSong-Light", 14)
    c.drawString(72, 780, TITLE)
    draw(c)
    c.save()
    return path


def _rotated(c: canvas.Canvas) -> None:
    c.setPageRotation(90)
    _table(c, 72, 700)


def _fake_bold(c: canvas.Canvas) -> None:
    c.setFont("STSong-Light", 12)
    for dx in (0.0, 0.3, 0.6):
        c.drawString(72 + dx, 740, "三、收到和处理政府信息公开申请情况")
        c.drawString(72 + dx, 720, "四、政府信息公开行政复议、行政诉讼情况")
    _table(c, 72, 700)


def _vertical_label(c: canvas.Canvas) -> None:
    c.setFont(VERTICAL, 10)
    c.drawString(60, 700, "三、本年度办理结果")  # WPS writes a vertical cell label with a -V CMap
    c.setFont("STSong-Light", 10)
    c.drawString(80, 690, "（一）予以公开")
    _table(c, 72, 600)


def _thin_rules(c: canvas.Canvas) -> None:
    _table(c, 72, 700, thin_fill=True)


def _form_rules(c: canvas.Canvas) -> None:
    c.beginForm("grid")
    _table(c, 72, 700)
    c.endForm()
    c.doForm("grid")


def _closed_paths(c: canvas.Canvas) -> None:
    """Closed subpaths: a closed line retraces itself, a rectangle closes on its start point,
    an open box gets its fourth side from the close."""
    _table(c, 72, 700)

    def path(*steps: tuple[str, float, float]) -> None:
        p = c.beginPath()
        for op, x, y in steps:
            if op == "h":
                p.close()
            else:
                (p.moveTo if op == "m" else p.lineTo)(x, y)
        c.drawPath(p, stroke=1, fill=0)

    path(("m", 72, 600), ("l", 300, 600), ("h", 0, 0))  # a line, closed
    path(("m", 72, 580), ("l", 72, 520), ("l", 300, 520), ("l", 300, 580), ("h", 0, 0))  # open box, closed
    c.rect(72, 380, 228, 40, stroke=1, fill=0)


CASES = {
    "closed paths": _closed_paths,
    "rotated page": _rotated,
    "fake bold": _fake_bold,
    "vertical CID text": _vertical_label,
    "thin filled rectangles as rules": _thin_rules,
    "rules inside a form": _form_rules,
}


def _close(a: tuple[float, ...], b: tuple[float, ...], tol: float) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def assert_same_document(ref: Document, got: Document) -> None:
    assert len(ref.pages) == len(got.pages)
    for p, q in zip(ref.pages, got.pages, strict=True):
        assert _close((p.width, p.height), (q.width, q.height), RULE_TOL)
        assert [w.text for w in p.words] == [w.text for w in q.words], p.number
        for w, v in zip(p.words, q.words, strict=True):
            assert _close((w.x0, w.top, w.x1, w.bottom), (v.x0, v.top, v.x1, v.bottom), BOX_TOL), (w, v)
        for mine, theirs in ((p.hlines, q.hlines), (p.vlines, q.vlines)):
            assert len(mine) == len(theirs), p.number
            for r, s in zip(sorted(mine), sorted(theirs), strict=True):
                assert _close(r, s, RULE_TOL), (r, s)
        assert p.n_chars >= q.n_chars  # PDFium itself drops a redrawn glyph; pdfminer counts it


@pytest.mark.parametrize("case", sorted(CASES))
def test_pdfium_reads_the_document_pdfplumber_reads(tmp_path: Path, case: str) -> None:
    pdf = _pdf(tmp_path / "case.pdf", CASES[case])
    ref, got = read_pdf(pdf, "pdfplumber"), read_pdf(pdf, "pdfium")
    assert (ref.backend, got.backend) == ("pdfplumber", "pdfium")
    assert_same_document(ref, got)
    assert got.pages[0].vlines, "the grid's vertical rules were found"
    assert any("予以公开" in w.text for w in got.pages[0].words)


def test_rotated_page_is_read_as_displayed(tmp_path: Path) -> None:
    doc = read_pdf(_pdf(tmp_path / "r.pdf", _rotated), "pdfium")
    page = doc.pages[0]
    title = next(w for w in page.words if w.text == TITLE)
    assert title.x1 - title.x0 < 20 < title.bottom - title.top  # upright in user space: vertical on screen


def test_vertical_label_is_one_glyph_per_line(tmp_path: Path) -> None:
    doc = read_pdf(_pdf(tmp_path / "v.pdf", _vertical_label), "pdfium")
    label = [w for w in doc.pages[0].words if abs(w.x0 - 60) < 12 and len(w.text) == 1]
    assert "".join(w.text for w in sorted(label, key=lambda w: w.top)) == "三、本年度办理结果"
    for w in label:  # an em square of the 10 pt font, not PDFium's unscaled loose box
        assert 9 < w.x1 - w.x0 < 11 and 9 < w.bottom - w.top < 11


# --- fallback ---------------------------------------------------------------------------------------


def _simple(path: Path, **kw: object) -> Path:
    return _pdf(path, lambda c: _table(c, 72, 700), **kw)


def test_pdfplumber_reads_what_pdfium_cannot_open(tmp_path: Path) -> None:
    data = _simple(tmp_path / "good.pdf").read_bytes()
    # the catalog's /Pages points at object 0 (free): PDFium gives up, pdfminer finds the page objects
    broken, n = re.subn(rb"/Pages \d+ 0 R", lambda m: b"/Pages 0 0 R".ljust(len(m.group())), data, count=1)
    assert n == 1
    pdf = tmp_path / "broken-tree.pdf"
    pdf.write_bytes(broken)
    doc = read_pdf(pdf, "pdfium")
    assert doc.backend == "pdfplumber"
    assert any(w.text == TITLE for w in doc.pages[0].words)
    assert extract_file(pdf).backend == "pdfplumber"


def test_pdfplumber_reads_text_pdfium_does_not_see(tmp_path: Path) -> None:
    def squeezed(c: canvas.Canvas) -> None:
        t = c.beginText(72, 700)
        t.setFont("STSong-Light", 12)
        t.setHorizScale(0)  # zero-width text: PDFium skips it, pdfminer reads it
        t.textLine("某县人民政府2023年政府信息公开工作年度报告")
        c.drawText(t)

    c = canvas.Canvas(str(tmp_path / "tz0.pdf"))
    squeezed(c)
    c.save()
    doc = read_pdf(tmp_path / "tz0.pdf", "pdfium")
    assert doc.backend == "pdfplumber"
    assert [w.text for w in doc.pages[0].words] == ["某县人民政府2023年政府信息公开工作年度报告"]


def test_owner_password_only_pdf_is_read_by_either_backend(tmp_path: Path) -> None:
    """A viewer opens it without asking (empty user password). pdfminer decrypts its font
    strings wrongly and yields (cid:N) glyphs, so the pdfplumber reading hands over to PDFium."""
    enc = pdfencrypt.StandardEncryption("", ownerPassword="owner", canModify=0, canCopy=0, strength=128)
    pdf = _simple(tmp_path / "owner.pdf", encrypt=enc)
    for backend in ("pdfium", "pdfplumber"):
        doc = read_pdf(pdf, backend)
        assert doc.backend == "pdfium", backend
        assert any(w.text == TITLE for w in doc.pages[0].words), backend
    r = extract_file(pdf, backend="pdfplumber")
    assert r.status != "not_a_report" and r.backend == "pdfium"


def test_unknown_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pdfium, pdfplumber"):
        read_pdf(_simple(tmp_path / "a.pdf"), "mupdf")


def test_threads_share_pdfium_safely(tmp_path: Path) -> None:
    """The ingest flow runs report tasks in threads; PDFium is not thread-safe (PDFIUM_LOCK)."""
    from concurrent.futures import ThreadPoolExecutor

    files = [_pdf(tmp_path / f"{name}.pdf", CASES[name]) for name in sorted(CASES)] * 3
    alone = [read_pdf(f) for f in files]
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(read_pdf, files))
    for a, b in zip(alone, together, strict=True):
        assert [w for p in a.pages for w in p.words] == [w for p in b.pages for w in p.words]


def test_a_page_of_unmapped_glyphs_is_left_to_ocr(tmp_path: Path) -> None:
    from gidar.extract.model import Word
    from gidar.extract.pdf import without_unreadable_text
    from gidar.extract.reader.document import Page

    def page(n: int, texts: list[str]) -> Page:
        return Page(n, 595, 842, [Word(t, 72 + 20 * i, 100, 90 + 20 * i, 112, n) for i, t in enumerate(texts)])

    doc = Document(
        tmp_path / "x.pdf",
        [page(1, ["(cid:12)(cid:40)(cid:7)", "年"]), page(2, ["年度报告", "(cid:3)"])],
        backend="pdfium",
    )
    without_unreadable_text(doc)
    assert doc.pages[0].words == [] and [w.text for w in doc.pages[1].words] == ["年度报告", "(cid:3)"]
