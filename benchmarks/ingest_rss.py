"""Memory of `gidar ingest` as N grows: peak RSS per process at two sizes, and the flow's RSS over the run.

    python benchmarks/ingest_rss.py [--sizes 100,400] [--corpus DIR] [--keep DIR]

Generates max(sizes) distinct reports with the project's generator (or takes the PDFs of ``--corpus``), then
for each size ingests the first N of them, cold, embedded, into a fresh data dir, and prints the peak RSS of
each process (the command's, the reading processes, the checking (GX) process, the embedded Prefect server),
sampled every 0.1 s by ingest_bench.TreeRss, and the flow process's RSS at every 10 % of the run. Target:
≤ 400 MB per process, flat in N (the larger run's peak within a few % of the smaller's).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from ingest_bench import ROOT, TreeRss, mb  # benchmarks/ is on the path: these run as scripts

GIDAR = [sys.executable, "-m", "gidar.flows.cli"]
LIMIT_MB = 400


def _flow_rss(pid: int, every: float, out: list[tuple[float, int]], stop: threading.Event) -> None:
    t0 = time.perf_counter()
    while not stop.wait(every):
        try:
            out.append((time.perf_counter() - t0, psutil.Process(pid).memory_info().rss))
        except psutil.Error:
            return


def ingest(source: Path, data: Path) -> tuple[float, dict[str, int], list[tuple[float, int]]]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    cmd = [*GIDAR, "ingest", str(source), "--data-dir", str(data), "--json", "--progress", "none"]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tree = TreeRss(p.pid)
    series: list[tuple[float, int]] = []
    stop = threading.Event()
    sampler = threading.Thread(target=_flow_rss, args=(p.pid, 0.25, series, stop), daemon=True)
    sampler.start()
    _, err = p.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - t0
    peaks = tree.stop()
    if p.returncode not in (0, 1):
        sys.exit(f"gidar ingest failed ({p.returncode}):\n{err[-3000:]}")
    return wall, peaks, series


def deciles(series: list[tuple[float, int]]) -> str:
    if not series:
        return "-"
    picks = [series[min(len(series) - 1, round(i * (len(series) - 1) / 10))] for i in range(11)]
    return " ".join(f"{rss / 2**20:.0f}" for _, rss in picks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,400", help="comma-separated report counts")
    ap.add_argument("--corpus", type=Path, help="a folder of report PDFs (default: generate them)")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--keep", type=Path, help="keep the generated reports and data dirs here")
    args = ap.parse_args()
    sizes = sorted(int(n) for n in args.sizes.split(","))
    work = args.keep or Path(tempfile.mkdtemp(prefix="gidar-rss-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus or work / f"reports-{sizes[-1]}-{args.seed}"
    if not args.corpus and not corpus.exists():
        subprocess.run(
            [sys.executable, "-m", "gidar_dev.synth", str(corpus), "--n", str(sizes[-1]), "--seed", str(args.seed)],
            check=True,
            cwd=ROOT,
        )
    files = sorted(corpus.glob("*.pdf"))
    if len(files) < sizes[-1]:
        sys.exit(f"{corpus} has {len(files)} PDFs, fewer than {sizes[-1]}")
    peaks_at: dict[int, dict[str, int]] = {}
    try:
        for n in sizes:
            src = work / f"first-{n}"
            shutil.rmtree(src, ignore_errors=True)
            src.mkdir()
            for f in files[:n]:
                os.symlink(f, src / f.name)
            data = work / f"data-{n}"
            shutil.rmtree(data, ignore_errors=True)
            wall, peaks, series = ingest(src, data)
            peaks_at[n] = peaks
            print(f"N={n}: {wall:.1f} s")
            for role, rss in sorted(peaks.items()):
                print(f"  {role:<36} peak {mb(rss)}")
            print(f"  flow process RSS (MB) at 0, 10, ..., 100 % of the run: {deciles(series)}")
        print("\npeak RSS per process, MB (" + " → ".join(f"N={n}" for n in sizes) + ")")
        # Short-lived helpers (cp of a publish) are not processes of the run's own.
        roles = sorted({r for p in peaks_at.values() for r, v in p.items() if v >= 20 * 2**20})
        worst = 0
        for role in roles:
            vals = [peaks_at[n].get(role, 0) for n in sizes]
            worst = max(worst, *vals)
            growth = (vals[-1] - vals[0]) / max(vals[0], 1) * 100
            print(f"  {role:<36} " + " → ".join(f"{v / 2**20:.0f}" for v in vals) + f"   ({growth:+.0f} %)")
        verdict = "met" if worst <= LIMIT_MB * 2**20 else "NOT met"
        print(f"  worst process: {mb(worst)}  (target ≤ {LIMIT_MB} MB per process, flat in N: {verdict})")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
