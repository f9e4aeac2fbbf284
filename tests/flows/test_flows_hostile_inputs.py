"""The hostile-input generators (gidar_dev.hostile) make what they claim: checked with PDFium."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pypdfium2 as pdfium

from gidar_dev import hostile


def test_huge_page_and_blank_pages(tmp_path: Path) -> None:
    pdf = pdfium.PdfDocument(str(hostile.huge_page(tmp_path / "huge.pdf")))
    assert len(pdf) == 1 and pdf[0].get_size() == (20000.0, 20000.0)
    assert (tmp_path / "huge.pdf").stat().st_size < 2000, "a tiny file"
    pdf.close()
    pdf = pdfium.PdfDocument(str(hostile.blank_pages(tmp_path / "blank.pdf", 300)))
    assert len(pdf) == 300 and not pdf[299].get_textpage().get_text_range()
    pdf.close()


def test_text_operators(tmp_path: Path) -> None:
    path = hostile.text_operators(tmp_path / "ops.pdf", 300_000)
    assert path.stat().st_size < 30_000
    pdf = pdfium.PdfDocument(str(path))
    assert pdf[0].get_textpage().count_chars() == 300_000
    pdf.close()


def test_raw_pdf_xref_offsets_point_at_objects() -> None:
    data = hostile.raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    xref = data[data.index(b"\nxref\n") + 1 :].split(b"\n")
    offsets = [int(line.split()[0]) for line in xref[3:5]]
    assert [data[o : o + 7] for o in offsets] == [b"1 0 obj", b"2 0 obj"]


def test_small_cases(tmp_path: Path) -> None:
    assert hostile.zero_bytes(tmp_path / "z.pdf").stat().st_size == 0
    assert hostile.etc_like(tmp_path / "e.pdf").read_bytes().startswith(b"root:*:")
    assert b"<html>" in hostile.html_page(tmp_path / "h.pdf").read_bytes()
    assert stat.S_ISFIFO(os.stat(hostile.fifo(tmp_path / "f.pdf")).st_mode)
    report = tmp_path / "r.pdf"
    report.write_bytes(b"%PDF-1.4\n" + b"x" * 100 + b"\n%%EOF\n")
    assert len(hostile.truncated(tmp_path / "t.pdf", report).read_bytes()) == (len(report.read_bytes())) // 2
    assert hostile.hostile_name(tmp_path, report).name == "<!--<script>.pdf"
