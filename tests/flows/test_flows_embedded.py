"""The embedded mode's temporary Prefect server runs lean (services a one-command server does not need are
off; a database seeded from the migrated template skips migrations and block registration): the run's
records must all be there anyway — the flow run, its task runs and its logs — whether the database was
migrated by this run or copied from the template."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from gidar.flows.trace import ENV, mark

ROOT = Path(__file__).resolve().parents[2]
GIDAR = [sys.executable, "-m", "gidar.flows.cli"]
TASKS = {"read batch 1", "commit batch 1"}  # and finish-run-*, build-dashboard-*


def _ingest(data: Path, cache: Path, trace: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GIDAR_"))}
    env.update(XDG_CACHE_HOME=str(cache), **{ENV: str(trace)})
    pdf = ROOT / "samples" / "county-2023.pdf"
    p = subprocess.run(
        [*GIDAR, "ingest", str(pdf), "--data-dir", str(data), "--json", "--progress", "none"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def _records(db: Path, run_id: str) -> tuple[str, dict[str, str], int]:
    con = sqlite3.connect(db)
    try:
        (state,) = con.execute("SELECT state_type FROM flow_run WHERE id = ?", (run_id,)).fetchone()
        tasks = dict(con.execute("SELECT name, state_type FROM task_run WHERE flow_run_id = ?", (run_id,)).fetchall())
        (logs,) = con.execute("SELECT count(*) FROM log WHERE flow_run_id = ?", (run_id,)).fetchone()
    finally:
        con.close()
    return state, tasks, logs


@pytest.mark.slow
def test_embedded_runs_keep_their_records_migrated_or_seeded(tmp_path: Path) -> None:
    cache = tmp_path / "cache"  # no template yet: the first run migrates and keeps one, the second is seeded
    for name in ("first", "seeded"):
        summary = _ingest(tmp_path / name, cache, tmp_path / f"{name}.trace")
        assert {o["status"] for o in summary["outcomes"]} == {"ok"}
        state, tasks, logs = _records(tmp_path / name / "prefect" / "prefect.db", summary["run_id"])
        assert state == "COMPLETED"
        assert set(tasks) >= TASKS and set(tasks.values()) == {"COMPLETED"}, tasks
        assert any(t.startswith("finish-run") for t in tasks) and any(t.startswith("build-dashboard") for t in tasks)
        assert logs > 0, "the run's logs reach the temporary server"
        assert list(cache.glob("gidar/prefect-*.db")), "the migrated database is kept as the template"
    # the trace has the command's and its reading and checking processes' marks on one timeline
    lines = (tmp_path / "seeded.trace").read_text().splitlines()
    events = [line.split(" ", 2)[2] for line in lines]
    assert any(e.startswith("server ready") for e in events)
    assert any(e.startswith("read_store end") for e in events) and any(e.startswith("check_stored end") for e in events)
    assert len({line.split()[1] for line in lines}) >= 3


def test_trace_marks_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trace = tmp_path / "t"
    monkeypatch.delenv(ENV, raising=False)
    mark("nothing")
    assert not trace.exists()
    monkeypatch.setenv(ENV, str(trace))
    mark("phase one")
    mark("phase two")
    rows = [line.split(" ", 2) for line in trace.read_text().splitlines()]
    assert [r[1] for r in rows] == [str(os.getpid())] * 2
    assert [r[2].split(" (")[0] for r in rows] == ["phase one", "phase two"]
    assert float(rows[0][0]) <= float(rows[1][0])
