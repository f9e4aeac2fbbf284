"""The single writer runs within DuckDB's memory limit, and whole-warehouse work that runs out of memory under it
is done once more with the limit lifted (a real DuckDB file, a real out-of-memory error)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gidar.flows import stages
from gidar.warehouse.store import WRITER_MEMORY_LIMIT, open_writer

# Needs far more than 1 MB in one aggregate that cannot spill: a list of a million numbers.
HUNGRY = "SELECT len(list(range)) FROM range(1000000)"


def _limit(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])


def test_the_writer_runs_within_its_memory_limit(tmp_path: Path) -> None:
    with open_writer(tmp_path / "gidar.duckdb") as w:
        limit = _limit(w.con)  # DuckDB shows it in MiB (64MB = 61.0 MiB), not its default 80 % of RAM
        assert (
            limit.endswith("MiB")
            and float(limit.split()[0]) * 2**20 <= int(WRITER_MEMORY_LIMIT.removesuffix("MB")) * 10**6
        )


def test_out_of_memory_work_is_redone_with_the_limit_lifted(tmp_path: Path) -> None:
    with open_writer(tmp_path / "gidar.duckdb") as w:
        bounded = _limit(w.con)
        w.con.execute("SET memory_limit = '1MB'")
        with pytest.raises(duckdb.OutOfMemoryException):
            w.con.execute(HUNGRY).fetchall()
        tries: list[str] = []

        def work(con: duckdb.DuckDBPyConnection) -> int:
            tries.append(_limit(con))
            (n,) = con.execute(HUNGRY).fetchone() or (0,)
            return int(n)

        assert stages.with_memory_fallback(w, work) == 1_000_000
        assert len(tries) == 2 and "GiB" in tries[1]  # the second try ran with DuckDB's default
        assert _limit(w.con) == bounded  # and the writer's limit is back afterwards
