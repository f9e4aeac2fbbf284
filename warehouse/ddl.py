"""DuckDB DDL and comments generated from the Arrow schemas of `gidar.schema`."""

from __future__ import annotations

import itertools

import duckdb
import pyarrow as pa

from gidar.schema import describe, table_description


def ident(name: str) -> str:
    """A quoted SQL identifier (registry keys such as ``count`` or ``row`` are SQL keywords)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duck_type(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "VARCHAR"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if pa.types.is_list(t):
        return duck_type(t.value_type) + "[]"
    raise TypeError(f"no DuckDB type for Arrow {t}")


def create_table(name: str, schema: pa.Schema) -> str:
    cols = ",\n  ".join(f"{ident(f.name)} {duck_type(f.type)}{'' if f.nullable else ' NOT NULL'}" for f in schema)
    return f"CREATE TABLE IF NOT EXISTS {ident(name)} (\n  {cols}\n)"


def comments(name: str, schema: pa.Schema) -> list[str]:
    out = [f"COMMENT ON TABLE {ident(name)} IS {literal(table_description(schema))}"]
    out += [f"COMMENT ON COLUMN {ident(name)}.{ident(f.name)} IS {literal(describe(f))}" for f in schema]
    return out


_views = itertools.count()


def insert_arrow(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Append an Arrow table's rows to table `name`, matching columns by name (no-op when empty)."""
    if table.num_rows == 0:
        return
    view = f"_insert_{name}_{next(_views)}"  # unique: several inserts may share one connection
    con.register(view, table)
    try:
        con.execute(f"INSERT INTO {ident(name)} BY NAME SELECT * FROM {ident(view)}")
    finally:
        con.unregister(view)
