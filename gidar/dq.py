"""One data-quality finding, whoever produced it: `DQRecord` is a row of ``dq_results``.

Great Expectations suites (expectations/) and the cross-report SQL checks (warehouse/crosschecks.py)
both produce `DQRecord`s; the warehouse stores them as they are. Every rule writes one record per
place it checked, passed or not, so pass rates are real rates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Literal

Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")
# The cell values a rule saw: as read by the extractor, or with a report's active human corrections in place.
AS_READ, CORRECTED = "as_read", "corrected"
DQ_BASES = (AS_READ, CORRECTED)
BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class CellRef:
    """A cell a finding is about, with where it is printed (page and box) when known."""

    report_id: str | None
    key: str | None  # flat cell key; None: the report as a whole
    page: int | None = None
    bbox: BBox | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "key": self.key,
            "page": self.page,
            "bbox": [round(float(v), 2) for v in self.bbox] if self.bbox else None,
        }


@dataclass(frozen=True)
class DQRecord:
    """One evaluated rule instance. Field names are the ``dq_results`` column names."""

    rule: str
    severity: Severity
    passed: bool
    report_id: str | None = None  # None for a cross-report check (its reports are named in `cells`)
    suite: str | None = None  # expectation suite or check group
    invariant: str | None = None  # registry invariant (or domain id) the rule encodes
    table_name: str | None = None
    row_key: str | None = None
    col_key: str | None = None
    observed: str | None = None
    expected: str | None = None
    lhs: float | None = None
    rhs: float | None = None
    cells: tuple[CellRef, ...] = field(default=())
    description: str | None = None
    run_id: str | None = None
    checked_at: datetime | None = None
    basis: str = AS_READ

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        if self.basis not in DQ_BASES:
            raise ValueError(f"basis must be one of {DQ_BASES}, not {self.basis!r}")
        if not self.rule:
            raise ValueError("a DQ record needs a rule")

    @property
    def subject(self) -> str | None:
        """The report a record is about: its own, or a cross-report record's first named report."""
        return self.report_id or next((c.report_id for c in self.cells), None)

    def stamped(self, run_id: str | None, checked_at: datetime) -> DQRecord:
        """The record as stored by one run (keeps a run or time it already has)."""
        return replace(self, run_id=self.run_id or run_id, checked_at=self.checked_at or checked_at)

    def row(self) -> dict[str, Any]:
        """The ``dq_results`` row: `cells` as a JSON list of {report_id, key, page, bbox}."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["cells"] = _cells_json(self.cells)
        return out

    @staticmethod
    def columns(records: Sequence[DQRecord], run_id: str | None, checked_at: datetime) -> dict[str, list[Any]]:
        """The ``dq_results`` rows of ``records`` stamped as `stamped` stamps them, column by column: a batch's
        GX run gives thousands of records, and a stamped copy and a dict per row cost as much as the rest."""
        out: dict[str, list[Any]] = {f.name: [getattr(r, f.name) for r in records] for f in fields(DQRecord)}
        out["cells"] = [_cells_json(c) for c in out["cells"]]
        out["run_id"] = [v or run_id for v in out["run_id"]]
        out["checked_at"] = [v or checked_at for v in out["checked_at"]]
        return out


def _cells_json(cells: Sequence[CellRef]) -> str:
    return json.dumps([c.to_json() for c in cells], ensure_ascii=False)


def as_text(v: object) -> str | None:
    """An observed or expected value as stored: whole floats without ``.0``."""
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
