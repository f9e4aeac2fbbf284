"""Great Expectations suites generated from the template registry (gidar/templates.py), run on the
stored tables.

Public API: `validate_tables` (stored ``reports`` + ``cells`` Arrow tables → `gidar.dq.DQRecord`s),
`build_frames` / `validate_reports` (the same in two steps), `locate` (cells → page, bbox),
`failures`, `suite_catalogue` (every rule, no GX import), `suites`.
GX itself is imported only inside `validate_reports`.
"""

from .frames import Frames, build_frames, locate
from .rules import suite_catalogue, suites
from .validate import failures, validate_reports, validate_tables

__all__ = [
    "Frames",
    "build_frames",
    "failures",
    "locate",
    "suite_catalogue",
    "suites",
    "validate_reports",
    "validate_tables",
]
