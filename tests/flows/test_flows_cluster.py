"""`gidar ingest --cluster`: a real Dask scheduler and two workers on 127.0.0.1 read the shared corpus.

The rows must equal those of a local run of the same files, and the reading must have happened in the
worker processes (the flow's process only writes: lake, GX, warehouse).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from gidar.flows.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.corpus]

DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
# Columns that differ between two runs of the same files (times, run ids, where the copy came from).
VOLATILE = {"reports": ["seconds", "extracted_at"], "dq_results": ["run_id", "checked_at"]}


def _port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, set[int]]]:
    logs = tmp_path_factory.mktemp("dask")
    port = _port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    procs = [
        subprocess.Popen(
            [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=open(logs / "scheduler.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
    ]
    # --no-nanny: a worker the nanny starts is a daemonic process, which may not start gidar's reading
    # process (and with it the per-file limits); README, "Dask cluster".
    for i in range(2):
        procs.append(
            subprocess.Popen(
                [str(bin_dir / "dask"), "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                stdout=open(logs / f"worker{i}.log", "w"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            )
        )
    try:
        from distributed import Client

        deadline = time.monotonic() + 120
        while True:
            try:
                with Client(address, timeout=10) as client:
                    client.wait_for_workers(2, timeout=max(1, deadline - time.monotonic()))
                    pids = set(client.run(os.getpid).values())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        yield address, pids
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _ingest(argv: list[str]) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    summary = json.loads(out.getvalue())
    assert code in (0, 1), summary
    return summary


def _rows(warehouse: Path, table: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in VOLATILE.get(table, [])]
        select = ", ".join(f'"{c}"' for c in cols)
        return sorted(con.execute(f"SELECT {select} FROM {table}").fetchall(), key=repr)
    finally:
        con.close()


def test_the_cluster_reads_the_corpus_into_the_same_rows(
    corpus_dir: Path, cluster: tuple[str, set[int]], tmp_path: Path, prefect_api: str
) -> None:
    address, worker_pids = cluster
    base = ["ingest", str(corpus_dir), "--batch-size", "10", "--json", "--progress", "none"]
    local = _ingest([*base, "--data-dir", str(tmp_path / "local")])
    remote = _ingest([*base, "--data-dir", str(tmp_path / "cluster"), "--cluster", address])

    assert [o["status"] for o in remote["outcomes"]] == [o["status"] for o in local["outcomes"]]
    for table in ("reports", "cells", "t3", "t4", "dq_results"):
        assert _rows(tmp_path / "cluster" / "gidar.duckdb", table) == _rows(tmp_path / "local" / "gidar.duckdb", table)

    readers = {int(k.rsplit(":", 1)[1]): n for k, n in remote["read_by"].items()}
    assert set(readers) <= worker_pids and os.getpid() not in readers, "read in the Dask workers"
    assert sum(readers.values()) == len(remote["outcomes"])
    assert local["read_by"] == {f"{socket.gethostname()}:{os.getpid()}": len(local["outcomes"])}


def test_cluster_workers_read_with_the_users_backend_and_budget(
    cluster: tuple[str, set[int]], tmp_path: Path, prefect_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings are read where the command runs and travel with the tasks: the workers, started
    without them, read with the user's backend and limits."""
    address, worker_pids = cluster
    samples = Path(__file__).resolve().parents[2] / "samples"
    src = tmp_path / "src"
    src.mkdir()
    pages = {"county-2023.pdf": 3, "mixed-2023.pdf": 5}  # within and over the page limit below
    for name in pages:
        (src / name).write_bytes((samples / name).read_bytes())
    monkeypatch.setenv("GIDAR_BACKEND", "pdfplumber")
    monkeypatch.setenv("GIDAR_MAX_PAGES", "4")
    argv = ["ingest", str(src), "--json", "--progress", "none", "--data-dir", str(tmp_path / "d")]
    summary = _ingest([*argv, "--cluster", address])

    status = {Path(o["source"]).name: (o["status"], o["message"]) for o in summary["outcomes"]}
    assert status["county-2023.pdf"][0] == "ok", status
    assert status["mixed-2023.pdf"][0] == "too_large" and "GIDAR_MAX_PAGES" in status["mixed-2023.pdf"][1]
    readers = {int(k.rsplit(":", 1)[1]) for k in summary["read_by"]}
    assert readers <= worker_pids and os.getpid() not in readers
    con = duckdb.connect(str(tmp_path / "d" / "gidar.duckdb"), read_only=True)
    try:
        read = con.execute("SELECT file_name, backend FROM reports WHERE status = 'ok'").fetchall()
        assert read == [("county-2023.pdf", "pdfplumber")]
    finally:
        con.close()
