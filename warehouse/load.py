"""Transactional, idempotent loads.

Every write replaces a well-defined slice (one report's rows, the cross-report DQ rows, one run)
with DELETE + INSERT inside one transaction: re-loading never duplicates, and an error anywhere
rolls the whole slice back, leaving the previous data intact. Inputs are validated against the
schemas before the transaction starts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gidar.dq import DQRecord
from gidar.schema import DQ_RESULTS, REPORT_TABLES, RUNS
from gidar.transform.lake import read_report, report_ids

from .ddl import ident, insert_arrow
from .derived import refresh


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _conform(name: str, table: pa.Table, schema: pa.Schema) -> pa.Table:
    if table.schema.equals(schema):
        return table
    have = set(table.column_names)
    missing = [n for n in schema.names if n not in have]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")
    return table.select(schema.names).cast(schema)


def _prepare(tables: Mapping[str, pa.Table]) -> tuple[str, dict[str, pa.Table]]:
    """Check one report's tables against the schemas; return its id and the conformed tables."""
    unknown = set(tables) - set(REPORT_TABLES)
    if unknown:
        raise ValueError(f"not report tables: {sorted(unknown)}")
    if "reports" not in tables or tables["reports"].num_rows != 1:
        raise ValueError("a report load needs exactly one `reports` row")
    conformed = {name: _conform(name, t, REPORT_TABLES[name]) for name, t in tables.items()}
    report_id = conformed["reports"].column("report_id")[0].as_py()
    for name, t in conformed.items():
        ids = set(t.column("report_id").to_pylist())
        if ids - {report_id}:
            raise ValueError(f"{name}: rows of other reports {sorted(map(str, ids - {report_id}))}")
    return report_id, conformed


ReportLoad = tuple[Mapping[str, pa.Table], "Iterable[DQRecord] | None"]


def replace_reports(con: duckdb.DuckDBPyConnection, batch: Sequence[ReportLoad]) -> list[str]:
    """Replace the rows of several reports (and, where given, their per-report DQ rows) WITHOUT opening a
    transaction: the caller's transaction makes the batch atomic. Returns the report ids in order.

    Each item is what `transform.build_tables` (or `transform.lake.read_report`) returns, with the report's DQ
    rows or None to keep its stored ones. Tables left out are emptied for the report, so a report that lost
    its table-二 rows loses them here too."""
    prepared = [(*_prepare(tables), dq) for tables, dq in batch]
    ids = [rid for rid, _, _ in prepared]
    if len(set(ids)) != len(ids):
        raise ValueError("a batch holds the same report twice")
    if not ids:
        return []
    dq_tables = [dq_table(dq, report_id=rid) for rid, _, dq in prepared if dq is not None]
    dq_ids = [rid for rid, _, dq in prepared if dq is not None]
    # Only reports already stored need deleting: a fresh backfill skips scanning the growing tables.
    stored = [
        r
        for (r,) in con.execute("SELECT report_id FROM reports WHERE report_id IN (SELECT unnest(?))", [ids]).fetchall()
    ]
    for name in REPORT_TABLES if stored else ():
        con.execute(f"DELETE FROM {ident(name)} WHERE report_id IN (SELECT unnest(?))", [stored])
    for name, schema in REPORT_TABLES.items():
        parts = [t[name] for _, t, _ in prepared if name in t]
        if parts:
            insert_arrow(con, name, pa.concat_tables(parts).cast(schema))
    if dq_ids:
        con.execute("DELETE FROM dq_results WHERE report_id IN (SELECT unnest(?))", [dq_ids])
        insert_arrow(con, "dq_results", pa.concat_tables(dq_tables))
    refresh(con, ids, stored)  # bodies and facts follow the load in the same transaction
    return ids


StoredReport = tuple[str, "int | None", Mapping[str, "str | Path"]]  # report_id, report_year, table -> lake file
BATCH_CELLS = "_batch_cells"  # temporary table: the cells of the batch being loaded


