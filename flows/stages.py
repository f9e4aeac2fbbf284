"""The flow's only contact surface with extract/, transform/, expectations/ and warehouse/.

Each function is a thin call into a stage package, imported lazily so that the CLI's help and
light commands do not pay for pdfplumber, GX or DuckDB. If a stage's API changes, this is the
one file in flows/ to adapt.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from gidar.dq import DQRecord

# --- extract ---------------------------------------------------------------------------------


def parser_version() -> str:
    """The extractor's version; a report is re-extracted when it changes."""
    from gidar.extract.api import PARSER_VERSION

    return str(PARSER_VERSION)


_POOL: ProcessPoolExecutor | None = None


def _extract_pool(processes: int) -> ProcessPoolExecutor:
    global _POOL
    if _POOL is None:
        # spawn, not fork: the flow's process already runs Prefect's threads and event loop
        _POOL = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_POOL.shutdown, cancel_futures=True)
    return _POOL


def extract_file(path: Path, processes: int = 1) -> Any:
    """Read one report. With ``processes`` > 1 the reading runs in a shared pool of worker
    processes, so concurrent report tasks (threads) really run in parallel: pdfplumber and OCR
    are CPU-bound Python and hold the GIL."""
    from gidar.extract.api import extract_file as _extract

    if processes <= 1:
        return _extract(path)
    return _extract_pool(processes).submit(_extract, path).result()


# --- transform -------------------------------------------------------------------------------


def report_tables(result: Any) -> dict[str, pa.Table]:
    """Arrow tables of one report: reports, cells, t2_<version>, t3, t4 (see gidar.schema)."""
    from gidar.transform.build import build_tables

    return build_tables(result)


def write_lake(lake: Path, tables: Mapping[str, pa.Table]) -> list[str]:
    """Write one report's tables to the Parquet lake (idempotent per report); returns the files."""
    from gidar.transform.lake import write_report

    return [str(p) for p in write_report(lake, tables)]


def read_report(lake: Path, report_id: str) -> dict[str, pa.Table]:
    """Every table of one report, read back from the lake."""
    from gidar.transform.lake import read_report as _read

    return _read(lake, report_id)


# --- expectations ----------------------------------------------------------------------------


def validate(lake: Path, report_ids: Sequence[str]) -> list[DQRecord]:
    """GX validation of a batch of reports as STORED in the Parquet lake (the tables the warehouse
    loads), as `DQRecord`s; failing records carry their cells' pages and boxes."""
    from gidar.expectations import validate_tables
    from gidar.transform.lake import read_table

    ids = list(report_ids)
    return validate_tables(read_table(lake, "reports", ids), read_table(lake, "cells", ids))


# --- warehouse -------------------------------------------------------------------------------


def connect(warehouse: Path, *, read_only: bool = False) -> Any:
    from gidar.warehouse import connect as _connect

    return _connect(warehouse, read_only=read_only)


def open_writer(warehouse: Path, publish_interval: float) -> Any:
    """The warehouse's single writer: a private live file, snapshots published to readers (warehouse.store)."""
    from gidar.warehouse.store import open_writer as _open

    return _open(warehouse, min_interval=publish_interval)


def open_reader(warehouse: Path) -> Any:
    """A locked read-only connection to the published warehouse (never blocks the writer)."""
    from gidar.warehouse.store import open_reader as _open

    return _open(warehouse)


def apply_corrections_csv(con: Any, path: Path) -> list[str]:
    """Record the corrections of a CSV (report_id, key, value, reason[, by]) in the writer's transaction."""
    import getpass

    from gidar.warehouse.corrections import apply, describe, read_csv

    by = os.environ.get("GIDAR_USER") or getpass.getuser()
    return describe(apply(con, read_csv(path, by)))


def loaded_fingerprints(warehouse: Path) -> set[tuple[str, str]]:
    """(report_id = sha256, parser_version) of every report already in the (published) warehouse."""
    if not warehouse.exists():
        return set()
    con = open_reader(warehouse)
    try:
        has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'reports'").fetchone()
        if not has or not has[0]:
            return set()
        rows = con.execute("SELECT report_id, coalesce(parser_version, '') FROM reports").fetchall()
    finally:
        con.close()
    return {(str(r), str(v)) for r, v in rows}


def dq_by_report(records: Sequence[DQRecord], run_id: str) -> dict[str, list[DQRecord]]:
    """Records (from `validate`) stamped with the run, grouped by report_id."""
    out: dict[str, list[DQRecord]] = {}
    now = datetime.now(UTC)
    for rec in records:
        out.setdefault(str(rec.report_id), []).append(rec.stamped(run_id, now))
    return out


def load_report(con: Any, tables: Mapping[str, pa.Table], dq: Sequence[DQRecord]) -> None:
    """Replace one report's rows in every report table and its DQ rows, in one transaction."""
    from gidar.warehouse import load_report as _load

    _load(con, tables, list(dq))


def record_run(con: Any, run: Mapping[str, Any]) -> None:
    """One ``runs`` row (run_id, started_at, finished_at, source, counts JSON)."""
    from gidar.warehouse import record_run as _record

    _record(con, run)


def cross_checks(con: Any, run_id: str) -> list[DQRecord]:
    """Cross-report SQL checks, replacing their previous rows in ``dq_results``."""
    from gidar.warehouse.crosschecks import run_crosschecks

    return list(run_crosschecks(con, run_id=run_id))


def build_dashboard(warehouse: Path, out: Path, cache: Path | None = None) -> Path:
    """The static DQ dashboard; `cache` is the download cache, where downloaded PDFs are found
    for the cropped evidence images (their ``reports.source`` is a URL)."""
    from gidar.warehouse.dashboard import build_dashboard as _build

    con = open_reader(warehouse)
    try:
        return Path(_build(con, out, cache_dirs=(cache,) if cache else ()))
    finally:
        con.close()
