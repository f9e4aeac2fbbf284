"""DuckDB warehouse: schema (from gidar.schema), transactional loads, views.

Public API (see the modules for details): `connect`, `load_report`, `load_reports`,
`rebuild_from_lake`, `delete_report`, `load_dq`, `load_dq_batch`, `replace_cross_report_dq`, `dq_table`, `record_run`.
"""

from .db import SchemaDriftError, connect
from .load import (
    delete_report,
    dq_table,
    load_dq,
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
    "delete_report",
    "dq_table",
    "load_dq",
    "load_dq_batch",
    "load_report",
    "load_reports",
    "rebuild_from_lake",
    "record_run",
    "replace_cross_report_dq",
]
