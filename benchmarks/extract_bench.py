"""Text-layer extraction speed, memory and exactness: `gidar extract` against the naive loop.

    python benchmarks/extract_bench.py [--n 60] [--seed 11] [--workers N] [--repeat R] [FOLDER ...]

The files are the text-layer reports (truth JSON beside the PDF, ``has_text_layer`` true) of
the FOLDERs, by default the shared corpus, the real PDFs and samples/, plus ``--n`` reports
generated with `gidar_dev.synth` (``--n 0``: none). On the same files, one run each of:

* the naive loop: one process opens each PDF with pdfplumber and calls ``extract_text()`` and
  ``extract_tables()`` on every page (the standing baseline);
* ``gidar extract --workers 1`` and ``--workers N`` (all cores), with each backend.

Every run is a fresh process tree, timed whole (interpreter start and imports included, as a
user sees it): wall seconds and CPU seconds (user + system, all processes), per report and per
page, and the peak RSS of the largest single process. gidar's modules are byte-compiled first,
as an installed package's are (an editable install under PYTHONDONTWRITEBYTECODE would compile
them again in every process). gidar's output is scored against the truth:
exact cells and expected/false violations. The machine may be shared: ``--repeat R`` runs each
command R times, in turns, and keeps each one's fastest run (wall; its CPU and RSS with it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baseline import naive_loop  # benchmarks/ is on the path: these run as scripts

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GIDAR_SHARED", ROOT.parent / "shared"))
GIDAR = [sys.executable, "-m", "gidar.flows.cli"]


@dataclass
class Run:
    name: str
    wall: float
    cpu: float
    rss_mb: float
    exact: str = ""
    violations: str = ""


def compile_gidar() -> None:
    """Byte-compile gidar's own modules (site-packages, hence the naive loop's, are compiled at
    install): without it each gidar process compiles ~30 modules from source, ~0.1 s."""
    import compileall

    for folder in ("gidar", "extract", "flows"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB, largest process) of ``cmd`` and its children,
    from a fresh intermediate process so that earlier runs do not count."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        f"subprocess.run({cmd!r}, check=True, stdout=subprocess.DEVNULL)\n"
        "wall = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps([wall, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    wall, cpu, rss = json.loads(out.strip().splitlines()[-1])
    return wall, cpu, rss


def text_reports(folders: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for folder in folders:
        for tp in sorted(folder.glob("*.json")):
            try:
                truth = json.loads(tp.read_text(encoding="utf-8"))
            except ValueError:
                continue
            if not isinstance(truth, dict) or truth.get("document_kind") != "disclosure_report":
                continue
            if not (truth.get("render") or {}).get("has_text_layer", True):
                continue
            pdf = tp.parent / (truth.get("file") or tp.with_suffix(".pdf").name)
            if pdf.exists():
                out.append((pdf, truth))
    return out


def score(out_dir: Path, cases: list[tuple[Path, dict[str, Any]]]) -> tuple[str, str]:
    from gidar.flows.cli import output_names

    names = output_names([pdf for pdf, _ in cases])
    cells = exact = expected = found = false = 0
    for pdf, truth in cases:
        got = json.loads((out_dir / names[str(pdf)]).read_text(encoding="utf-8"))
        values = got.get("values") or {}
        want = truth["values"]
        cells += len(want)
        exact += sum(k in values and abs(float(values[k]) - float(v)) <= 1e-6 for k, v in want.items())
        exp = {(v["invariant"], v["row"], v["col"]) for v in truth.get("expected_violations") or []}
        have = {(v["invariant"], v["row"], v["col"]) for v in got.get("violations") or []}
        expected += len(exp)
        found += len(exp & have)
        false += len(have - exp)
    return f"{exact}/{cells} ({100 * exact / max(cells, 1):.2f}%)", f"{found}/{expected} found, {false} false"


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--naive-loop":
        naive_loop(Path(sys.argv[2]).read_text(encoding="utf-8").splitlines())
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="*", type=Path, help="folders of PDFs with truth JSON beside them")
    ap.add_argument("--n", type=int, default=60, help="reports to generate as well (default 60)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for the all-cores runs")
    ap.add_argument(
        "--backend", action="append", choices=("pdfium", "pdfplumber"), help="only this backend (repeatable)"
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command, in turns; the fastest is kept")
    args = ap.parse_args()
    folders = args.folders or [p for p in (SHARED / "corpus", SHARED / "real", ROOT / "samples") if p.is_dir()]
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        if args.n:
            from gidar_dev.synth.corpus import write_corpus

            write_corpus(t / "generated", args.n, args.seed)
            folders = [*folders, t / "generated"]
        cases = text_reports(folders)
        files = [str(pdf) for pdf, _ in cases]
        pages = sum(int(truth.get("n_pages") or (truth.get("render") or {}).get("n_pages") or 0) for _, truth in cases)
        if not pages:
            import pypdfium2

            pages = sum(len(pypdfium2.PdfDocument(f)) for f in files)
        listing = t / "files.txt"
        listing.write_text("\n".join(files), encoding="utf-8")
        print(f"files: {len(files)} text-layer reports, {pages} pages, from {', '.join(str(f) for f in folders)}")
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; all-cores runs: {args.workers}")
        compile_gidar()
        commands: list[tuple[str, list[str], Path | None]] = [
            ("naive pdfplumber loop", [sys.executable, __file__, "--naive-loop", str(listing)], None)
        ]
        for workers in (1, args.workers):
            for backend in args.backend or ("pdfium", "pdfplumber"):
                out = t / f"out-{backend}-{workers}"
                cmd = [*GIDAR, "extract", *files, "--out", str(out), "--workers", str(workers), "--backend", backend]
                commands.append((f"gidar extract {backend} --workers {workers}", cmd, out))
        best: dict[str, tuple[float, float, float]] = {}
        for _ in range(max(args.repeat, 1)):  # in turns: a busy spell of the machine hits every command alike
            for name, cmd, _out in commands:
                m = measure(cmd)
                if name not in best or m[0] < best[name][0]:
                    best[name] = m
        runs = [
            Run(name, *best[name], *(score(out, cases) if out is not None else ("", ""))) for name, _, out in commands
        ]
    n = len(files)
    print(
        f"{'run':<38}{'wall s':>8}{'CPU s':>8}{'s/report':>10}{'s/page':>9}{'peak RSS MB':>13}  {'exact cells':<22}"
        "violations"
    )
    for r in runs:
        print(
            f"{r.name:<38}{r.wall:>8.1f}{r.cpu:>8.1f}{r.wall / n:>10.3f}{r.wall / pages:>9.4f}{r.rss_mb:>13.0f}"
            f"  {r.exact:<22}{r.violations}"
        )
    base = runs[0]
    for r in runs[1:]:
        print(f"speed-up over the naive loop, {r.name}: {base.wall / r.wall:.2f}× wall, {base.cpu / r.cpu:.2f}× CPU")
    print(f"timestamp {time.strftime('%Y-%m-%d %H:%M:%S')}; each run the fastest of {max(args.repeat, 1)}")


if __name__ == "__main__":
    main()