def replace_stored_reports(
    con: duckdb.DuckDBPyConnection, batch: Sequence[StoredReport], dq: pa.Table | None = None
) -> list[str]:
    """`replace_reports` from the reports' files in the Parquet lake, which DuckDB reads itself (no Arrow
    tables through Python): the files `transform.lake.write_report` wrote, in the `REPORT_TABLES` schemas
    without ``report_year`` (it lives in the path, and here in ``batch``), one report per file. ``dq``: the
    `DQ_RESULTS` rows of these reports, replacing their stored ones (None keeps them). No transaction of
    its own: the caller's makes the batch atomic."""
    ids = [rid for rid, _, _ in batch]
    if len(set(ids)) != len(ids):
        raise ValueError("a batch holds the same report twice")
    if not ids:
        return []
    if dq is not None and set(dq.column("report_id").to_pylist()) - set(ids):
        raise ValueError("DQ rows of reports outside the batch")
    stored = [
        r
        for (r,) in con.execute("SELECT report_id FROM reports WHERE report_id IN (SELECT unnest(?))", [ids]).fetchall()
    ]
    for name in REPORT_TABLES if stored else ():
        con.execute(f"DELETE FROM {ident(name)} WHERE report_id IN (SELECT unnest(?))", [stored])
    # The batch's cells also go to a temporary table, from which `refresh` derives the facts: reading them back
    # from `cells` scanned the whole table once per fact table and batch (CPU and memory growing with the warehouse).
    con.execute(f"CREATE OR REPLACE TEMP TABLE {BATCH_CELLS} AS SELECT * FROM cells LIMIT 0")
    for name in REPORT_TABLES:
        by_year: dict[int | None, list[str]] = {}
        for _, year, files in batch:
            if name in files:
                by_year.setdefault(year, []).append(str(files[name]))
        for year, paths in by_year.items():
            con.execute(
                f"INSERT INTO {ident(BATCH_CELLS if name == 'cells' else name)} BY NAME"
                " SELECT *, CAST($year AS INTEGER) AS report_year FROM read_parquet($files, hive_partitioning = false)",
                {"year": year, "files": paths},
            )
    con.execute(f"INSERT INTO cells BY NAME SELECT * FROM {BATCH_CELLS}")
    got = con.execute("SELECT count(*) FROM reports WHERE report_id IN (SELECT unnest(?))", [ids]).fetchall()[0][0]
    if got != len(ids):  # every report has exactly one `reports` row (write_report checked it)
        raise ValueError(f"{len(ids)} reports but {got} `reports` rows in their files")
    if dq is not None:
        con.execute("DELETE FROM dq_results WHERE report_id IN (SELECT unnest(?))", [ids])
        insert_arrow(con, "dq_results", _conform("dq_results", dq, DQ_RESULTS))
    refresh(con, ids, stored, cells=BATCH_CELLS)
    con.execute(f"DROP TABLE {BATCH_CELLS}")  # on an error the caller's rollback removes it
    return ids


def load_report(
    con: duckdb.DuckDBPyConnection,
    tables: Mapping[str, pa.Table],
    dq_rows: Iterable[DQRecord] | None = None,
) -> str:
    """Replace one report's rows in every report table (and, if given, its DQ rows) in one transaction;
    return its id (see `replace_reports`)."""
    with transaction(con):
        return replace_reports(con, [(tables, dq_rows)])[0]


def load_reports(con: duckdb.DuckDBPyConnection, many: Iterable[Mapping[str, pa.Table]]) -> list[str]:
    """`load_report` for a batch in ONE transaction (all or nothing); much faster for backfills."""
    batch: list[ReportLoad] = [(tables, None) for tables in many]
    if not batch:
        return []
    with transaction(con):
        return replace_reports(con, batch)


def rebuild_from_lake(con: duckdb.DuckDBPyConnection, lake: Path, batch: int = 200) -> int:
    """Load every report of a Parquet lake (`transform.lake`), ``batch`` reports per transaction."""
    ids = report_ids(lake)
    for i in range(0, len(ids), batch):
        load_reports(con, [read_report(lake, rid) for rid in ids[i : i + batch]])
    return len(ids)


# --- data-quality results ------------------------------------------------------------------


