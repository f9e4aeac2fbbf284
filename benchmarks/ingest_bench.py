"""Seconds per report for ``gidar ingest`` (default source: samples/), fresh and incremental.

    python benchmarks/ingest_bench.py [SOURCE] [--keep DIR]

Runs the real CLI twice in a subprocess against a fresh data dir (so Prefect's temporary server,
imports and all are included) and prints: wall time per run, the flow body time, seconds per
report, the extractor's own seconds per report, and the fixed start-up overhead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent


def run(source: str, data: Path) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "gidar.flows.cli", "ingest", source, "--data-dir", str(data), "--json"]
    env = {**os.environ, "PREFECT_HOME": str(data / "prefect")}
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        sys.exit(f"ingest failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return wall, json.loads(p.stdout[p.stdout.index("\n{") + 1 :])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", default=str(ROOT / "samples"))
    ap.add_argument("--keep", type=Path, help="keep the data dir here instead of a temporary one")
    args = ap.parse_args()
    data = args.keep or Path(tempfile.mkdtemp(prefix="gidar-bench-"))

    wall1, s1 = run(args.source, data)
    wall2, s2 = run(args.source, data)
    n = len(s1["outcomes"])
    con = duckdb.connect(str(data / "gidar.duckdb"), read_only=True)
    ext = [r[0] for r in con.execute("SELECT seconds FROM reports WHERE seconds IS NOT NULL").fetchall()]
    con.close()

    print(f"source: {args.source}  ({n} files, {os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f})")
    print(f"statuses: {s1['counts']}")
    print(f"run 1 (fresh):       wall {wall1:6.1f} s   flow body {s1['seconds']:6.1f} s")
    print(f"run 2 (incremental): wall {wall2:6.1f} s   flow body {s2['seconds']:6.1f} s   {s2['counts']}")
    print(f"seconds per report, fresh run:   wall {wall1 / n:5.2f}   flow body {s1['seconds'] / n:5.2f}")
    if ext:
        print(f"extractor seconds per report:    mean {statistics.mean(ext):5.2f}   max {max(ext):5.2f}")
    print(f"fixed overhead (imports, temporary Prefect server, exit): ~{wall1 - s1['seconds']:.1f} s per process")
    print(f"data dir: {data}")


if __name__ == "__main__":
    main()
