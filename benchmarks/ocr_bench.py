"""OCR speed, memory and accuracy on scanned reports: seconds per scanned page, peak RSS per process,
cells exact against the truth.

usage: .venv/bin/python benchmarks/ocr_bench.py [--n 4] [--seed 9101] [--corpus DIR] [--no-baseline]

Groups, each read by `gidar.extract.api.extract_file` in its own fresh process (models loaded
there, so its peak RSS is what one extraction worker needs):

- ``plain``: ``--n`` generated reports rasterised at 150 dpi;
- ``hard``: ``--n`` generated hard scans (200-300 dpi, some turned 90/180/270°, skewed up to ±3°);
- ``mixed``: ``--n`` generated text reports whose table pages are pictures;
- ``corpus``: the shared corpus' scanned reports (manifest renderer=scanned).

Seconds per page count every page OCR read (render, detection, reading; blank pages are not
OCR pages), wall clock and CPU. The baseline is the naive loop — rapidocr-onnxruntime's own
pipeline (``RapidOCR()(page)``, full-page detection and recognition, default settings) on the
same corpus pages — in its own process; ``×`` is its seconds per page over ours. The machine
may be shared: run it twice and quote both.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _generate(out: Path, group: str, n: int, seed: int) -> list[Path]:
    from gidar_dev.synth.corpus import write_corpus

    kw: dict[str, Any] = {"plain": {"image_rate": 1.0}, "hard": {"image_rate": 1.0, "hard_scans": True}}.get(
        group, {"image_rate": 0.0, "mixed_rate": 1.0}
    )
    write_corpus(out, n, seed, error_rate=0.2, **kw)
    return sorted(out.glob("*.pdf"))


def _corpus(corpus: Path) -> list[Path]:
    with open(corpus / "manifest.csv", encoding="utf-8") as f:
        return [corpus / r["file"] for r in csv.DictReader(f) if r["renderer"] == "scanned"]


def _read_group(files: list[str]) -> dict[str, Any]:
    """In a fresh process: extract every file, timing each OCR page."""
    from gidar.extract import ocr
    from gidar.extract.api import extract_file

    pages: list[tuple[float, float]] = []
    read: list[tuple[str, int]] = []
    inner = ocr.ocr_page

    def timed(pdf: Path, number: int, *args: Any, **kw: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        page = inner(pdf, number, *args, **kw)
        if not page.blank:
            pages.append((time.perf_counter() - t, time.process_time() - c))
            read.append((str(pdf), number))
        return page

    ocr.ocr_page = timed  # type: ignore[assignment]
    t0 = time.perf_counter()
    ocr._engine()
    load = time.perf_counter() - t0
    reports = []
    for f in files:
        before = len(pages)
        res = extract_file(Path(f))
        truth_path = Path(f).with_suffix(".json")
        truth = json.loads(truth_path.read_text(encoding="utf-8"))["values"] if truth_path.exists() else {}
        got = res.values
        exact = sum(got.get(k) == v for k, v in truth.items())
        variant = ""
        if truth_path.exists():
            variant = json.loads(truth_path.read_text(encoding="utf-8"))["render"]["variant"]
        reports.append(
            {
                "file": Path(f).name,
                "variant": variant,
                "status": res.status,
                "method": res.method,
                "pages": len(pages) - before,
                "seconds": sum(w for w, _ in pages[before:]),
                "cells": len(truth),
                "exact": exact,
                "extra": len(set(got) - set(truth)),
            }
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"reports": reports, "pages": pages, "read": read, "peak_mb": peak, "load": load}


def _baseline(pages: list[tuple[str, int]]) -> dict[str, Any]:
    """In a fresh process: rapidocr's own pipeline on the same page images (rendered as OCR
    renders them)."""
    from rapidocr_onnxruntime import RapidOCR

    from gidar.extract.ocr import SCALE, render_gray

    engine = RapidOCR()
    times = []
    for f, p in pages:
        gray = render_gray(Path(f), p, SCALE)
        t, c = time.perf_counter(), time.process_time()
        engine(gray[..., None].repeat(3, axis=2))
        times.append((time.perf_counter() - t, time.process_time() - c))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"pages": times, "peak_mb": peak}


def _in_child(fn: Any, arg: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, (arg,))


def _line(name: str, out: dict[str, Any]) -> str:
    reps, pages = out["reports"], out["pages"]
    n = max(1, len(pages))
    wall, cpu = sum(w for w, _ in pages) / n, sum(c for _, c in pages) / n
    cells, exact = sum(r["cells"] for r in reps), sum(r["exact"] for r in reps)
    whole = sum(r["exact"] == r["cells"] and not r["extra"] for r in reps)
    pct = 100 * exact / cells if cells else float("nan")
    return (
        f"{name:<8} reports {len(reps):>3}  OCR pages {len(pages):>3}  s/page {wall:5.2f} (cpu {cpu:4.2f})"
        f"  peak RSS {out['peak_mb']:4.0f} MB  cells {exact}/{cells} = {pct:6.2f}%  reports exact {whole}/{len(reps)}"
    )


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=4, help="generated reports per group")
    ap.add_argument("--seed", type=int, default=9101, help="first seed (each group takes the next)")
    ap.add_argument("--corpus", type=Path, default=SHARED)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("-v", action="store_true", help="one line per report")
    a = ap.parse_args(argv[1:])
    with tempfile.TemporaryDirectory() as tmp:
        groups: dict[str, list[Path]] = {}
        for k, g in enumerate(("plain", "hard", "mixed")):
            if a.n:
                groups[g] = _generate(Path(tmp) / g, g, a.n, a.seed + k)
        if (a.corpus / "manifest.csv").exists():
            groups["corpus"] = _corpus(a.corpus)
        results = {}
        for g, files in groups.items():
            results[g] = _in_child(_read_group, [str(f) for f in files])
            print(_line(g, results[g]), flush=True)
            if a.v:
                for r in results[g]["reports"]:
                    s = r["seconds"] / max(1, r["pages"])
                    print(
                        f"    {r['file']:<14} {r['variant']:<28} {r['method']:<8} {r['status']:<10}"
                        f" {r['pages']} pages {s:5.2f} s/page  {r['exact']}/{r['cells']}"
                    )
        if not a.no_baseline and "corpus" in results and results["corpus"]["pages"]:
            ours = results["corpus"]["pages"]
            base = _in_child(_baseline, results["corpus"]["read"])
            bw = sum(w for w, _ in base["pages"]) / len(base["pages"])
            bc = sum(c for _, c in base["pages"]) / len(base["pages"])
            ow = sum(w for w, _ in ours) / len(ours)
            oc = sum(c for _, c in ours) / len(ours)
            print(
                f"baseline RapidOCR full page, the same {len(base['pages'])} corpus pages: s/page {bw:5.2f}"
                f" (cpu {bc:4.2f})  peak RSS {base['peak_mb']:4.0f} MB  → ours {bw / ow:.1f}× faster"
                f" (cpu {bc / oc:.1f}×)"
            )
        allp = [p for r in results.values() for p in r["pages"]]
        if allp:
            print(
                f"all      OCR pages {len(allp)}  s/page {sum(w for w, _ in allp) / len(allp):5.2f}"
                f" (cpu {sum(c for _, c in allp) / len(allp):4.2f})"
                f"  peak RSS per process ≤ {max(r['peak_mb'] for r in results.values()):.0f} MB"
            )


if __name__ == "__main__":
    main(sys.argv)
