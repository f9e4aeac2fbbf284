"""The Parquet lake: the one place that writes (and reads back) report tables as files.

Layout: ``<lake>/<table>/report_year=<year>/<report_id>.parquet`` (Hive partitioning; the year
lives in the path, not in the file). A report without a year goes to the standard Hive null
partition ``report_year=__HIVE_DEFAULT_PARTITION__``, which pyarrow and DuckDB both read back as
NULL. Writes are idempotent per report: its files are replaced atomically and any file of the same
report in another partition (its year changed) or of a table that is now empty is removed.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from gidar.schema import REPORT_TABLES

PARTITION = "report_year"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
# A report's files are small (a few hundred rows; their size is mostly Parquet metadata): snappy stores them
# within 1 % of zstd's size at two thirds of its write time (0.8 vs 1.2 ms per file, ~5 files per report).
COMPRESSION = "snappy"


def partition_name(year: int | None) -> str:
    return f"{PARTITION}={NULL_PARTITION if year is None else int(year)}"


def report_path(lake: Path, table: str, report_id: str, year: int | None) -> Path:
    return Path(lake) / table / partition_name(year) / f"{report_id}.parquet"


def _identity(tables: Mapping[str, pa.Table]) -> tuple[str, int | None]:
    """The single (report_id, report_year) that every row of every table must carry."""
    ids, years = set(), set()
    for t in tables.values():
        ids.update(t.column("report_id").to_pylist())
        years.update(t.column(PARTITION).to_pylist())
    reports = tables.get("reports")
    if reports is None or reports.num_rows != 1:
        raise ValueError("tables of one report need exactly one `reports` row")
    if len(ids) != 1 or len(years) != 1:
        raise ValueError(f"tables mix reports or years: ids={sorted(ids)} years={sorted(years, key=str)}")
    return ids.pop(), years.pop()


def _atomic_write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression=COMPRESSION)
    os.replace(tmp, path)


def write_report(lake: Path, tables: Mapping[str, pa.Table]) -> list[Path]:
    """Write one report's tables (as from `build_tables`); return the files now holding it."""
    unknown = set(tables) - set(REPORT_TABLES)
    if unknown:
        raise ValueError(f"not report tables: {sorted(unknown)}")
    report_id, year = _identity(tables)
    written = []
    for name, t in tables.items():
        if t.num_rows:
            path = report_path(lake, name, report_id, year)
            schema = REPORT_TABLES[name]
            # build_tables makes them in their schema already: a cast would copy every column (~0.5 ms a report)
            conformed = t if t.schema.equals(schema, check_metadata=True) else t.cast(schema)
            _atomic_write(conformed.drop_columns([PARTITION]), path)
            written.append(path)
    _remove_stale(lake, report_id, written)
    return written


def _remove_stale(lake: Path, report_id: str, keep: list[Path]) -> None:
    """Remove a report's other copies: other partitions (its year changed), tables now empty. One listing
    per table and one unlink attempt per partition (a glob per table cost a fifth of a report's write)."""
    kept = {str(Path(k)) for k in keep}  # Path's spelling on both sides: "./lake/" and "lake" are one place
    root, name = str(Path(lake)), f"{report_id}.parquet"
    for table in REPORT_TABLES:
        try:
            parts = os.scandir(os.path.join(root, table))
        except FileNotFoundError:
            continue
        with parts:
            for part in parts:
                old = os.path.join(part.path, name)
                if part.name.startswith(f"{PARTITION}=") and old not in kept:
                    with contextlib.suppress(FileNotFoundError):  # absent, or another process removed it first
                        os.unlink(old)


def place_files(lake: Path, report_id: str, files: Mapping[str, bytes]) -> list[Path]:
    """Store files `write_report` wrote elsewhere (relative path -> bytes, e.g. shipped from a cluster worker)
    into ``lake``, atomically and with the same clean-up: the lake ends as if `write_report` had run here."""
    written = []
    for rel, data in files.items():
        parts = Path(rel).parts
        if len(parts) != 3 or parts[0] not in REPORT_TABLES or parts[2] != f"{report_id}.parquet":
            raise ValueError(f"not a lake file of report {report_id}: {rel}")
        path = Path(lake) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        written.append(path)
    _remove_stale(lake, report_id, written)
    return written


def _partitioning() -> Any:
    import pyarrow.dataset as ds

    return ds.HivePartitioning(pa.schema([(PARTITION, pa.int32())]), null_fallback=NULL_PARTITION)


def _year(partition: str) -> int | None:
    value = partition.split("=", 1)[1]
    return None if value == NULL_PARTITION else int(value)


def read_table(lake: Path, table: str, report_ids: list[str] | None = None) -> pa.Table:
    """A lake table (optionally only some reports) in its `REPORT_TABLES` schema, rows in file order."""
    schema = REPORT_TABLES[table]
    root = Path(lake) / table
    if report_ids is None:
        files = sorted(root.glob(f"{PARTITION}=*/*.parquet"))
    else:  # look the reports up by name: listing a large lake for every batch would grow with the lake
        partitions = [p for p in root.glob(f"{PARTITION}=*") if p.is_dir()]
        files = sorted(
            f for rid in dict.fromkeys(report_ids) for p in partitions if (f := p / f"{rid}.parquet").is_file()
        )
    if not files:
        return schema.empty_table()
    try:
        return _read_duckdb(files, schema)
    except Exception:  # e.g. files of an older schema (a column added since): the dataset reader fills it in
        return _read_dataset(files, schema, root)


# The process's in-memory DuckDB for lake reads (opening one costs 20-40 ms, more than a batch's read).
_DUCKDB: list[Any] = []
_DUCKDB_LOCK = threading.Lock()


def _read_duckdb(files: list[Path], schema: pa.Schema) -> pa.Table:
    """Many small report files through DuckDB: a fifth of the dataset reader's time per file (a batch's
    files are read back for GX in the checking process). One thread: the other cores are reading."""
    import duckdb

    by_year: dict[int | None, list[str]] = {}
    for f in files:
        by_year.setdefault(_year(f.parent.name), []).append(str(f))
    with _DUCKDB_LOCK:
        if not _DUCKDB:
            _DUCKDB.append(duckdb.connect(config={"threads": 1}))
        con = _DUCKDB[0].cursor()  # a cursor per call: callers may be threads of one process
    try:
        parts = [
            con.sql(
                "SELECT *, CAST($year AS INTEGER) AS report_year FROM read_parquet($files, hive_partitioning = false)",
                params={"year": year, "files": paths},
            ).to_arrow_table()
            for year, paths in by_year.items()
        ]
    finally:
        con.close()
    return pa.concat_tables([t.select(schema.names).cast(schema) for t in parts])


def _read_dataset(files: list[Path], schema: pa.Schema, root: Path) -> pa.Table:
    import pyarrow.dataset as ds  # here only: it imports pandas, which the writer's process never needs

    data = ds.dataset(
        [str(f) for f in files],
        schema=schema,
        format="parquet",
        partitioning=_partitioning(),
        partition_base_dir=str(root),
    )
    return data.to_table().select(schema.names).cast(schema)


def read_report(lake: Path, report_id: str) -> dict[str, pa.Table]:
    """Every table of one report, as `build_tables` returned them (for re-loading the warehouse)."""
    return {name: read_table(lake, name, [report_id]) for name in REPORT_TABLES}


def report_ids(lake: Path) -> list[str]:
    """Ids of the reports stored in the lake."""
    return sorted({p.stem for p in (Path(lake) / "reports").glob(f"{PARTITION}=*/*.parquet")})