def dq_table(
    records: Iterable[DQRecord], *, report_id: str | None = None, cross: bool = False, run_id: str | None = None
) -> pa.Table:
    """The `DQ_RESULTS` Arrow table of some records (stamped with ``run_id`` and the time if unset).

    With ``report_id`` every record must belong to that report; with ``cross`` every record must
    be a cross-report one (NULL report_id, its reports named in ``cells``).
    """
    now = datetime.now(UTC)
    records = list(records)
    for r in records:
        if report_id is not None and r.report_id != report_id:
            raise ValueError(f"DQ record of report {r.report_id} loaded as {report_id}")
        if cross and r.report_id is not None:
            raise ValueError(f"cross-report DQ record has report_id {r.report_id}")
    columns = DQRecord.columns(records, run_id, now)
    return pa.Table.from_pydict({name: columns[name] for name in DQ_RESULTS.names}, schema=DQ_RESULTS)


def load_dq_batch(con: duckdb.DuckDBPyConnection, rows: Iterable[DQRecord], report_ids: Iterable[str] = ()) -> int:
    """Replace the per-report DQ rows of every report the rows name, in one transaction; return how
    many were stored. Reports in ``report_ids`` without any row are cleared too (all their rules were
    dropped)."""
    table = dq_table(rows)
    ids = set(table.column("report_id").to_pylist()) | set(report_ids)
    if None in ids:
        raise ValueError("per-report DQ rows need a report_id (use replace_cross_report_dq)")
    with transaction(con):
        con.execute("DELETE FROM dq_results WHERE list_contains(?, report_id)", [sorted(ids)])
        insert_arrow(con, "dq_results", table)
    return table.num_rows


def replace_cross_report_dq(
    con: duckdb.DuckDBPyConnection,
    rows: Iterable[DQRecord],
    rules: Iterable[str] | None = None,
) -> int:
    """Replace the cross-report DQ rows (report_id NULL): all of them, or only those of ``rules``."""
    return replace_cross_report_dq_each(con, [list(rows)], rules)


def replace_cross_report_dq_each(
    con: duckdb.DuckDBPyConnection, groups: Iterable[Sequence[DQRecord]], rules: Iterable[str] | None = None
) -> int:
    """`replace_cross_report_dq` from rows that come in groups (one producer's at a time), each inserted as it
    comes, in one transaction: no more than one group is held at once."""
    n = 0
    with transaction(con):
        if rules is None:
            con.execute("DELETE FROM dq_results WHERE report_id IS NULL")
        else:
            con.execute("DELETE FROM dq_results WHERE report_id IS NULL AND list_contains(?, rule)", [list(rules)])
        for rows in groups:
            table = dq_table(rows, cross=True)
            if table.num_rows:
                insert_arrow(con, "dq_results", table)
                n += table.num_rows
    return n


# --- runs ----------------------------------------------------------------------------------


def record_run(
    con: duckdb.DuckDBPyConnection,
    run: str | Mapping[str, Any],
    *,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    source: str | None = None,
    counts: Mapping[str, Any] | str | None = None,
) -> None:
    """Insert or replace one `runs` row (call at start, and again when the run finishes).

    ``run`` is the run_id, or a mapping with the `RUNS` columns (then the keywords are unused).
    """
    row: dict[str, Any] = (
        {"run_id": run, "started_at": started_at, "finished_at": finished_at, "source": source, "counts": counts}
        if isinstance(run, str)
        else {k: run.get(k) for k in RUNS.names}
    )
    unknown = set() if isinstance(run, str) else set(run) - set(RUNS.names)
    if unknown or not row["run_id"]:
        raise ValueError(f"a run needs run_id and only {RUNS.names} (unknown: {sorted(unknown)})")
    if row["counts"] is not None and not isinstance(row["counts"], str):
        row["counts"] = json.dumps(row["counts"], ensure_ascii=False, sort_keys=True)
    table = pa.Table.from_pylist([row], schema=RUNS)
    with transaction(con):
        con.execute("DELETE FROM runs WHERE run_id = ?", [row["run_id"]])
        insert_arrow(con, "runs", table)
