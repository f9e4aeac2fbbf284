"""Write a synthetic corpus in the shared format: <id>.pdf + <id>.json per report and manifest.csv."""

from __future__ import annotations

import csv
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from gidar_dev.synth.image import rasterise
from gidar_dev.synth.report import SynthReport, make_report
from gidar_dev.synth.series import make_series
from gidar_dev.synth.values import ERROR_KINDS

SERIES_YEARS = tuple(range(2019, 2026))

MANIFEST_COLUMNS = (
    "id",
    "file",
    "sha256",
    "region_code",
    "agency",
    "year",
    "template",
    "renderer",
    "variant",
    "has_text_layer",
    "n_pages",
    "n_expected_violations",
)


def to_image_only(report: SynthReport, dpi: int = 150) -> SynthReport:
    """The same report as an image-only PDF (text only in the pixels)."""
    truth = json.loads(json.dumps(report.truth, ensure_ascii=False))
    render = truth["render"]
    render.update(has_text_layer=False, variant=f"scanned{dpi}")
    render["options"]["dpi"] = dpi
    render["variant_description"] += f", rasterised at {dpi} dpi (no text layer)"
    return SynthReport(rasterise(report.pdf, dpi), truth)


def manifest_row(truth: dict[str, Any], pdf: bytes) -> dict[str, Any]:
    md, r = truth["metadata"], truth["render"]
    return {
        "id": truth["id"],
        "file": truth["file"],
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "region_code": md["region_code"],
        "agency": md["agency"],
        "year": md["report_year"],
        "template": truth["template"],
        "renderer": r["renderer"],
        "variant": r["variant"],
        "has_text_layer": str(r["has_text_layer"]).lower(),
        "n_pages": r["n_pages"],
        "n_expected_violations": len(truth["expected_violations"]),
    }


def write_corpus(
    out_dir: str | Path,
    n: int,
    seed: int,
    *,
    error_rate: float = 0.2,
    mismatch_rate: float = 0.1,
    image_rate: float = 0.0,
    dpi: int = 150,
    series: int = 0,
) -> list[dict[str, Any]]:
    """Write n single reports (report i seeded by "seed/i"), plus `series` bodies with a report for
    every year 2019–2025 (every second one with a carry-over break), and manifest.csv.
    Returns the truths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    rows, truths = [], []
    reports: list[SynthReport] = []
    for i in range(1, n + 1):
        rid = f"g{seed}-{i:03d}"
        error = rng.choice(sorted(ERROR_KINDS)) if rng.random() < error_rate else None
        mismatch = rng.random() < mismatch_rate
        scanned = rng.random() < image_rate
        report = make_report(random.Random(f"{seed}/{i}"), report_id=rid, error=error, narrative_mismatch=mismatch)
        if scanned:
            report = to_image_only(report, dpi)
        reports.append(report)
    for j in range(1, series + 1):
        brk = rng.choice(SERIES_YEARS[1:]) if j % 2 == 0 else None
        reports += make_series(rng.randrange(2**31), series_id=f"g{seed}-s{j}", break_year=brk)
    for report in reports:
        report.write(out, report.truth["id"])
        rows.append(manifest_row(report.truth, report.pdf))
        truths.append(report.truth)
    with (out / "manifest.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return truths
