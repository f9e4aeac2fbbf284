"""The single loader task, run as a plain function (`task.fn`): one bad report must not stop the others."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from prefect.logging import disable_run_logger

from gidar.flows import stages
from gidar.flows.ingest import load_warehouse
from gidar.flows.summary import Outcome
from gidar_dev.sample import sample_result


def test_bad_report_is_reported_and_the_rest_loads(tmp_path: Path) -> None:
    lake, wh = tmp_path / "lake", tmp_path / "w.duckdb"
    good = [sample_result(2022, seed=1), sample_result(2023, seed=2)]
    for r in good:
        stages.write_lake(lake, stages.report_tables(r))
    outcomes = [Outcome(r.source, Path(r.source).name, "ok", report_id=r.sha256) for r in good]
    outcomes.insert(1, Outcome("/x/lost.pdf", "lost.pdf", "ok", report_id="f" * 64))  # nothing in the lake
    run = {"run_id": "run-1", "started_at": None, "source": "test", "counts": '{"ok": 3}'}

    with disable_run_logger():
        errors, _, step_errors = load_warehouse.fn(outcomes, str(lake), [], str(wh), run)

    assert set(errors) == {"f" * 64} and not step_errors
    con = duckdb.connect(str(wh), read_only=True)
    loaded = {r[0] for r in con.execute("SELECT report_id FROM reports").fetchall()}
    runs = con.execute("SELECT run_id, finished_at IS NOT NULL, counts FROM runs").fetchall()
    con.close()
    assert loaded == {r.sha256 for r in good}
    assert [(r, f, json.loads(c)) for r, f, c in runs] == [("run-1", True, {"ok": 2, "load_failed": 1})]
