"""Hostile inputs: status, seconds and peak RSS of each case, one process per case.

    .venv/bin/python benchmarks/hostile_bench.py                 # every case
    .venv/bin/python benchmarks/hostile_bench.py --cases fifo,slow_drip --ingest-all

File cases (bombs, bad files) run through ``gidar extract FILE``; source cases (special files,
slow or internal URLs) through ``gidar ingest MANIFEST`` with the hostile item and two good
samples, so the table also says whether the good reports were loaded. ``--ingest-all`` runs the
file cases through ingest as well. Peak RSS is ``wait4``'s ``ru_maxrss``: the largest resident
set among the command and every process it waited for (extraction workers included). Each
command runs in its own process group, killed after ``--timeout`` s, with its address space
capped at ``--mem-cap-gb`` (a bomb then fails inside the command, not the machine).
The machine is shared: seconds are noisy, repeat a run before quoting it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "flows"))  # fake_site: the test suite's HTTP server

from fake_site import FakeSite, Route, serve_site  # noqa: E402

from gidar_dev import hostile  # noqa: E402
from gidar_dev.hostile import Measured, measure  # noqa: E402

SAMPLES = ROOT / "samples"
GOOD = ("township-2024.pdf", "county-2023.pdf")
GIDAR = str(Path(sys.executable).with_name("gidar"))
DEADLINE = 10.0  # GIDAR_DOWNLOAD_DEADLINE for the runs; GIDAR_TIMEOUT is 10 as in the report

FILE_CASES: dict[str, Callable[[Path], Path]] = {
    "huge_page_20000pt": hostile.huge_page,
    "big_page_5000pt": lambda p: hostile.huge_page(p, 5000.0),
    "blank_pages_300": hostile.blank_pages,
    "text_operators_300k": hostile.text_operators,
    "owner_password": hostile.owner_password,
    "html_page": hostile.html_page,
    "local_secret": hostile.etc_like,
    "truncated": hostile.truncated,
    "zero_bytes": hostile.zero_bytes,
}


def _source_cases(work: Path, site: FakeSite, internal: FakeSite) -> dict[str, str]:
    """Case -> manifest entry (a path or a URL)."""
    good = (SAMPLES / GOOD[1]).read_bytes()
    site.routes["/drip.pdf"] = Route(good, drip=3.0)  # the server: one byte every 3 s
    site.routes["/drip-head.pdf"] = Route(good, drip=3.0, drip_headers=True)
    site.routes["/moved.pdf"] = Route(redirect=internal.url("/secret"))
    internal.routes["/secret"] = Route(hostile.ETC_SHADOW)
    (work / "folder.pdf").mkdir()
    return {
        "baseline_good_only": "",  # the two good samples alone: what every ingest row costs anyway
        "fifo": str(hostile.fifo(work / "pipe.pdf")),
        "dev_zero": "/dev/zero",
        "directory": str(work / "folder.pdf"),
        "hostile_name": str(hostile.hostile_name(work)),
        "slow_drip_body": site.url("/drip.pdf"),
        "slow_drip_headers": site.url("/drip-head.pdf"),
        "redirect_to_loopback": site.url("/moved.pdf"),
        "loopback_url": internal.url("/secret"),
        "metadata_url": "http://169.254.169.254/latest/meta-data/",
    }


def _env(work: Path, site: FakeSite | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIDAR_", "PREFECT_"))}
    env |= {"GIDAR_TIMEOUT": "10", "GIDAR_DOWNLOAD_DEADLINE": str(DEADLINE), "GIDAR_RETRY_DELAY": "0.5"}
    if site is not None:
        env["GIDAR_ALLOW_URL_HOSTS"] = site.base.removeprefix("http://")  # the "public" site only
    return env


def run_extract(name: str, path: Path, work: Path, args: argparse.Namespace) -> dict[str, object]:
    out = work / f"out-{name}"
    m = measure([GIDAR, "extract", str(path), "--out", str(out), "--workers", "1"], **_limits(args))
    status, message = "?", m.stderr.strip().splitlines()[-1:] or [""]
    files = list(out.glob("*.json")) if out.exists() else []
    if files:
        data = json.loads(files[0].read_text(encoding="utf-8"))
        status, message = data["status"], [data["message"]]
    return _row(name, "extract", status, m, message[0], "")


def run_ingest(name: str, ref: str, work: Path, site: FakeSite | None, args: argparse.Namespace) -> dict[str, object]:
    folder = work / f"ingest-{name}"
    folder.mkdir()
    goods = []
    for g in GOOD:
        shutil.copy(SAMPLES / g, folder / g)
        goods.append(str(folder / g))
    manifest = folder / "manifest.txt"
    manifest.write_text("\n".join([r for r in (ref, *goods) if r]) + "\n", encoding="utf-8")
    argv = [GIDAR, "ingest", str(manifest), "--data-dir", str(folder / "data"), "--json"]
    m = measure(argv, env=_env(folder, site), **_limits(args))
    text = m.stdout
    status, message, good = "?", (m.stderr.strip().splitlines() or [""])[-1], "?"
    if text.lstrip().startswith("{"):  # --json prints the summary and nothing else
        outcomes = {o["source"]: o for o in json.loads(text)["outcomes"]}
        o = outcomes.get(ref) or outcomes.get(str(Path(ref).resolve()), {}) if ref else {"status": "-"}
        status, message = o.get("status", "?"), o.get("message") or ""
        ok = sum(outcomes[g]["status"] not in {"download_failed", "error", "load_failed"} for g in goods)
        good = f"{ok}/{len(goods)}"
    return _row(name, "ingest", status, m, message, good)


def _limits(args: argparse.Namespace) -> dict[str, object]:
    return {"timeout": args.timeout, "mem_cap_bytes": int(args.mem_cap_gb * 2**30)}


def _row(name: str, via: str, status: str, m: Measured, message: str, good: str) -> dict[str, object]:
    if m.timed_out:
        status = f"killed after {m.seconds:.0f} s"
    elif status == "?" and m.returncode:
        status = f"exit {m.returncode}"
    return {
        "case": name,
        "via": via,
        "status": status,
        "seconds": round(m.seconds, 1),
        "peak_rss_mb": round(m.peak_rss_mb),
        "good_loaded": good,
        "message": " ".join(message.split())[:90],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", help="comma-separated case names (default: all)")
    p.add_argument("--ingest-all", action="store_true", help="also run the file cases through gidar ingest")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds before a case is killed")
    p.add_argument("--mem-cap-gb", type=float, default=8.0, help="address-space cap per process")
    p.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = p.parse_args()
    wanted = set(args.cases.split(",")) if args.cases else None
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="gidar-hostile-") as tmp, serve_site() as site, serve_site() as internal:
        work = Path(tmp)
        sources = _source_cases(work, site, internal)
        for name, make in FILE_CASES.items():
            if wanted and name not in wanted:
                continue
            path = make(work / f"{name}.pdf")
            rows.append(run_extract(name, path, work, args))
            _print(rows[-1])
            if args.ingest_all:
                rows.append(run_ingest(name, str(path), work, site, args))
                _print(rows[-1])
        for name, ref in sources.items():
            if wanted and name not in wanted:
                continue
            rows.append(run_ingest(name, ref, work, site, args))
            _print(rows[-1])
        if sum(internal.hits.values()):
            print(f"!! the internal service was reached {sum(internal.hits.values())} times")
    print()
    print(_table(rows))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


def _print(row: dict[str, object]) -> None:
    print(
        f"  {row['case']:<22} {row['via']:<7} {row['status']:<16} {row['seconds']:>7} s {row['peak_rss_mb']:>6} MB",
        flush=True,
    )


def _table(rows: list[dict[str, object]]) -> str:
    cols = ["case", "via", "status", "seconds", "peak_rss_mb", "good_loaded", "message"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]).replace("|", "/") for c in cols) + " |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
