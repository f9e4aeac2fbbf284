"""Opening the warehouse file and read-only querying (used by ``gidar query``).

DuckDB allows one read-write process per file; a read-write `connect` also brings the schema up
to date, so every writer sees the current tables and views.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from gidar.schema import ALL_TABLES

from .migrations import migrate, schema_drift


class SchemaDriftError(RuntimeError):
    """The database tables no longer match `gidar.schema`: a migration is missing."""


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and, read-write, create/migrate) the warehouse. ``":memory:"`` works for tests."""
    path = str(path)
    if read_only and path != ":memory:" and not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path}")
    if not read_only and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(path, read_only=read_only)
    if not read_only:
        try:
            migrate(con)
            drift = schema_drift(con)
            if drift:
                raise SchemaDriftError("warehouse schema drifted; add a migration: " + "; ".join(drift))
        except BaseException:
            con.close()
            raise
    return con


def query(path: str | Path, sql: str) -> tuple[list[str], list[tuple]]:
    """Run one SQL statement on a read-only connection; return (column names, rows)."""
    con = connect(path, read_only=True)
    try:
        cur = con.execute(sql)
        rows = cur.fetchall()
        columns = [d[0] for d in cur.description] if cur.description else []
        return columns, rows
    finally:
        con.close()


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every warehouse table (views excluded)."""
    return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in ALL_TABLES}
