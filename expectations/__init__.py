"""Great Expectations suites generated from the template registry (gidar/templates.py).

Public API: `build_frames` (ExtractionResult → frames), `validate_reports` (frames → `DQResult`
rows, optional Data Docs), `validate_results` (both), `suite_catalogue` (every rule, no GX import),
`results_from_tables` (normalised reports + cells frames → input), `dq_records` (→ dq_results rows),
`locate` (failing cells → page, bbox).
GX itself is imported only inside `validate_reports`.
"""

from .adapters import dq_records, results_from_tables
from .frames import Frames, build_frames, locate
from .rules import suite_catalogue, suites
from .validate import DQResult, failures, validate_reports, validate_results

__all__ = [
    "DQResult",
    "Frames",
    "build_frames",
    "dq_records",
    "failures",
    "locate",
    "results_from_tables",
    "suite_catalogue",
    "suites",
    "validate_reports",
    "validate_results",
]
