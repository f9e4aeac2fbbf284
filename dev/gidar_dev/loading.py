"""Loading test reports into a warehouse the way ingestion does, and counting what landed."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from gidar.contract import ExtractionResult
from gidar.schema import ALL_TABLES


def load_results(
    con: duckdb.DuckDBPyConnection, results: Sequence[ExtractionResult], *, validate: bool = False
) -> None:
    """Load results as a batch of ingestion does: `build_tables`, the GX findings on those very tables
    (with ``validate``), then `load_dq_batch` and `load_reports`, each in one transaction."""
    from gidar.transform import build_tables
    from gidar.warehouse import load_dq_batch, load_reports

    tables = [build_tables(r) for r in results]
    if validate:
        from gidar.expectations import validate_tables

        reports = pa.concat_tables([t["reports"] for t in tables])
        load_dq_batch(con, validate_tables(reports, pa.concat_tables([t["cells"] for t in tables])))
    load_reports(con, tables)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every warehouse table (views excluded)."""
    return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in ALL_TABLES}
