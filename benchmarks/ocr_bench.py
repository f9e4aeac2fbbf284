"""OCR speed and memory: seconds per page and peak RSS over the scanned corpus reports.

usage: .venv/bin/python benchmarks/ocr_bench.py [CORPUS_DIR] [--pages N]

Uses the corpus' scanned reports (manifest renderer=scanned); where the corpus is absent, a
report generated and scanned by gidar_dev.synth.
Each page is OCR'd once, cold (no cache), with `extract.ocr.ocr_page_words` — first pass, grid and
cell re-reads included. Peak RSS is the process high-water mark (``ru_maxrss``), models included.
"""

from __future__ import annotations

import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

from gidar.extract import ocr


def _generated(tmp: Path) -> list[tuple[Path, int]]:
    """One synthetic report (gidar_dev.synth), scanned at 150 dpi by the synth scan maker."""
    from gidar_dev.synth.corpus import to_image_only
    from gidar_dev.synth.report import make_report

    scan = to_image_only(make_report(1, report_id="generated-scan", template="v2021"), dpi=150)
    return [(scan.write(tmp), int(scan.truth["render"]["n_pages"]))]


def _corpus(corpus: Path) -> list[tuple[Path, int]]:
    with open(corpus / "manifest.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["renderer"] == "scanned"]
    return [(corpus / r["file"], int(r["n_pages"])) for r in rows]


def main(argv: list[str]) -> None:
    args = [a for a in argv[1:] if not a.startswith("--")]
    max_pages = int(argv[argv.index("--pages") + 1]) if "--pages" in argv else None
    if max_pages is not None and str(max_pages) in args:
        args.remove(str(max_pages))
    corpus = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    tmp = tempfile.TemporaryDirectory()
    files = _corpus(corpus) if (corpus / "manifest.csv").exists() else _generated(Path(tmp.name))
    t0 = time.perf_counter()
    ocr._engine()  # model load, reported apart
    print(f"model load {time.perf_counter() - t0:.2f}s")
    n_pages, total = 0, 0.0
    for pdf, pages in files:
        for p in range(1, (min(pages, max_pages) if max_pages else pages) + 1):
            t = time.perf_counter()
            words = ocr.ocr_page_words(pdf, p)
            dt = time.perf_counter() - t
            n_pages, total = n_pages + 1, total + dt
            print(f"{pdf.name} p{p}: {dt:.2f}s {len(words)} words")
        ocr.clear_cache()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pages {n_pages}  seconds/page {total / max(n_pages, 1):.2f}  peak RSS {peak_mb:.0f} MB")
    tmp.cleanup()


if __name__ == "__main__":
    main(sys.argv)
