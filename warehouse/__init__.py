"""DuckDB warehouse: schema (from gidar.schema), transactional loads, views.

Public API (see the modules for details): `connect`, `load_report`, `load_reports`,
`rebuild_from_lake`, `load_dq_batch`, `replace_cross_report_dq`, `dq_table`, `record_run`.
"""

from .db import SchemaDriftError, connect
from .load import (
    dq_table,
    load_dq_batch,
    load_report,
    load_reports,
    rebuild_from_lake,
    record_run,
    replace_cross_report_dq,
)

__all__ = [
    "SchemaDriftError",
    "connect",
    "dq_table",
    "load_dq_batch",
    "load_report",
    "load_reports",
    "rebuild_from_lake",
    "record_run",
    "replace_cross_report_dq",
]
