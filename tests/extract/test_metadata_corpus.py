"""read_metadata against the truth of the shared corpus and the real 洪泽 2023 report."""

from __future__ import annotations

import json
from pathlib import Path

import pdfplumber
import pytest

from gidar.extract.metadata import read_metadata

FIELDS = ("region_code", "region_name", "prefecture", "province", "report_year", "agency", "agency_type", "unit")


def _reports(*dirs: Path) -> list[tuple[Path, dict]]:
    out = []
    for d in dirs:
        for truth in sorted(d.glob("*.json")):
            t = json.loads(truth.read_text(encoding="utf-8"))
            if t.get("document_kind", "disclosure_report") == "disclosure_report" and "metadata" in t:
                out.append((truth.with_suffix(".pdf"), t))
    return out


def _mismatches(meta: dict, truth: dict) -> dict:
    return {f: (meta[f], truth[f]) for f in FIELDS if meta[f] != truth[f]}


@pytest.mark.corpus
@pytest.mark.slow  # pdfplumber reads two pages of every corpus report
def test_text_layer_reports_match_truth(corpus_dir: Path, real_dir: Path) -> None:
    reports = [(p, t) for p, t in _reports(corpus_dir, real_dir) if t["render"].get("has_text_layer")]
    assert len(reports) >= 30
    wrong = {}
    for pdf, truth in reports:
        with pdfplumber.open(pdf) as doc:
            # title, period and section 一 sit on the first pages; the table pages are slow to read
            pages = [pg.extract_text() or "" for pg in doc.pages[:2]]
        meta = read_metadata(pages, pdf.name).to_json()
        if bad := _mismatches(meta, truth["metadata"]):
            wrong[pdf.name] = bad
        assert meta["title"] == truth["metadata"]["title"], pdf.name
    assert wrong == {}, f"{len(wrong)}/{len(reports)} reports wrong"


@pytest.mark.corpus
def test_scanned_reports_from_their_title_text(corpus_dir: Path) -> None:
    # No text layer: OCR will supply the text; the printed title alone must be enough.
    scanned = [(p, t) for p, t in _reports(corpus_dir) if not t["render"].get("has_text_layer")]
    assert scanned
    for pdf, truth in scanned:
        meta = read_metadata([truth["metadata"]["title"]]).to_json()
        assert _mismatches(meta, truth["metadata"]) == {}, pdf.name
