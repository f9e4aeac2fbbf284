"""ExtractionResult → typed Arrow tables (pure) and the hive-partitioned Parquet lake (one writer).

Public API: `build_tables`, `build_t3_normalised`, `write_report`,
`read_report`, `read_table`; schemas in `gidar.schema`.
"""

from .build import build_tables
from .lake import read_report, read_table, write_report
from .t3norm import build_t3_normalised

__all__ = ["build_t3_normalised", "build_tables", "read_report", "read_table", "write_report"]
