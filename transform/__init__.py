"""ExtractionResult → typed Arrow tables (pure) and the hive-partitioned Parquet lake (one writer).

Public API: `build_tables`, `write_report`,
`read_report`, `read_table`; schemas in `gidar.schema`.
"""

from .build import build_tables
from .lake import read_report, read_table, write_report

__all__ = ["build_tables", "read_report", "read_table", "write_report"]
