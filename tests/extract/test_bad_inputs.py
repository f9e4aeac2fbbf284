"""Files that are not readable reports come back with a status and a message, never an exception."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from gidar.extract.api import extract_file, extract_paths

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))


def _pdf(path: Path, lines: list[str], **kw: object) -> Path:
    c = canvas.Canvas(str(path), **kw)  # type: ignore[arg-type]
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(lines):
        c.drawString(72, 760 - 20 * i, line)
    c.save()
    return path


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "a.pdf"
    p.write_bytes(b"")
    r = extract_file(p)
    assert (r.status, r.quality) == ("empty", "unread")
    assert r.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_html_saved_as_pdf(tmp_path: Path) -> None:
    p = tmp_path / "b.pdf"
    p.write_text("<!DOCTYPE html><html><head><title>年度报告</title></head><body>…</body></html>", encoding="utf-8")
    r = extract_file(p)
    assert r.status == "not_pdf" and "HTML" in r.message


def test_truncated_pdf(tmp_path: Path) -> None:
    good = _pdf(tmp_path / "good.pdf", ["政府信息公开工作年度报告"] * 5)
    p = tmp_path / "c.pdf"
    p.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    r = extract_file(p)
    assert r.status == "unreadable" and "truncated" in r.message


def test_encrypted_pdf(tmp_path: Path) -> None:
    p = _pdf(tmp_path / "d.pdf", ["政府信息公开工作年度报告"], encrypt="secret")
    r = extract_file(p)
    assert r.status == "encrypted", r.message


def test_not_a_report(tmp_path: Path) -> None:
    p = _pdf(tmp_path / "e.pdf", ["某县2022年国民经济和社会发展统计公报", "地区生产总值 822.08 亿元"])
    r = extract_file(p)
    assert r.status == "not_a_report"
    assert r.n_pages == 1 and r.text_layer is True


def test_image_only_without_ocr_needs_ocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    img = tmp_path / "page.png"
    Image.new("L", (200, 100), 255).save(img)
    c = canvas.Canvas(str(tmp_path / "f.pdf"))
    c.drawImage(str(img), 72, 600, 200, 100)
    c.save()
    monkeypatch.setitem(sys.modules, "extract.ocr", None)  # OCR not installed
    r = extract_file(tmp_path / "f.pdf")
    assert r.status == "needs_ocr" and r.text_layer is False and r.method == "ocr"


def test_folder_input_yields_one_result_per_pdf(tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "y.PDF").write_text("<html></html>")
    statuses = sorted(r.status for r in extract_paths([tmp_path]))
    assert statuses == ["empty", "not_pdf"]
