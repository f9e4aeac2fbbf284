"""Text-layer extraction speed, memory and accuracy on reports the project generates itself.

    python benchmarks/extract_bench.py [--n 40] [--seed 11] [DIR_OF_PDFS_WITH_TRUTH]

Without a folder it writes ``--n`` random reports with `gidar_dev.synth` (both templates, random
layouts, some planted publisher errors) to a temporary folder, extracts each one in this process
and prints seconds per page (median, p95), peak RSS, and how many reports came back exact.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from gidar.extract.api import extract_file
from gidar_dev.synth.corpus import write_corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", nargs="?", help="PDFs with <stem>.json truth beside them")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder) if args.folder else Path(tmp)
        if not args.folder:
            write_corpus(folder, args.n, args.seed)
        per_page, exact, n = [], 0, 0
        t_all = time.perf_counter()
        for pdf in sorted(folder.glob("*.pdf")):
            truth_path = pdf.with_suffix(".json")
            if not truth_path.exists():
                continue
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            if truth.get("document_kind") != "disclosure_report" or not truth["render"].get("has_text_layer", True):
                continue
            t0 = time.perf_counter()
            res = extract_file(pdf)
            dt = time.perf_counter() - t0
            n += 1
            per_page.append(dt / max(res.n_pages or 1, 1))
            exact += res.values == truth["values"]
        wall = time.perf_counter() - t_all
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_page.sort()
    print(f"reports {n}  exact {exact}/{n}  wall {wall:.1f} s")
    print(
        f"seconds/page median {statistics.median(per_page):.3f}  p95 {per_page[int(0.95 * (len(per_page) - 1))]:.3f}"
        f"  peak RSS {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
