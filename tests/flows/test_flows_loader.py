"""One batch's commit (lake → GX on the stored tables → one warehouse transaction), as plain functions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from gidar.flows import stages
from gidar.flows.ingest import BatchRead, commit_items
from gidar.flows.summary import DUPLICATE, LOAD_FAILED, Outcome
from gidar_dev.sample import sample_result


def _read(result) -> tuple[Outcome, dict[str, pa.Table]]:
    o = Outcome(result.source, Path(result.source).name, result.status, report_id=result.sha256)
    return o, stages.report_tables(result)


def _loaded(wh: Path) -> set[str]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT report_id FROM reports").fetchall()}
    finally:
        con.close()


def test_a_batch_is_stored_checked_and_committed_and_a_bad_report_costs_only_itself(tmp_path: Path) -> None:
    lake, wh = tmp_path / "lake", tmp_path / "w.duckdb"
    good = [sample_result(2022, seed=1), sample_result(2023, seed=2)]
    reads = [_read(r) for r in good]
    bad_outcome, bad_tables = _read(sample_result(2021, seed=3))
    # a `reports` table of the wrong shape: it cannot be stored
    bad_tables = {**bad_tables, "reports": bad_tables["reports"].drop_columns(["status"])}
    reads.insert(1, (bad_outcome, bad_tables))
    reads.append((Outcome("/x/none.pdf", "none.pdf", "not_pdf", "an HTML page", "e" * 64), None))

    seen: set[str] = set()
    with stages.open_writer(wh) as writer:
        done = commit_items(BatchRead(1, reads), writer, str(lake), "run-1", seen)

    status = {o.name: o.status for o in done.outcomes}
    assert status[Path(bad_outcome.source).name] == LOAD_FAILED
    assert done.loaded == 2 and done.dq_checked > 0
    assert _loaded(wh) == {r.sha256 for r in good}
    assert set(stages.read_report(lake, good[0].sha256)) >= {"reports", "cells"}  # the lake holds what GX checked
    con = duckdb.connect(str(wh), read_only=True)
    dq_reports = {r[0] for r in con.execute("SELECT DISTINCT report_id FROM dq_results").fetchall()}
    con.close()
    assert dq_reports == {r.sha256 for r in good}


def test_the_same_content_twice_in_a_run_is_loaded_once(tmp_path: Path) -> None:
    r = sample_result(2022, seed=5)
    o, t = _read(r)
    seen: set[str] = set()
    with stages.open_writer(tmp_path / "w.duckdb") as writer:
        first = commit_items(BatchRead(1, [(o, t)]), writer, str(tmp_path / "lake"), "run", seen)
        second = commit_items(BatchRead(2, [(o, t)]), writer, str(tmp_path / "lake"), "run", seen)
    assert first.loaded == 1 and [x.status for x in second.outcomes] == [DUPLICATE]
