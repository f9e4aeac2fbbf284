"""A real `gidar ingest` process, stopped mid-run (embedded Prefect: the command starts its own server).

* SIGKILL after a batch was committed: every committed batch is kept, the server and the reading
  processes die with gidar, and the next run reads only the rest.
* SIGTERM: the run stops soon with a summary of what it committed and exit code 143.
* A second ingest of the same warehouse is refused at once with one line and exit code 3.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from gidar.flows import stages
from gidar.flows.cli import EXIT_BUSY, main
from gidar.flows.control import lock_path

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
GIDAR = [sys.executable, "-m", "gidar.flows.cli"]


def _source(tmp_path: Path) -> Path:
    """The samples and 16 generated reports: enough batches of 2 that the run is still going when the
    first ones are committed."""
    src = tmp_path / "src"
    src.mkdir()
    for pdf in SAMPLES.glob("*.pdf"):
        shutil.copy2(pdf, src)
    subprocess.run(
        [sys.executable, "-m", "gidar_dev.synth", str(src / "gen"), "--n", "16", "--seed", "3"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return src


def _children(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    parent: dict[int, int] = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent[int(p.name)] = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        cur = todo.pop()
        for child, par in parent.items():
            if par == cur and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start(src: Path, data: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GIDAR_"))}
    env["GIDAR_PUBLISH_INTERVAL"] = "0"  # every committed batch reaches readers: the test watches as one
    argv = [*GIDAR, "ingest", str(src), "--data-dir", str(data), "--batch-size", "2", "--processes", "1", "--json"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_commits(proc: subprocess.Popen[str], warehouse: Path, n_reports: int, timeout: float = 300) -> set[int]:
    """Wait until a reader of the published warehouse sees ``n_reports`` committed reports (the lake is no
    sign: reading processes store reports there before the writer commits them)."""
    deadline = time.monotonic() + timeout
    children: set[int] = set()
    while time.monotonic() < deadline:
        children |= _children(proc.pid)
        if warehouse.exists():
            with contextlib.suppress(duckdb.Error):
                if len(_loaded(warehouse)) >= n_reports:
                    return children | _children(proc.pid)
        if proc.poll() is not None:
            pytest.fail(f"gidar ended early ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("no batch was committed in time")


def _loaded(wh: Path) -> dict[str, tuple[int, int]]:
    """report_id -> (cells, dq rows) in the warehouse."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        rows = con.execute(
            """SELECT r.report_id, (SELECT count(*) FROM cells c WHERE c.report_id = r.report_id),
                      (SELECT count(*) FROM dq_results d WHERE d.report_id = r.report_id)
               FROM reports r"""
        ).fetchall()
    finally:
        con.close()
    return {r: (c, d) for r, c, d in rows}


@pytest.mark.slow
def test_sigkill_keeps_committed_batches_and_the_rerun_does_only_the_rest(tmp_path: Path, prefect_api: str) -> None:
    src, data = _source(tmp_path), tmp_path / "data"
    proc = _start(src, data)
    children = _wait_for_commits(proc, data / "gidar.duckdb", 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert children, "the run had a server and reading processes"
    deadline = time.monotonic() + 10
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in children if _alive(c)], "the temporary server and the workers die with gidar"

    # Committed batches are in the writer's live file; readers see them once they are published, which
    # the next writer does as it opens (the run below would do it first thing).
    stages.settle_warehouse(data / "gidar.duckdb")
    kept = _loaded(data / "gidar.duckdb")
    assert len(kept) >= 2, "the first batch was committed before the kill"
    assert all(cells > 0 and dq > 0 for cells, dq in kept.values() if cells), "committed reports are whole"

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["ingest", str(src), "--data-dir", str(data), "--batch-size", "2", "--json"])
    summary = json.loads(out.getvalue())
    status = {o["report_id"]: o["status"] for o in summary["outcomes"]}
    assert code == 0
    assert {r for r, s in status.items() if s == "skipped"} == set(kept), "the rerun skips every committed report"
    assert summary["committed"] == len(status) - len(kept), "and reads only the rest"
    assert set(_loaded(data / "gidar.duckdb")) == set(status)


@pytest.mark.slow
def test_sigterm_stops_soon_with_a_summary_of_what_was_committed(tmp_path: Path) -> None:
    src, data = _source(tmp_path), tmp_path / "data"
    proc = _start(src, data)
    children = _wait_for_commits(proc, data / "gidar.duckdb", 2)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    stopped_in = time.monotonic() - t0
    assert proc.returncode == 128 + signal.SIGTERM, err
    # The issue asks for 5 s; the bound here is looser because the test machine's cores are shared.
    assert stopped_in < 15, f"stopped in {stopped_in:.1f} s"
    summary = json.loads(out)
    assert summary["interrupted"] == "SIGTERM" and not summary["ok"]
    assert summary["committed"] == len(_loaded(data / "gidar.duckdb")) >= 2
    assert any(o["status"] == "cancelled" for o in summary["outcomes"]), "the rest is left for the next run"
    time.sleep(1)
    assert not [c for c in children if _alive(c)], "server and workers stopped"


def test_a_second_ingest_of_the_same_warehouse_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, data = _source(tmp_path), tmp_path / "data"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from gidar.flows.control import ingest_lock\n"
            "with ingest_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
            str(data / "gidar.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert lock_path(data / "gidar.duckdb").exists()
        assert main(["ingest", str(src), "--data-dir", str(data)]) == EXIT_BUSY
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "another gidar ingest" in err and str(holder.pid) in err
    finally:
        holder.kill()
        holder.wait()
