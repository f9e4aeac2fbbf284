"""Throughput of the GX validation of stored tables (`validate_tables`) on a generated batch.

    python benchmarks/validate_bench.py [N]

N reports (default 200), both templates, values drawn by `gidar_dev.synth.values.draw_values`
with one cell off in every tenth report (so the failure paths are timed too); built into the
Arrow tables transform/ stores, then validated. GX's import is timed apart (a one-off per process).
"""

from __future__ import annotations

import random
import sys
import time

import pyarrow as pa

from gidar.contract import Metadata
from gidar.expectations import build_frames, validate_reports
from gidar.templates import TEMPLATES
from gidar.transform import build_tables
from gidar_dev.sample import result_from_values
from gidar_dev.synth.values import draw_values


def main(n: int) -> None:
    t0 = time.perf_counter()
    import great_expectations  # noqa: F401

    print(f"import great_expectations: {time.perf_counter() - t0:.2f} s")
    versions = sorted(TEMPLATES)
    batch = []
    for i in range(n):
        t = TEMPLATES[versions[i % 2]]
        v = draw_values(t, random.Random(i))
        if i % 10 == 0:
            v[next(iter(v))] += 1
        meta = Metadata(agency_type="department", region_code="330922", report_year=t.years[0] + 1)
        batch.append(build_tables(result_from_values(v, t.version, report_id=f"r{i:05d}", metadata=meta)))
    reports = pa.concat_tables([b["reports"] for b in batch])
    cells = pa.concat_tables([b["cells"] for b in batch])
    t0 = time.perf_counter()
    frames = build_frames(reports, cells)
    t1 = time.perf_counter()
    results = validate_reports(frames)
    t2 = time.perf_counter()
    print(f"{n} reports: build_frames {t1 - t0:.2f} s, validate_reports {t2 - t1:.2f} s, {len(results)} results")
    print(f"{n / (t2 - t0):.1f} reports/s (frames + GX, import excluded)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
