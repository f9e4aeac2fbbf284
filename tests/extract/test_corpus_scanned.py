"""The shared corpus' scanned (image-only) reports through the whole pipeline, OCR included.

The bar: at least 99 % of their cells exact, violations exact, and no report claims
status ``ok`` while one of its readings is in doubt. About a minute of CPU (OCR at ~4 s/page).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from gidar.extract.api import extract_file

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def test_scanned_reports_read_through_ocr(corpus_dir: Path) -> None:
    rows = [
        r for r in csv.DictReader((corpus_dir / "manifest.csv").open(encoding="utf-8")) if r["renderer"] == "scanned"
    ]
    assert rows, "the corpus has no scanned reports"
    cells = exact = 0
    for row in rows:
        truth = json.loads((corpus_dir / f"{row['id']}.json").read_text(encoding="utf-8"))
        res = extract_file(corpus_dir / row["file"])
        assert res.method == "ocr" and res.text_layer is False, row["id"]
        assert res.status in ("ok", "uncertain"), (row["id"], res.message)
        assert res.template == truth["template"], row["id"]
        assert res.metadata.region_code == truth["metadata"]["region_code"], row["id"]
        assert res.metadata.report_year == truth["metadata"]["report_year"], row["id"]
        got = res.values
        cells += len(truth["values"])
        exact += sum(got.get(k) == v for k, v in truth["values"].items())
        want = {(v["invariant"], v["row"], v["col"]) for v in truth["expected_violations"]}
        assert {(v.invariant, v.row, v.col) for v in res.violations} == want, row["id"]
        low = [c.key for c in res.cells if c.conf is not None and c.conf < 0.8]
        if low:  # a doubtful reading is never passed off as ok
            assert res.status == "uncertain" and set(low) <= set(res.review), row["id"]
    assert exact / cells >= 0.99, f"{exact}/{cells} cells exact"
