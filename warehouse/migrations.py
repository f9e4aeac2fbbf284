"""Named, ordered schema migrations, recorded in ``_migrations``.

``once`` migrations run a single time ever (re-running is a no-op). ``repeatable`` ones (the
views, which are ``CREATE OR REPLACE``) run again whenever their SQL changes, detected by a
checksum. To change a table later, append a new ``once`` migration with
``ALTER TABLE ... ADD COLUMN IF NOT EXISTS`` (0001 always creates the current schema, so later
steps must tolerate running on a fresh database); `schema_drift` reports a mismatch between the
database and `gidar.schema`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gidar.schema import (
    ALL_TABLES,
    ANALYST_TABLES,
    BEND_REPORT_COLUMNS,
    CELLS,
    EXTRA_CELLS,
    REPORTS,
    T2,
    describe,
)

from .ddl import comments, create_table, duck_type, ident, literal
from .derived import region_statements
from .views import view_statements


@dataclass(frozen=True)
class Migration:
    name: str
    statements: Callable[[], list[str]]
    repeatable: bool = False

    def checksum(self) -> str:
        return hashlib.sha256("\n;\n".join(self.statements()).encode()).hexdigest()


def _tables() -> list[str]:
    out = []
    for name, schema in ALL_TABLES.items():
        out += [create_table(name, schema), *comments(name, schema)]
    return out


def _analyst_tables() -> list[str]:
    """Regions, bodies, harmonised facts and corrections; ``reports.level``. (The writer fills the derived
    tables of existing reports when this has run: `warehouse.store.Writer`.)"""
    level = REPORTS.field("level")
    out = [f"ALTER TABLE reports ADD COLUMN IF NOT EXISTS level {duck_type(level.type)}"]
    out += [c for c in comments("reports", REPORTS) if f".{ident('level')} " in c or "region_code" in c]
    for name, schema in ANALYST_TABLES.items():
        out += [create_table(name, schema), *comments(name, schema)]
    return out


ANALYST_MIGRATION = "0004_analyst_tables"


def _add_column(table: str, name: str) -> list[str]:
    """ADD COLUMN with its type and comment from `gidar.schema` (a no-op where 0001 made it)."""
    f = ALL_TABLES[table].field(name)
    return [
        f"ALTER TABLE {ident(table)} ADD COLUMN IF NOT EXISTS {ident(name)} {duck_type(f.type)}",
        f"COMMENT ON COLUMN {ident(table)}.{ident(name)} IS {literal(describe(f))}",
    ]


def _template_bends() -> list[str]:
    """What reading the reports that bend the template records: the template each table was read
    with, blank tables and the counts on ``reports``; the unit of each cell; ``extra_cells``; and
    the ``template`` column of the cell and table rows now names the row's table's template."""
    out = [s for name in BEND_REPORT_COLUMNS for s in _add_column("reports", name)]
    out += _add_column("cells", "unit")
    out += [create_table("extra_cells", EXTRA_CELLS), *comments("extra_cells", EXTRA_CELLS)]
    template = CELLS.field("template")
    for table in ("cells", *T2, "t3", "t4"):
        out.append(f"COMMENT ON COLUMN {ident(table)}.{ident('template')} IS {literal(describe(template))}")
    return out


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_tables", _tables),
    # The extractor's findings live in dq_results only (one stored form per report).
    Migration("0002_reports_without_violations", lambda: ["ALTER TABLE reports DROP COLUMN IF EXISTS violations"]),
    # Which PDF reader read each report (PDFium by default, pdfplumber as the reference).
    Migration("0003_reader_backend", lambda: _add_column("reports", "backend")),
    Migration(ANALYST_MIGRATION, _analyst_tables),
    # Reports that bend the template: per-table templates, blank tables, units, extra cells.
    Migration("0005_template_bends", _template_bends),
    # GX results after human corrections sit beside the as-read ones; rows stored before are as read.
    Migration(
        "0006_dq_basis",
        lambda: [*_add_column("dq_results", "basis"), "UPDATE dq_results SET basis = 'as_read' WHERE basis IS NULL"],
    ),
    Migration("R_dim_region", region_statements, repeatable=True),
    Migration("R_views", view_statements, repeatable=True),
)

_LEDGER = """CREATE TABLE IF NOT EXISTS _migrations (
  name VARCHAR NOT NULL, checksum VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""


def pending(con: Any) -> list[Migration]:
    """Migrations that `migrate` would apply now."""
    con.execute(_LEDGER)
    done = dict(con.execute("SELECT name, checksum FROM _migrations").fetchall())
    return [m for m in MIGRATIONS if m.name not in done or (m.repeatable and done[m.name] != m.checksum())]


def migrate(con: Any) -> list[str]:
    """Apply pending migrations, each in its own transaction; return their names."""
    applied = []
    for m in pending(con):
        con.execute("BEGIN TRANSACTION")
        try:
            for sql in m.statements():
                con.execute(sql)
            con.execute("DELETE FROM _migrations WHERE name = ?", [m.name])
            con.execute("INSERT INTO _migrations (name, checksum) VALUES (?, ?)", [m.name, m.checksum()])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        applied.append(m.name)
    return applied


def schema_drift(con: Any) -> list[str]:
    """Differences between the database tables and `gidar.schema` (empty when in sync)."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    have: dict[str, dict[str, str]] = {}
    for table, col, dtype in rows:
        have.setdefault(table, {})[col] = dtype
    out = []
    for name, schema in ALL_TABLES.items():
        cols = have.get(name)
        if cols is None:
            out.append(f"{name}: missing table")
            continue
        want = {f.name: duck_type(f.type) for f in schema}
        for col, dtype in want.items():
            if col not in cols:
                out.append(f"{name}.{col}: missing column")
            elif cols[col].replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ") != dtype:
                out.append(f"{name}.{col}: {cols[col]} in the database, {dtype} in the schema")
        out += [f"{name}.{col}: not in the schema" for col in cols if col not in want]
    return out
