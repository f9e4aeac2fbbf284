"""The shared corpus end to end: every text-layer report exact, violations exact, bad files flagged.

Scanned reports are left to the OCR tests (minutes of CPU); everything else runs here once per
session (about 1 s per report).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from gidar.contract import ExtractionResult
from gidar.extract.api import extract_file
from gidar.extract.evaluate import EvalReport, format_report, score_one
from gidar_dev.synth.report import blank_tables

pytestmark = [pytest.mark.corpus, pytest.mark.slow]  # extracts every text-layer report of the corpus


@pytest.fixture(scope="session")
def corpus_results(corpus_dir: Path) -> list[tuple[dict[str, Any], dict[str, str], ExtractionResult]]:
    out = []
    for row in csv.DictReader((corpus_dir / "manifest.csv").open(encoding="utf-8")):
        if row["renderer"] == "scanned":
            continue
        truth = json.loads((corpus_dir / f"{row['id']}.json").read_text(encoding="utf-8"))
        out.append((truth, row, extract_file(corpus_dir / row["file"])))
    return out


def _reports(results):
    return [(t, r, res) for t, r, res in results if t["document_kind"] == "disclosure_report"]


def test_every_text_report_is_exact(corpus_results) -> None:
    wrong = []
    for truth, _, res in _reports(corpus_results):
        got = res.values
        wrong += [f"{truth['id']} {k}: {v} read {got.get(k)}" for k, v in truth["values"].items() if got.get(k) != v]
        wrong += [f"{truth['id']} extra key {k}" for k in set(got) - set(truth["values"])]
    assert wrong == []
    assert len(_reports(corpus_results)) >= 30


def test_violations_are_exactly_the_expected_ones(corpus_results) -> None:
    for truth, _, res in _reports(corpus_results):
        want = {(v["invariant"], v["row"], v["col"]) for v in truth["expected_violations"]}
        got = {(v.invariant, v.row, v.col) for v in res.violations}
        assert got == want, truth["id"]
        # a table printed without one value is an unfilled template: the reading is uncertain
        verdict = "uncertain" if blank_tables(truth["tables"]) else "publisher_violations" if want else "consistent"
        assert res.quality == verdict, truth["id"]


def test_reports_are_ok_with_their_template_and_provenance(corpus_results) -> None:
    for truth, row, res in _reports(corpus_results):
        blank = blank_tables(truth["tables"])
        assert res.status == ("uncertain" if blank else "ok"), (truth["id"], res.message)
        assert not blank or "blank" in res.message
        assert res.template == truth["template"], truth["id"]
        assert res.sha256 == row["sha256"]
        assert res.n_pages == int(row["n_pages"]) and res.text_layer is True and res.method == "text"
        assert res.parser_version and res.seconds > 0
        assert res.narrative and "总体情况" in res.narrative.splitlines()[0]
        for c in res.cells:  # every cell keeps where it was read (blank cells: their grid box)
            assert c.page is not None and c.bbox is not None, (truth["id"], c.key)


def test_bad_files_are_flagged_with_the_right_status(corpus_results) -> None:
    expected = {
        "empty_file": "empty",
        "corrupt_pdf": "unreadable",
        "not_a_report": "not_a_report",
        "html_not_pdf": "not_pdf",
    }
    bad = [(t, res) for t, _, res in corpus_results if t["document_kind"] != "disclosure_report"]
    assert bad
    for truth, res in bad:
        assert res.status == expected[truth["document_kind"]], (truth["id"], res.status, res.message)
        assert res.message and res.cells == []


def test_eval_report_agrees(corpus_results) -> None:
    report = EvalReport()
    for truth, _, res in corpus_results:
        score_one(report, truth, res)
    assert report.total.cell_pct == 100.0
    assert report.precision == 1.0 and report.recall == 1.0
    text = format_report(report)
    assert "drawn/norules" in text and "seconds per page (text)" in text
