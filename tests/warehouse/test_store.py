"""The single writer and its published snapshots: readers in other processes never block a load."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from gidar.transform.build import build_tables
from gidar.warehouse.db import connect
from gidar.warehouse.store import live_path, open_reader, open_writer
from gidar_dev.sample import sample_result


def _batch(seeds: range, year: int = 2021) -> list:
    return [(build_tables(sample_result(year, "330922", seed=s)), None) for s in seeds]


def _count(path: Path) -> int:
    con = open_reader(path)
    try:
        return con.execute("SELECT count(*) FROM reports").fetchone()[0]
    finally:
        con.close()


HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("SELECT count(*) FROM reports").fetchone()[0], flush=True)
    sys.stdin.readline()  # hold the file open until told
    print(con.execute("SELECT count(*) FROM reports").fetchone()[0], flush=True)
    """
)


@pytest.mark.slow  # a second Python process
def test_a_reader_in_another_process_never_blocks_the_writer(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    with open_writer(wh) as w:
        assert w.load_batch(_batch(range(2))) == {}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(wh)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "2"
        # the held read-only connection would make a plain read-write open fail with a lock error
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(wh)).close()
        with open_writer(wh, min_interval=0) as w:
            assert w.load_batch(_batch(range(2, 5))) == {}
            assert w.publish()
            assert _count(wh) == 5  # a new reader sees the new snapshot
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "2"  # the old reader keeps its consistent snapshot
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow  # a second Python process
def test_a_second_writer_is_refused_at_once(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    with open_writer(wh):
        code = f"from gidar.warehouse.store import open_writer\nopen_writer({str(wh)!r})"
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and "WarehouseBusyError" in r.stderr and "another process is writing" in r.stderr


def test_publishing_is_rate_limited_and_closing_publishes(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    w = open_writer(wh, min_interval=3600)
    assert _count(wh) == 0  # an empty warehouse is published at once
    w.load_batch(_batch(range(1)))
    assert not w.publish() and _count(wh) == 0  # too soon: readers still see the last snapshot
    assert w.publish(force=True) and _count(wh) == 1
    w.load_batch(_batch(range(1, 2)))
    assert not w.publish() and _count(wh) == 1
    w.close()
    assert _count(wh) == 2 and w.publishes == 3
    w2 = open_writer(wh, min_interval=0, share=0.5)
    w2.load_batch(_batch(range(2, 3)))
    assert w2.publish()  # no interval, and the last copy was cheap next to the time since
    w2.close()
    assert not w2.publish_seconds > 60


@pytest.mark.slow  # a second Python process
def test_a_killed_writer_is_published_by_the_next_one(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    code = textwrap.dedent(
        f"""
        import os
        from gidar.transform.build import build_tables
        from gidar.warehouse.store import open_writer
        from gidar_dev.sample import sample_result
        w = open_writer({str(wh)!r}, min_interval=3600)
        w.publish(force=True)
        w.load_batch([(build_tables(sample_result(2021, "330922", seed=s)), None) for s in range(3)])
        os._exit(9)  # killed after the commit, before any publish
        """
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 9, r.stderr
    assert _count(wh) == 0  # the committed batch is only in the live file
    open_writer(wh).close()
    assert _count(wh) == 3


def test_an_old_single_file_warehouse_is_adopted(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    con = connect(wh)  # the layout before snapshots: readers and the writer on one file
    from gidar.warehouse.load import load_reports

    load_reports(con, [t for t, _ in _batch(range(2))])
    con.close()
    with open_writer(wh) as w:
        assert live_path(wh).exists()
        assert w.load_batch(_batch(range(2, 3))) == {}
    assert _count(wh) == 3


def test_a_bad_report_costs_only_itself(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    good = _batch(range(3))
    bad_tables = dict(build_tables(sample_result(2021, "330922", seed=9)))
    bad_tables["cells"] = bad_tables["cells"].drop_columns(["key"])  # fails the schema check
    with open_writer(wh) as w:
        errors = w.load_batch([good[0], (bad_tables, None), *good[1:]])
    assert list(errors) == [sample_result(2021, "330922", seed=9).sha256]
    assert _count(wh) == 3
