"""The dashboard file without a browser: self-contained, data embedded, crops rendered and skipped gracefully."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from gidar.warehouse.dashboard import build_dashboard
from gidar.warehouse.dashboard.crops import SCALE, CropRequest, crop_band, render_crops
from gidar.warehouse.db import connect
from gidar_dev.crosschecks_fixtures import demo_warehouse


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, new_warehouse):
    tmp = tmp_path_factory.mktemp("dash")
    con = connect(new_warehouse())
    s = demo_warehouse(con, tmp / "pdfs")
    # one report's PDF has gone away since ingestion: its crops must be skipped, not fail the build
    gone = next(r for r in s.reports if r.report_year == 2020 and r.body.region_code == "330481")
    (src,) = con.execute("SELECT source FROM reports WHERE report_id = ?", [gone.report_id]).fetchone()
    Path(src).unlink()
    path = build_dashboard(con, tmp / "out")
    html = path.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="dq-data">(.*?)</script>', html, re.S)
    assert m
    yield con, s, path, html, json.loads(m.group(1)), gone.report_id
    con.close()


def test_single_self_contained_file(built) -> None:
    _, _, path, html, _, _ = built
    assert path.name.endswith(".html")
    assert not re.search(r'<(script|img|link)[^>]+(src|href)="(https?:)?//', html)  # no CDN, no network
    assert "<style>" in html and "/*__" not in html and "__DATA__" not in html
    assert html.count("</script>") == 2  # the data cannot close its script element early


def test_embedded_data_covers_units_reports_and_failures(built) -> None:
    con, _, _, _, data, _ = built
    codes = [u["code"] for p in data["prefectures"] for u in p["units"]]
    assert len(codes) == len(set(codes)) >= 90
    assert len(data["prefectures"]) == 11
    (n_reports,) = con.execute("SELECT count(*) FROM reports").fetchone()
    (n_failed,) = con.execute("SELECT count(*) FROM dq_results WHERE NOT passed").fetchone()
    assert len(data["reports"]) == n_reports
    assert len(data["violations"]) == n_failed
    ids = {r["id"] for r in data["reports"]}
    assert all(v["reports"] and set(v["reports"]) <= ids for v in data["violations"])


def test_crops_exist_for_present_pdfs_and_not_for_the_missing_one(built) -> None:
    _, _, path, _, data, gone = built
    crops = [c for v in data["violations"] for c in v["crops"]]
    assert crops
    for c in crops:
        if c["report"] == gone:
            assert c["src"] is None
        else:
            assert c["src"] and (path.parent / c["src"]).is_file()
    assert data["cropsMissing"] == sum(1 for c in crops if c["src"] is None) > 0


def test_crop_marks_the_cells(tmp_path: Path, built) -> None:
    """The rendered band has the expected size and red outlines exactly around the given box."""
    con, *_ = built
    (rid, src) = con.execute(
        "SELECT report_id, source FROM reports WHERE status = 'ok' AND report_year = 2024 LIMIT 1"
    ).fetchone()
    box = (250.0, 90.0, 295.0, 108.0)
    req = CropRequest(rid, src, 1, (box,))
    done = render_crops([req], tmp_path)
    img = Image.open(tmp_path / done[req]).convert("RGB")
    doc = pdfium.PdfDocument(src)
    width, height = doc[0].get_size()
    doc.close()
    top, bottom = crop_band([box], height)
    assert img.size == (round(width * SCALE), round((bottom - top) * SCALE))
    x = int((box[0] - 1.5) * SCALE) + 1
    y = int((box[1] + box[3]) / 2 - top) * int(SCALE)
    r, g, b = img.getpixel((x, y))
    assert r > 150 and g < 80 and b < 80  # the outline
    r, g, b = img.getpixel((round((box[0] - 1.5) * SCALE) + 5, round((box[1] - top - 1.5) * SCALE) + 5))
    assert r > 235 and 150 < b < 230  # inside: the yellow fill blended into the white page, not painted over it
    r, g, b = img.getpixel((int(box[0] * SCALE) - 30, int((box[1] - top) * SCALE) - 30))
    assert not (r > 150 and g < 80)  # away from it


def test_crop_band_is_clamped_to_the_page() -> None:
    assert crop_band([(10, 5, 20, 15)], 842.0) == (0.0, 15 + 42.0)
    assert crop_band([(10, 800, 20, 830), (10, 100, 20, 110)], 842.0) == (100 - 42.0, 842.0)


def test_missing_or_broken_pdf_gives_no_crop(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    reqs = [
        CropRequest("a", str(tmp_path / "nope.pdf"), 1, ((1, 1, 2, 2),)),
        CropRequest("b", str(broken), 1, ((1, 1, 2, 2),)),
    ]
    assert render_crops(reqs, tmp_path / "crops") == {}


def test_empty_warehouse_builds(tmp_path: Path, new_warehouse) -> None:
    con = connect(new_warehouse())
    path = build_dashboard(con, tmp_path)
    assert path.is_file() and '"reports":[]' in path.read_text(encoding="utf-8")


def test_county_table_is_offered_as_csv(built) -> None:
    con, _, path, html, _, _ = built
    assert 'href="applications_by_county_year.csv"' in html
    raw = (path.parent / "applications_by_county_year.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel on Chinese Windows reads it as UTF-8
    lines = raw.decode("utf-8-sig").splitlines()
    (n,) = con.execute("SELECT count(*) FROM applications_by_county_year").fetchone()
    assert lines[0].startswith('"region_code","region_name"') and len(lines) == n + 1 and n > 20


def test_crops_of_some_reports_are_the_ones_the_dashboard_shows(built) -> None:
    """An ingest renders each committed batch's crops ahead (`report_crop_requests`): they must be the very
    files the dashboard's build asks for, or the build would render them all again."""
    from gidar.warehouse.dashboard.build import report_crop_requests

    con, _, _, _, data, gone = built
    shown = {Path(c["src"]).name for v in data["violations"] for c in v["crops"] if c["src"]}
    ids = [r for (r,) in con.execute("SELECT report_id FROM reports ORDER BY report_id").fetchall()]
    ahead = [req for req in report_crop_requests(con, ids) if req.report_id != gone]
    assert ahead and {req.name for req in ahead} <= shown
    one = ids[0]
    assert all(req.report_id == one for req in report_crop_requests(con, [one]))
