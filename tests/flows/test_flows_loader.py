"""One batch, as plain functions: stored in the lake and checked by GX where it was read, then committed
by the single writer in one transaction that DuckDB fills from the batch's Parquet files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from gidar.extract.api import extract_file
from gidar.flows import stages
from gidar.flows.ingest import BatchRead, commit_items
from gidar.flows.summary import DUPLICATE, LOAD_FAILED, Outcome
from gidar.schema import REPORT_TABLES
from gidar.warehouse.store import open_writer
from gidar_dev.sample import sample_result

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
VOLATILE = {"reports": {"extracted_at"}}  # stamped when the tables are built


def _stored(result, lake: Path, tables: dict[str, pa.Table] | None = None) -> tuple[Outcome, stages.Stored | None]:
    o = Outcome(result.source, Path(result.source).name, result.status, report_id=result.sha256)
    return stages._store(o, tables or stages.report_tables(result), lake)


def _checked(reads, lake: Path, run_id: str) -> pa.Table:
    ids = [st.report_id for _, st in reads if st is not None]
    return stages.check_stored(str(lake), ids)


def _rows(wh: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in VOLATILE.get(table, ())]
        select = ", ".join(f'"{c}"' for c in cols)
        return sorted(con.execute(f"SELECT {select} FROM {table}").fetchall(), key=repr)
    finally:
        con.close()


def test_a_batch_is_stored_checked_and_committed_and_a_bad_report_costs_only_itself(tmp_path: Path) -> None:
    lake, wh = tmp_path / "lake", tmp_path / "w.duckdb"
    good = [sample_result(2022, seed=1), sample_result(2023, seed=2)]
    reads = [_stored(r, lake) for r in good]
    # a `reports` table of the wrong shape: it cannot be stored, and ends load_failed where it was read
    bad = sample_result(2021, seed=3)
    bad_tables = stages.report_tables(bad)
    bad_tables = {**bad_tables, "reports": bad_tables["reports"].drop_columns(["status"])}
    bad_read = _stored(bad, lake, bad_tables)
    assert bad_read[1] is None and bad_read[0].status == LOAD_FAILED and "not stored" in str(bad_read[0].message)
    reads.insert(1, bad_read)
    reads.append((Outcome("/x/none.pdf", "none.pdf", "not_pdf", "an HTML page", "e" * 64), None))

    seen: set[str] = set()
    with stages.open_writer(wh) as writer:
        done = commit_items(BatchRead(1, reads, _checked(reads, lake, "run-1")), writer, str(lake), "run-1", seen)

    status = {o.name: o.status for o in done.outcomes}
    assert status[Path(bad.source).name] == LOAD_FAILED
    assert done.loaded == 2 and done.dq_checked > 0
    assert {r[0] for r in _rows(wh, "reports")} >= {r.sha256 for r in good}
    assert set(stages.read_report(lake, good[0].sha256)) >= {"reports", "cells"}  # the lake holds what GX checked
    con = duckdb.connect(str(wh), read_only=True)
    dq_reports = {r[0] for r in con.execute("SELECT DISTINCT report_id FROM dq_results").fetchall()}
    runs = {r[0] for r in con.execute("SELECT DISTINCT run_id FROM dq_results").fetchall()}
    con.close()
    assert dq_reports == {r.sha256 for r in good} and runs == {"run-1"}


def test_loading_from_the_lake_files_gives_the_rows_of_loading_the_tables(tmp_path: Path) -> None:
    results = [sample_result(2020, seed=7), sample_result(2022, seed=8), sample_result(2024, seed=9)]
    results[1].metadata.report_year = None  # the lake's null partition
    # a report that bends the template: table 二 in the 2019 layout of a 2023 report, extra cells
    mixed = extract_file(SAMPLES / "mixed-2023.pdf")
    assert mixed.extra_cells and mixed.table_templates.get("t2") == "v2019"
    results.append(mixed)
    lake = tmp_path / "lake"
    reads = [_stored(r, lake) for r in results]
    with open_writer(tmp_path / "files.duckdb") as w:
        assert w.load_stored([(st.report_id, st.year, st.paths(lake)) for _, st in reads if st]) == {}
    with open_writer(tmp_path / "tables.duckdb") as w:
        assert w.load_batch([(stages.report_tables(r), None) for r in results]) == {}
    for table in REPORT_TABLES:
        assert _rows(tmp_path / "files.duckdb", table) == _rows(tmp_path / "tables.duckdb", table), table
    extra = _rows(tmp_path / "files.duckdb", "extra_cells")
    assert len(extra) == len(mixed.extra_cells) and {r[0] for r in extra} == {mixed.sha256}
    for table in ("report_bodies", "fact_applications"):
        assert _rows(tmp_path / "files.duckdb", table) == _rows(tmp_path / "tables.duckdb", table), table


def test_shipped_files_are_placed_in_the_lake_and_loaded(tmp_path: Path) -> None:
    stage, lake = tmp_path / "stage", tmp_path / "lake"
    r = sample_result(2023, seed=11)
    o, st = _stored(r, stage)
    assert st is not None
    dq = _checked([(o, st)], stage, "run-s")
    shipped = stages.ship(stage, st)
    with stages.open_writer(tmp_path / "w.duckdb") as writer:
        done = commit_items(BatchRead(1, [(o, shipped)], dq), writer, str(lake), "run-s", set())
    assert done.loaded == 1 and done.dq_checked == dq.num_rows > 0
    assert sorted(p.relative_to(lake) for p in lake.rglob("*.parquet")) == sorted(Path(f) for f in st.files)


def test_the_same_content_twice_in_a_run_is_loaded_once(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    r = sample_result(2022, seed=5)
    read = _stored(r, lake)
    dq = _checked([read], lake, "run")
    seen: set[str] = set()
    with stages.open_writer(tmp_path / "w.duckdb") as writer:
        first = commit_items(BatchRead(1, [read], dq), writer, str(lake), "run", seen)
        second = commit_items(BatchRead(2, [read], dq), writer, str(lake), "run", seen)
    assert first.loaded == 1 and [x.status for x in second.outcomes] == [DUPLICATE]


def test_a_batch_whose_checks_failed_is_not_loaded(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    read = _stored(sample_result(2022, seed=6), lake)
    with stages.open_writer(tmp_path / "w.duckdb") as writer:
        done = commit_items(BatchRead(1, [read], None, "validation failed: boom"), writer, str(lake), "r", set())
    assert [o.status for o in done.outcomes] == ["error"] and done.loaded == 0
    assert done.step_errors and "boom" in done.step_errors[0]


def test_checking_in_chunks_gives_the_rows_of_one_check(tmp_path: Path, monkeypatch) -> None:
    lake = tmp_path / "lake"
    reads = [_stored(sample_result(2019 + i, seed=20 + i), lake) for i in range(3)]
    ids = [st.report_id for _, st in reads if st is not None]

    def rows(dq: pa.Table) -> list[tuple]:
        return sorted(map(repr, dq.drop_columns(["checked_at"]).to_pylist()))

    whole = stages.check_stored(str(lake), ids)
    monkeypatch.setattr(stages, "CHECK_CHUNK", 2)
    assert rows(stages.check_stored(str(lake), ids)) == rows(whole) and whole.num_rows > 0
