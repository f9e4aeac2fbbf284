"""Harder scans end to end (issue 11 item 4), each on a report generated here with its truth:

- a text-layer report whose table pages are pictures (a Word export with scanned tables);
- pages fed to the scanner turned by 90°, 180° or 270°;
- scans skewed by up to ±3° at 200 and 300 dpi;
- unruled tables on scanned pages.

About 40 s of OCR in all; needs a CJK font to draw the generated text (skipped without one).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gidar.extract import ocr
from gidar.extract.api import extract_file
from gidar.extract.numbers import parse_cell
from gidar.extract.ocr_tokens import is_value_text
from gidar_dev.synth.corpus import table_pages, to_image_only, to_mixed
from gidar_dev.synth.image import find_cjk_font, rasterise
from gidar_dev.synth.options import draw_options
from gidar_dev.synth.report import SynthReport, make_report

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_cjk_font() is None, reason="no CJK font (fonts-wqy-microhei): generated text renders blank"
    ),
]


def _report(name: str, **options: object) -> SynthReport:
    rng = random.Random(f"ocr-scans/{name}")
    opts = draw_options(random.Random(f"ocr-scans/{name}/layout")).with_(**options)
    return make_report(rng, report_id=name, options=opts)


def _exact(report: SynthReport, pdf: Path) -> None:
    res = extract_file(pdf)
    truth = report.truth["values"]
    wrong = {k: (v, res.values.get(k)) for k, v in truth.items() if res.values.get(k) != v}
    assert not wrong, (res.status, res.message, wrong)
    assert res.status in ("ok", "uncertain") and not set(res.values) - set(truth)


def _report_with_a_prose_page(name: str, tries: int = 20) -> SynthReport:
    """The first of a few drawn reports with a page holding no table (a short report can print
    tables on every page, and would then be a whole scan, not a mixed one)."""
    for k in range(tries):
        report = _report(f"{name}-{k}")
        if len(table_pages(report)) < report.truth["render"]["n_pages"]:
            return report
    raise AssertionError(f"no report of {tries} draws has a page without tables")


def test_text_report_with_table_pages_as_pictures(tmp_path: Path) -> None:
    report = _report_with_a_prose_page("mixed")
    mixed = to_mixed(report)
    pictures = set(mixed.truth["render"]["options"]["image_pages"])
    assert pictures and len(pictures) < mixed.truth["render"]["n_pages"]  # some pages keep their text
    pdf = mixed.write(tmp_path)
    res = extract_file(pdf)
    assert res.method == "text+ocr" and res.text_layer
    assert res.values == report.truth["values"], res.message
    for cell in res.cells:
        if cell.page in pictures:
            assert "ocr" in cell.flags, cell.key
        elif cell.page is not None:
            assert "ocr" not in cell.flags and cell.conf is None, cell.key


def _values_in_order(pdf: Path, page: int) -> tuple[list[float | None], ocr.OcrPage]:
    """The page's values (dashes as 0) row by row, left to right."""
    read = ocr.ocr_page(pdf, page)
    words = sorted((w for w in read.words if is_value_text(w.text)), key=lambda w: (round(w.yc / 4), w.x0))
    return [parse_cell(w.text).value for w in words], read


def test_turned_pages_read_like_the_upright_one(tmp_path: Path) -> None:
    report = _report("turned", rules="all")
    page = table_pages(report)[1]  # the page holding most of table 三
    upright_pdf = tmp_path / "upright.pdf"
    upright_pdf.write_bytes(rasterise(_one_page(report.pdf, page), 150))
    want, upright = _values_in_order(upright_pdf, 1)
    assert upright.turned == 0 and len(want) > 40
    for turn in (90, 180, 270):
        pdf = tmp_path / f"turn{turn}.pdf"
        pdf.write_bytes(rasterise(_one_page(report.pdf, page), 150, turn=turn))
        got, read = _values_in_order(pdf, 1)
        assert read.turned == (360 - turn) % 360  # turned back clockwise to stand upright
        assert (read.width, read.height) == pytest.approx((upright.width, upright.height), abs=1)
        assert got == want, turn


def _one_page(pdf: bytes, index: int) -> bytes:
    import io

    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(pdf)
    out = pdfium.PdfDocument.new()
    out.import_pages(src, [index])
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(("dpi", "skew"), [(200, -3.0), (300, 3.0)])
def test_skewed_scans(tmp_path: Path, dpi: int, skew: float) -> None:
    # fully ruled: skew breaks the grid finder first (other layout options as drawn)
    report = _report(f"skew{dpi}", rules="all")
    scan = to_image_only(report, dpi, skew=skew)
    _exact(report, scan.write(tmp_path))


def test_unruled_tables_on_a_scan(tmp_path: Path) -> None:
    # Known limit: unruled AND too narrow for its numbers, adjacent values (full-width digits
    # above all) sit closer than the digits of one number; their gaps cannot tell them apart.
    report = _report("unruled", rules="none", narrow_values=False)
    _exact(report, to_image_only(report, 150).write(tmp_path))
