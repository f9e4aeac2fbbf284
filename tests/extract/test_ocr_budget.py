"""OCR budgets (issue 12): image pages too large to rasterise, scans of hundreds of blank pages
and scans with too many pages end with their status, before OCR is spent on them.

The files are generated here, a few hundred bytes each, the way a hostile or broken website
would serve them. A spy around the recogniser entry points counts what OCR actually did: the
assertion is that it was not attempted, never a timing.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from gidar.extract import ocr
from gidar.extract.api import extract_file
from gidar.extract.budget import Budget
from gidar.extract.ocr_engine import Engine


@pytest.fixture
def ocr_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many pages were rendered for OCR and how many detector runs happened."""
    calls = {"render": 0, "detect": 0}
    render, detect = ocr.render_gray, Engine.detect

    def counted_render(pdf_path: Path, page_number: int, scale: float):  # type: ignore[no-untyped-def]
        if scale >= ocr.SCALE:
            calls["render"] += 1
        return render(pdf_path, page_number, scale)

    def counted_detect(self: Engine, gray):  # type: ignore[no-untyped-def]
        calls["detect"] += 1
        return detect(self, gray)

    monkeypatch.setattr(ocr, "render_gray", counted_render)
    monkeypatch.setattr(Engine, "detect", counted_detect)
    ocr.clear_cache()
    return calls


def _one_empty_page(path: Path, side: float) -> Path:
    doc = pdfium.PdfDocument.new()
    doc.new_page(side, side)
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.parametrize("side", [20000.0, 5000.0])
def test_huge_page_is_too_large_before_rasterising(tmp_path: Path, side: float, ocr_calls: dict[str, int]) -> None:
    # A 20000 × 20000 pt page took 6.3 GB to rasterise; 5000 × 5000 pt took 1.75 GB.
    pdf = _one_empty_page(tmp_path / "huge.pdf", side)
    assert pdf.stat().st_size < 2000
    r = extract_file(pdf)
    assert r.status == "too_large"
    assert "GIDAR_MAX_PAGE_AREA" in r.message and f"{side:.0f} × {side:.0f} pt" in r.message
    assert ocr_calls == {"render": 0, "detect": 0}
    # the setting raises the limit: the same page is then read (and found blank)
    wider = extract_file(pdf, budget=Budget(max_page_area=side * side + 1))
    assert wider.status == "needs_ocr" and ocr_calls["detect"] == 0


def test_huge_page_stays_within_memory(tmp_path: Path) -> None:
    # In a child process whose address space is capped far below what rasterising would take.
    pdf = _one_empty_page(tmp_path / "huge.pdf", 20000.0)
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))\n"
        "from gidar.extract.api import extract_file\n"
        f"r = extract_file({str(pdf)!r})\n"
        "print(r.status)\n"
        # VmHWM, not ru_maxrss: the latter survives exec and would count the forking test process
        "print(next(ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM:')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    status, peak_kb = out.stdout.split()
    assert status == "too_large"
    assert int(peak_kb) < 400 * 1024  # imports only: nothing was rasterised


def test_blank_scan_of_300_pages_costs_no_ocr(tmp_path: Path, ocr_calls: dict[str, int]) -> None:
    # 300 blank page images (a scanner fed an empty tray): each is seen blank from an 18-dpi
    # rendering; none is rendered for OCR, the detector never runs.
    pages = [Image.new("L", (100, 141), 255) for _ in range(300)]
    pdf = tmp_path / "blank.pdf"
    pages[0].save(pdf, "PDF", save_all=True, append_images=pages[1:], resolution=12.0)
    r = extract_file(pdf)
    assert r.status == "needs_ocr" and "found no text" in r.message
    assert r.n_pages == 300
    assert ocr_calls == {"render": 0, "detect": 0}


def test_ocr_page_limit(tmp_path: Path, ocr_calls: dict[str, int]) -> None:
    # Five small page images with a line of text each and no tables: OCR stops at the limit.
    images = []
    for i in range(5):
        img = Image.new("L", (300, 200), 255)
        ImageDraw.Draw(img).text((20, 90), f"PAGE {i + 1} OF A LONG SCAN", fill=0)
        images.append(img)
    pdf = tmp_path / "long_scan.pdf"
    images[0].save(pdf, "PDF", save_all=True, append_images=images[1:], resolution=50.0)
    r = extract_file(pdf, budget=Budget(max_ocr_pages=2))
    assert r.status == "too_large"
    assert "GIDAR_MAX_OCR_PAGES" in r.message and "2 pages" in r.message
    assert ocr_calls["render"] == 2
