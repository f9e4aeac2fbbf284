"""The Parquet lake: hive layout, round trip, idempotent rewrites, year changes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gidar.schema import REPORT_TABLES
from gidar.transform.build import build_tables
from gidar.transform.lake import NULL_PARTITION, PARTITION, read_report, read_table, report_ids, write_report
from gidar_dev.sample import sample_result


def _files(lake: Path) -> list[str]:
    return sorted(str(p.relative_to(lake)) for p in lake.rglob("*.parquet"))


def test_round_trip_and_layout(tmp_path):
    r = sample_result(2024, seed=1)
    tables = build_tables(r)
    written = write_report(tmp_path, tables)
    expected = {f"{n}/report_year=2024/{r.sha256}.parquet" for n, t in tables.items() if t.num_rows}
    assert set(_files(tmp_path)) == expected == {str(p.relative_to(tmp_path)) for p in written}
    back = read_report(tmp_path, r.sha256)
    for name in REPORT_TABLES:
        assert back[name].equals(tables[name]), name
    assert report_ids(tmp_path) == [r.sha256]


def test_rewrite_is_idempotent_and_year_change_leaves_no_stale_file(tmp_path):
    r = sample_result(2020, seed=2)
    write_report(tmp_path, build_tables(r))
    first = _files(tmp_path)
    write_report(tmp_path, build_tables(r))
    assert _files(tmp_path) == first

    # re-read with a corrected year and the other template: old partition and t2_v2019 vanish
    r2 = sample_result(2021, seed=2, sha256=r.sha256)
    tables = build_tables(r2)
    write_report(tmp_path, tables)
    files = _files(tmp_path)
    assert not [f for f in files if "report_year=2020" in f]
    assert not [f for f in files if f.startswith("t2_v2019/")]
    assert read_table(tmp_path, "reports").column("report_year").to_pylist() == [2021]
    assert read_table(tmp_path, "cells").num_rows == tables["cells"].num_rows


def _scan(lake, table: str) -> str:
    """How DuckDB reads one lake table, the year typed as INTEGER."""
    pattern = str(lake / table / f"{PARTITION}=*" / "*.parquet")
    return f"read_parquet('{pattern}', hive_partitioning = true, hive_types = {{'{PARTITION}': INTEGER}})"


def test_unknown_year_goes_to_the_null_partition(tmp_path):
    r = sample_result(2023, seed=3)
    r.metadata.report_year = None
    other = sample_result(2022, seed=4)
    write_report(tmp_path, build_tables(r))
    write_report(tmp_path, build_tables(other))
    assert (tmp_path / "reports" / f"report_year={NULL_PARTITION}" / f"{r.sha256}.parquet").exists()
    back = read_table(tmp_path, "reports").select(["report_id", "report_year"]).to_pylist()
    assert {rec["report_id"]: rec["report_year"] for rec in back} == {r.sha256: None, other.sha256: 2022}
    years = duckdb.sql(f"SELECT report_id, report_year FROM {_scan(tmp_path, 'reports')}").fetchall()
    assert dict(years) == {r.sha256: None, other.sha256: 2022}
    # DuckDB sees the year as a typed INTEGER partition column
    n = duckdb.sql(f"SELECT count(*) FROM {_scan(tmp_path, 'cells')} WHERE report_year = 2022").fetchall()
    assert n == [(len(other.cells),)]


def test_reports_are_isolated(tmp_path):
    a, b = sample_result(2024, seed=5), sample_result(2024, seed=6)
    write_report(tmp_path, build_tables(a))
    write_report(tmp_path, build_tables(b))
    assert read_report(tmp_path, a.sha256)["cells"].num_rows == len(a.cells)
    assert read_table(tmp_path, "t3").num_rows == 2 * read_report(tmp_path, b.sha256)["t3"].num_rows
    assert report_ids(tmp_path) == sorted([a.sha256, b.sha256])


def test_inconsistent_input_is_rejected(tmp_path):
    a, b = build_tables(sample_result(2024, seed=7)), build_tables(sample_result(2024, seed=8))
    with pytest.raises(ValueError, match="mix"):
        write_report(tmp_path, {**a, "cells": b["cells"]})
    with pytest.raises(ValueError, match="not report tables"):
        write_report(tmp_path, {**a, "bogus": a["cells"]})
    assert _files(tmp_path) == []
