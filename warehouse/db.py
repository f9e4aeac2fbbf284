"""Opening the warehouse file (read-write, or read-only for readers such as the dashboard).

DuckDB allows one read-write process per file; a read-write `connect` also brings the schema up
to date, so every writer sees the current tables and views.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

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
