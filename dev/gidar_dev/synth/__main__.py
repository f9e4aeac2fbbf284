"""python -m gidar_dev.synth OUT_DIR --n 20 --seed 1: write a synthetic corpus (PDFs, truth JSONs, manifest.csv)."""

from __future__ import annotations

import argparse
import sys
import time

from gidar_dev.synth.corpus import write_corpus


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gidar_dev.synth", description=__doc__)
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, default=20, help="number of reports")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--error-rate", type=float, default=0.2, help="share of reports with one planted error")
    ap.add_argument("--mismatch-rate", type=float, default=0.1, help="share with a narrative/table mismatch")
    ap.add_argument("--image-rate", type=float, default=0.0, help="share rasterised to image-only PDFs")
    ap.add_argument("--dpi", type=int, default=150)
    ap.add_argument("--series", type=int, default=0, help="bodies with one report per year 2019-2025 (extra)")
    ap.add_argument("--hard-scans", action="store_true", help="scans at 200-300 dpi, some turned, skewed up to ±3°")
    ap.add_argument("--mixed-rate", type=float, default=0.0, help="share of text reports with table pages as images")
    a = ap.parse_args(argv)
    t = time.perf_counter()
    truths = write_corpus(
        a.out_dir,
        a.n,
        a.seed,
        error_rate=a.error_rate,
        mismatch_rate=a.mismatch_rate,
        image_rate=a.image_rate,
        dpi=a.dpi,
        series=a.series,
        hard_scans=a.hard_scans,
        mixed_rate=a.mixed_rate,
    )
    n_err = sum(1 for x in truths if x["expected_violations"])
    print(f"wrote {len(truths)} reports ({n_err} with violations) to {a.out_dir} in {time.perf_counter() - t:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
