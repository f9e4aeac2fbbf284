"""warehouse: migrations, transactional idempotent loads, crash consistency."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pytest

import gidar.warehouse.load as load_mod
from gidar.dq import CellRef, DQRecord
from gidar.schema import ALL_TABLES, REPORT_TABLES, describe
from gidar.transform.build import build_tables
from gidar.warehouse import (
    connect,
    load_dq_batch,
    load_report,
    record_run,
    replace_cross_report_dq,
)
from gidar.warehouse.migrations import MIGRATIONS, migrate, schema_drift
from gidar.warehouse.views import view_descriptions
from gidar_dev.loading import table_counts
from gidar_dev.sample import sample_result


@pytest.fixture
def db(tmp_path):
    return tmp_path / "wh" / "gidar.duckdb"


@pytest.fixture
def con(new_warehouse):
    c = connect(new_warehouse())
    yield c
    c.close()


def _dq(rule: str, passed: bool, report_id: str | None = None, cells: tuple[str, ...] = (), **kw) -> DQRecord:
    refs = tuple(CellRef(report_id, k) for k in cells)
    return DQRecord(rule=rule, severity="critical", passed=passed, report_id=report_id, cells=refs, **kw)


# --- schema --------------------------------------------------------------------------------


def test_migrations_are_recorded_once_and_schema_matches(db):
    con = connect(db)
    assert [n for (n,) in con.execute("SELECT name FROM _migrations ORDER BY name").fetchall()] == sorted(
        m.name for m in MIGRATIONS
    )
    assert migrate(con) == [] and schema_drift(con) == []
    con.close()
    con = connect(db)  # reopening applies nothing new
    assert con.execute("SELECT count(*) FROM _migrations").fetchall() == [(len(MIGRATIONS),)]
    # a changed view definition (checksum) re-applies the repeatable migration only
    con.execute("UPDATE _migrations SET checksum = 'old' WHERE name = 'R_views'")
    assert migrate(con) == ["R_views"]
    con.close()


def test_comments_come_from_the_schema_descriptions(con):
    for name, schema in ALL_TABLES.items():
        (table_comment,) = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall()
        assert table_comment[0] == schema.metadata[b"description"].decode()
        got = dict(
            con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ?", [name]).fetchall()
        )
        assert got == {f.name: describe(f) for f in schema}
    views = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    assert views == view_descriptions()


def test_drift_is_detected(con):
    con.execute("ALTER TABLE cells DROP COLUMN conf")
    assert schema_drift(con) == ["cells.conf: missing column"]


# --- loads ---------------------------------------------------------------------------------


def test_load_twice_gives_the_same_counts(con):
    reports = [sample_result(2020, seed=1), sample_result(2024, seed=2)]
    for r in reports:
        load_report(con, build_tables(r))
    once = table_counts(con)
    for r in reports:
        load_report(con, build_tables(r))
    assert table_counts(con) == once
    assert once["reports"] == 2
    assert once["cells"] == sum(len(r.cells) for r in reports)
    assert once["t2_v2019"] > 0 and once["t2_v2021"] > 0


def test_reload_replaces_values_and_year(con):
    r = sample_result(2020, seed=3)
    load_report(con, build_tables(r))
    r2 = sample_result(2021, seed=9, sha256=r.sha256)  # same file re-read: new year, new template
    load_report(con, build_tables(r2))
    assert con.execute("SELECT report_year, template FROM reports").fetchall() == [(2021, "v2021")]
    assert con.execute("SELECT count(*) FROM t2_v2019").fetchall() == [(0,)]
    got = dict(con.execute("SELECT key, value FROM cells").fetchall())
    assert got == {k: float(v) for k, v in r2.values.items()}
    assert con.execute("SELECT DISTINCT report_year FROM t3").fetchall() == [(2021,)]


def test_failed_insert_rolls_back_and_keeps_previous_data(con):
    r = sample_result(2024, seed=4)
    load_report(con, build_tables(r))
    before = table_counts(con)
    values_before = con.execute("SELECT key, value FROM cells ORDER BY key").fetchall()

    # A database error inside the transaction (after the first DELETEs ran): t4 is missing.
    con.execute("ALTER TABLE t4 RENAME TO t4_away")
    with pytest.raises(duckdb.CatalogException):
        load_report(con, build_tables(sample_result(2024, seed=5, sha256=r.sha256)))
    con.execute("ALTER TABLE t4_away RENAME TO t4")
    assert table_counts(con) == before
    assert con.execute("SELECT key, value FROM cells ORDER BY key").fetchall() == values_before

    # Null keys never get that far: the schema check rejects them before the transaction.
    tables = build_tables(sample_result(2024, seed=5, sha256=r.sha256))
    cells = tables["cells"]
    bad = cells.set_column(cells.schema.get_field_index("key"), "key", pa.nulls(cells.num_rows, pa.string()))
    with pytest.raises(ValueError, match="non-nullable"):
        load_report(con, {**tables, "cells": bad})
    assert con.execute("SELECT key, value FROM cells ORDER BY key").fetchall() == values_before


def test_crash_between_inserts_leaves_nothing_partial(con, monkeypatch):
    old = sample_result(2024, seed=6)
    load_report(con, build_tables(old))
    new = sample_result(2020, seed=7)  # a new report: after a crash none of its rows may exist
    real_insert, calls = load_mod.insert_arrow, []

    def crashing_insert(c, name, table):
        calls.append(name)
        real_insert(c, name, table)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed mid-load")

    monkeypatch.setattr(load_mod, "insert_arrow", crashing_insert)
    with pytest.raises(KeyboardInterrupt):
        load_report(con, build_tables(new))
    assert len(calls) == 3
    monkeypatch.undo()
    for name in REPORT_TABLES:
        n = con.execute(f'SELECT count(*) FROM "{name}" WHERE report_id = ?', [new.sha256]).fetchall()
        assert n == [(0,)], name
    assert con.execute("SELECT report_id FROM reports").fetchall() == [(old.sha256,)]
    # the connection is usable again and the load succeeds on retry
    load_report(con, build_tables(new))
    assert table_counts(con)["reports"] == 2


def test_invalid_input_never_reaches_the_database(con):
    a, b = build_tables(sample_result(2024, seed=8)), build_tables(sample_result(2024, seed=9))
    with pytest.raises(ValueError, match="other reports"):
        load_report(con, {**a, "cells": b["cells"]})
    with pytest.raises(ValueError, match="missing columns"):
        load_report(con, {**a, "t3": a["t3"].drop_columns(["total"])})
    assert table_counts(con)["reports"] == 0


# --- data quality and runs ----------------------------------------------------------------


def test_dq_rows_are_replaced_per_report_and_cross_rows_separately(con):
    a, b = sample_result(2024, seed=11), sample_result(2024, seed=12)
    for r in (a, b):
        load_report(con, build_tables(r))
    load_dq_batch(con, [_dq("t3_row_total", True, a.sha256), _dq("t4_block_total", False, a.sha256)])
    load_dq_batch(con, [_dq("t3_row_total", True, b.sha256)])
    cross = DQRecord("carry_over", "warning", False, cells=(CellRef(a.sha256, "t3.carried_over.total"),))
    replace_cross_report_dq(con, [cross])
    assert load_dq_batch(con, [_dq("t3_row_total", False, a.sha256, observed="3", lhs=3, rhs=4)]) == 1
    rows = con.execute("SELECT report_id, rule, passed, observed FROM dq_results ORDER BY rule, report_id").fetchall()
    assert sorted(rows, key=str) == sorted(
        [
            (None, "carry_over", False, None),
            (a.sha256, "t3_row_total", False, "3"),
            (b.sha256, "t3_row_total", True, None),
        ],
        key=str,
    )
    replace_cross_report_dq(con, [_dq("copy_paste", True)], rules=["copy_paste"])
    assert con.execute("SELECT count(*) FROM dq_results WHERE report_id IS NULL").fetchall() == [(2,)]
    replace_cross_report_dq(con, [])
    assert con.execute("SELECT count(*) FROM dq_results WHERE report_id IS NULL").fetchall() == [(0,)]


def test_dq_records_are_validated(con):
    with pytest.raises(ValueError, match="severity"):
        DQRecord("x", "fatal", True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="loaded as"):
        load_report(con, build_tables(sample_result(2024, seed=14)), [_dq("x", True, report_id="r2")])
    with pytest.raises(ValueError, match="cross-report"):
        replace_cross_report_dq(con, [_dq("x", True, report_id="r2")])
    assert table_counts(con)["dq_results"] == 0


def test_record_run_upserts(con):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    record_run(con, "run-1", started_at=t0, source="corpus")
    record_run(con, {"run_id": "run-1", "started_at": t0, "finished_at": t0, "counts": {"ok": 3}})
    assert con.execute("SELECT run_id, finished_at IS NOT NULL, counts FROM runs").fetchall() == [
        ("run-1", True, '{"ok": 3}')
    ]


def test_batch_load_and_rebuild_from_lake_match_single_loads(con, tmp_path, new_warehouse):
    from gidar.transform.lake import write_report
    from gidar.warehouse import load_reports, rebuild_from_lake

    results = [sample_result(2019 + i, f"33092{i}", seed=20 + i) for i in range(4)]
    for r in results:
        load_report(con, build_tables(r))
        write_report(tmp_path / "lake", build_tables(r))
    single = table_counts(con)
    other = connect(new_warehouse("batch.duckdb"))
    assert load_reports(other, [build_tables(r) for r in results]) == [r.sha256 for r in results]
    assert load_reports(other, [build_tables(r) for r in results[:2]]) == [r.sha256 for r in results[:2]]
    assert table_counts(other) == single
    with pytest.raises(ValueError, match="twice"):
        load_reports(other, [build_tables(results[0]), build_tables(results[0])])
    lake_db = connect(new_warehouse("lake.duckdb"))
    assert rebuild_from_lake(lake_db, tmp_path / "lake", batch=3) == 4
    assert table_counts(lake_db) == single
    q = "SELECT report_id, key, value, page FROM cells ORDER BY ALL"
    assert lake_db.execute(q).fetchall() == con.execute(q).fetchall()
    other.close()
    lake_db.close()


def test_dq_batch_groups_by_report(con):
    a, b = sample_result(2024, seed=30), sample_result(2020, seed=31)
    load_reports_ = [load_report(con, build_tables(r)) for r in (a, b)]
    assert load_reports_ == [a.sha256, b.sha256]

    def rec(rid: str, rule: str, passed: bool) -> DQRecord:
        where = {"table_name": "t3", "row_key": "granted", "col_key": "total"}
        return _dq(rule, passed, rid, cells=("t3.granted.total",), suite="t3", **where)

    n = load_dq_batch(con, [rec(a.sha256, "r1", True), rec(a.sha256, "r2", False), rec(b.sha256, "r1", True)])
    assert n == 3
    load_dq_batch(con, [rec(a.sha256, "r1", False)], report_ids=[b.sha256])  # b: all rules dropped
    got = con.execute("SELECT report_id, rule, passed, table_name, row_key, col_key FROM dq_results").fetchall()
    assert got == [(a.sha256, "r1", False, "t3", "granted", "total")]
    (pages,) = con.execute("SELECT pages FROM dq_failures").fetchall()
    assert pages == ([3],)  # looked up from the stored cell
    with pytest.raises(ValueError, match="need a report_id"):
        load_dq_batch(con, [_dq("x", True)])
