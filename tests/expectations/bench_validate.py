"""Throughput of `validate_reports` on a synthetic batch (not a test; run by hand):

.venv/bin/python tests/expectations/bench_validate.py 200
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from expectations_cases import consistent_values, make_result, stored

from gidar.expectations import build_frames, validate_reports
from gidar.templates import TEMPLATES


def main(n: int) -> None:
    t0 = time.perf_counter()
    import great_expectations  # noqa: F401  (measured separately: a one-off per process)

    print(f"import great_expectations: {time.perf_counter() - t0:.2f} s")
    versions = sorted(TEMPLATES)
    batch = []
    for i in range(n):
        v = consistent_values(TEMPLATES[versions[i % 2]], seed=i)
        if i % 10 == 0:
            v[next(iter(v))] += 1  # a few failures, so the failure paths are timed too
        batch.append(make_result(f"r{i:05d}", versions[i % 2], v))
    t0 = time.perf_counter()
    frames = build_frames(*stored(batch))
    t1 = time.perf_counter()
    results = validate_reports(frames)
    t2 = time.perf_counter()
    print(f"{n} reports: build_frames {t1 - t0:.2f} s, validate_reports {t2 - t1:.2f} s, {len(results)} results")
    print(f"{n / (t2 - t0):.1f} reports/s (frames + GX, import excluded)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
