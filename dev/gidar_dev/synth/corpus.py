"""Write a synthetic corpus in the shared format: <id>.pdf + <id>.json per report and manifest.csv."""

from __future__ import annotations

import csv
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from gidar.labels import normalise
from gidar.templates import TEMPLATES
from gidar_dev.synth.image import TURNS, mix_pages, page_texts, rasterise
from gidar_dev.synth.report import SynthReport, make_report
from gidar_dev.synth.series import make_series
from gidar_dev.synth.values import ERROR_KINDS

SERIES_YEARS = tuple(range(2019, 2026))
HARD_DPI = (200, 250, 300)  # resolutions of office scanners
MAX_SKEW = 3.0  # degrees a page sits crooked on the glass

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


def to_image_only(report: SynthReport, dpi: int = 150, *, turn: int = 0, skew: float = 0.0) -> SynthReport:
    """The same report as an image-only PDF (text only in the pixels), every page turned by
    ``turn`` degrees clockwise and skewed by ``skew`` degrees, as a scanner may feed it."""
    truth = json.loads(json.dumps(report.truth, ensure_ascii=False))
    render = truth["render"]
    variant = f"scanned{dpi}" + (f"-turn{turn}" if turn else "") + (f"-skew{skew:+.1f}" if skew else "")
    render.update(has_text_layer=False, variant=variant)
    render["options"].update(dpi=dpi, turn=turn, skew=round(skew, 2))
    how = f"rasterised at {dpi} dpi (no text layer)"
    how += f", turned {turn}°" if turn else ""
    how += f", skewed {skew:+.1f}°" if skew else ""
    render["variant_description"] += ", " + how
    return SynthReport(rasterise(report.pdf, dpi, turn=turn, skew=skew), truth)


def table_pages(report: SynthReport) -> list[int]:
    """0-based pages printing part of tables 二–四: any label of the template's tables."""
    tpl = TEMPLATES[report.truth["template"]]
    labels = [r.label for b in tpl.t2_blocks for r in b.rows] + [r.label for r in tpl.t3_rows]
    labels += [c.label for c in tpl.t4_columns]
    marks = {normalise(x) for x in labels}
    return [i for i, text in enumerate(page_texts(report.pdf)) if any(m in normalise(text) for m in marks)]


def to_mixed(report: SynthReport, dpi: int = 150) -> SynthReport:
    """The report with its table pages pasted in as pictures (a Word export with scanned
    tables): the other pages keep their text layer."""
    truth = json.loads(json.dumps(report.truth, ensure_ascii=False))
    pages = table_pages(report)
    render = truth["render"]
    render.update(variant=f"mixed{dpi}")
    render["options"].update(dpi=dpi, image_pages=[p + 1 for p in pages])
    render["variant_description"] += f", table pages {[p + 1 for p in pages]} as {dpi}-dpi pictures"
    return SynthReport(mix_pages(report.pdf, pages, dpi), truth)


def hard_scan(report: SynthReport, rng: random.Random) -> SynthReport:
    """A scan as offices make them: 200–300 dpi, a quarter turn now and then, skewed up to ±3°."""
    turn = rng.choice(TURNS) if rng.random() < 0.5 else 0
    skew = round(rng.uniform(-MAX_SKEW, MAX_SKEW), 1)
    return to_image_only(report, rng.choice(HARD_DPI), turn=turn, skew=skew)


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
    hard_scans: bool = False,
    mixed_rate: float = 0.0,
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
        if scanned and hard_scans:
            report = hard_scan(report, random.Random(f"{seed}/{i}/scan"))
        elif scanned:
            report = to_image_only(report, dpi)
        elif mixed_rate and random.Random(f"{seed}/{i}/mixed").random() < mixed_rate:
            report = to_mixed(report, dpi)
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
