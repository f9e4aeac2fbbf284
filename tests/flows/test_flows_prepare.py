"""The command creates (or migrates) the warehouse in a child process while Prefect starts (flows/runner.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gidar.flows.runner import _prepare_warehouse
from gidar.settings import Settings
from gidar.warehouse.store import live_path


@pytest.mark.slow  # a child process creates a warehouse: ~2-5 s on 2 busy cores
def test_the_warehouse_is_created_outside_the_command_process(tmp_path: Path) -> None:
    s = Settings().rebase(tmp_path / "data")
    assert not s.warehouse.exists()
    _prepare_warehouse(s)  # waits for the child process
    assert s.warehouse.exists() and live_path(s.warehouse).exists()
    con = duckdb.connect(str(s.warehouse), read_only=True)
    try:
        regions = con.execute("SELECT count(*) FROM dim_region").fetchone()
        reports = con.execute("SELECT count(*) FROM reports").fetchone()
    finally:
        con.close()
    assert regions is not None and regions[0] > 3000  # migrated, with the regions' repeatable migration
    assert reports == (0,)
