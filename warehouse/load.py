"""Transactional, idempotent loads.

Every write replaces a well-defined slice (one report's rows, the cross-report DQ rows, one run)
with DELETE + INSERT inside one transaction: re-loading never duplicates, and an error anywhere
rolls the whole slice back, leaving the previous data intact. Inputs are validated against the
schemas before the transaction starts.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gidar.schema import DQ_RESULTS, REPORT_TABLES, RUNS, SEVERITIES
from gidar.transform.lake import read_report, report_ids

from .ddl import ident

_names = itertools.count()
DQRowLike = Mapping[str, Any] | Any  # a DQ row: a mapping, or an object with to_dict()


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


def _insert(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    if table.num_rows == 0:
        return
    view = f"_load_{name}_{next(_names)}"
    con.register(view, table)
    try:
        con.execute(f"INSERT INTO {ident(name)} BY NAME SELECT * FROM {ident(view)}")
    finally:
        con.unregister(view)


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


def load_report(
    con: duckdb.DuckDBPyConnection,
    tables: Mapping[str, pa.Table],
    dq_rows: Iterable[DQRowLike] | pa.Table | None = None,
) -> str:
    """Replace one report's rows in every report table (and, if given, its DQ rows); return its id.

    ``tables`` is what `transform.build_tables` (or `transform.lake.read_report`) returns; tables
    left out are emptied for this report, so a report that lost its table-二 rows loses them here too.
    """
    report_id, conformed = _prepare(tables)
    dq = None if dq_rows is None else dq_table(dq_rows, report_id=report_id)
    with transaction(con):
        for name in REPORT_TABLES:
            con.execute(f"DELETE FROM {ident(name)} WHERE report_id = ?", [report_id])
        for name, t in conformed.items():
            _insert(con, name, t)
        if dq is not None:
            con.execute("DELETE FROM dq_results WHERE report_id = ?", [report_id])
            _insert(con, "dq_results", dq)
    return report_id


def load_reports(con: duckdb.DuckDBPyConnection, many: Iterable[Mapping[str, pa.Table]]) -> list[str]:
    """`load_report` for a batch in ONE transaction (all or nothing); much faster for backfills."""
    prepared = [_prepare(tables) for tables in many]
    ids = [rid for rid, _ in prepared]
    if len(set(ids)) != len(ids):
        raise ValueError("a batch holds the same report twice")
    if not ids:
        return []
    with transaction(con):
        for name in REPORT_TABLES:
            con.execute(f"DELETE FROM {ident(name)} WHERE list_contains(?, report_id)", [ids])
        for name, schema in REPORT_TABLES.items():
            parts = [t[name] for _, t in prepared if name in t]
            if parts:
                _insert(con, name, pa.concat_tables(parts).cast(schema))
    return ids


def rebuild_from_lake(con: duckdb.DuckDBPyConnection, lake: Path, batch: int = 200) -> int:
    """Load every report of a Parquet lake (`transform.lake`), ``batch`` reports per transaction."""
    ids = report_ids(lake)
    for i in range(0, len(ids), batch):
        load_reports(con, [read_report(lake, rid) for rid in ids[i : i + batch]])
    return len(ids)


def delete_report(con: duckdb.DuckDBPyConnection, report_id: str) -> None:
    """Remove a report and its per-report DQ rows everywhere."""
    with transaction(con):
        for name in (*REPORT_TABLES, "dq_results"):
            con.execute(f"DELETE FROM {ident(name)} WHERE report_id = ?", [report_id])


# --- data-quality results ------------------------------------------------------------------


def _cells_json(cells: Any) -> str | None:
    """The ``cells`` column: a JSON list of {report_id, key, page, bbox} (text passes through)."""
    if cells is None:
        return None
    if isinstance(cells, str):  # validated: malformed JSON would break every view that reads it
        parsed = json.loads(cells)
        if not isinstance(parsed, list):
            raise ValueError(f"dq cells must be a JSON list, not {cells[:60]!r}")
        return cells
    out = []
    for c in cells:
        d = {"key": c} if isinstance(c, str) else dict(c)
        bbox = d.get("bbox")
        out.append(
            {
                "report_id": d.get("report_id"),
                "key": d.get("key"),
                "page": d.get("page"),
                "bbox": list(bbox) if bbox is not None else None,
            }
        )
    return json.dumps(out, ensure_ascii=False)


# Short names used by expectations.validate.DQResult.to_dict().
_ALIASES = {"table": "table_name", "row": "row_key", "col": "col_key"}


def _record(row: DQRowLike) -> dict[str, Any]:
    d = dict(row) if isinstance(row, Mapping) else dict(row.to_dict())
    for short, name in _ALIASES.items():
        if short in d and name not in d:
            d[name] = d.pop(short)
    return d


def dq_table(rows: Iterable[DQRowLike] | pa.Table, *, report_id: str | None = None, cross: bool = False) -> pa.Table:
    """Validate DQ rows and build the `DQ_RESULTS` Arrow table.

    Rows are mappings with `DQ_RESULTS` columns (``table``/``row``/``col`` are accepted for
    ``table_name``/``row_key``/``col_key``) or objects with ``to_dict()`` returning one.
    ``cells`` may be JSON text or a list of dicts/keys; ``checked_at`` defaults to now. With
    ``report_id`` every row must belong to that report (missing ids are filled in); with
    ``cross`` every row must have a NULL report_id.
    """
    records = rows.to_pylist() if isinstance(rows, pa.Table) else [_record(r) for r in rows]
    now = datetime.now(UTC)
    unknown = {k for r in records for k in r} - set(DQ_RESULTS.names)
    if unknown:
        raise ValueError(f"dq_results has no columns {sorted(unknown)}")
    for r in records:
        if report_id is not None:
            if r.get("report_id") is None:
                r["report_id"] = report_id
            if r["report_id"] != report_id:
                raise ValueError(f"DQ row of report {r['report_id']} loaded as {report_id}")
        if cross and r.get("report_id") is not None:
            raise ValueError(f"cross-report DQ row has report_id {r['report_id']}")
        if r.get("severity") not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {r.get('severity')!r}")
        if r.get("passed") is None or not r.get("rule"):
            raise ValueError(f"DQ row needs rule and passed: {r}")
        for k in ("observed", "expected"):
            if r.get(k) is not None and not isinstance(r[k], str):
                r[k] = json.dumps(r[k], ensure_ascii=False)
        r["cells"] = _cells_json(r.get("cells"))
        if r.get("checked_at") is None:
            r["checked_at"] = now
    return pa.Table.from_pylist(records, schema=DQ_RESULTS)


def load_dq(con: duckdb.DuckDBPyConnection, report_id: str, rows: Iterable[DQRowLike] | pa.Table) -> int:
    """Replace the per-report DQ rows of one report; return how many were stored."""
    table = dq_table(rows, report_id=report_id)
    with transaction(con):
        con.execute("DELETE FROM dq_results WHERE report_id = ?", [report_id])
        _insert(con, "dq_results", table)
    return table.num_rows


def load_dq_batch(
    con: duckdb.DuckDBPyConnection, rows: Iterable[DQRowLike] | pa.Table, report_ids: Iterable[str] = ()
) -> int:
    """`load_dq` for many reports in one transaction: rows are grouped by their report_id.

    Reports in ``report_ids`` without any row are cleared too (all their rules were dropped).
    """
    table = dq_table(rows)
    ids = set(table.column("report_id").to_pylist()) | set(report_ids)
    if None in ids:
        raise ValueError("per-report DQ rows need a report_id (use replace_cross_report_dq)")
    with transaction(con):
        con.execute("DELETE FROM dq_results WHERE list_contains(?, report_id)", [sorted(ids)])
        _insert(con, "dq_results", table)
    return table.num_rows


def replace_cross_report_dq(
    con: duckdb.DuckDBPyConnection,
    rows: Iterable[DQRowLike] | pa.Table,
    rules: Iterable[str] | None = None,
) -> int:
    """Replace the cross-report DQ rows (report_id NULL): all of them, or only those of ``rules``."""
    table = dq_table(rows, cross=True)
    with transaction(con):
        if rules is None:
            con.execute("DELETE FROM dq_results WHERE report_id IS NULL")
        else:
            con.execute("DELETE FROM dq_results WHERE report_id IS NULL AND list_contains(?, rule)", [list(rules)])
        _insert(con, "dq_results", table)
    return table.num_rows


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
        _insert(con, "runs", table)
