"""Edges to transform/ and warehouse/ by column name only (no import of transform/).

* `results_from_tables` rebuilds the validation input from the normalised ``reports`` and long
  ``cells`` tables (pandas, e.g. read back from the Parquet lake), so the same suites validate
  freshly extracted results and stored data.
* `dq_records` flattens `DQResult` rows into the ``dq_results`` table layout of
  gidar/schema.py (``table_name``, ``row_key``, ``col_key``, observed as text, cells as a
  JSON list of {report_id, key, page, bbox}).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from typing import Any

import pandas as pd

from gidar.contract import Cell, ExtractionResult, Metadata

from .frames import Frames, locate
from .validate import DQResult


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def results_from_tables(reports: pd.DataFrame, cells: pd.DataFrame) -> list[ExtractionResult]:
    """ExtractionResults (id in ``sha256``) from a ``reports`` and a long ``cells`` frame.

    Metadata fields are read from same-named columns, or ``metadata_<name>`` where the reports
    table prefixes a clashing name (``template``)."""
    by_report: dict[str, list[Cell]] = {}
    for rec in cells.to_dict("records"):
        box = [_clean(rec.get(k)) for k in ("x0", "top", "x1", "bottom")]
        page = _clean(rec.get("page"))
        value = _clean(rec.get("value"))
        by_report.setdefault(rec["report_id"], []).append(
            Cell(
                key=rec["key"],
                value=value,
                raw=_clean(rec.get("raw")) or "",
                page=None if page is None else int(page),
                bbox=None if any(b is None for b in box) else tuple(box),  # type: ignore[arg-type]
            )
        )
    out = []
    for rec in reports.to_dict("records"):
        meta = {}
        for f in fields(Metadata):
            col = f"metadata_{f.name}" if f"metadata_{f.name}" in rec else f.name
            meta[f.name] = _clean(rec.get(col))
        if meta.get("report_year") is not None:
            meta["report_year"] = int(meta["report_year"])
        out.append(
            ExtractionResult(
                source=_clean(rec.get("source")) or "",
                sha256=rec["report_id"],
                status=_clean(rec.get("status")) or "ok",
                message=_clean(rec.get("message")) or "",
                template=_clean(rec.get("template")),
                metadata=Metadata(**meta),
                cells=by_report.get(rec["report_id"], []),
            )
        )
    return out


def dq_records(
    results: Iterable[DQResult], frames: Frames, *, run_id: str | None = None, checked_at: datetime | None = None
) -> list[dict[str, Any]]:
    """Rows for the warehouse ``dq_results`` table; failing rows carry the cells' pages and boxes."""
    out = []
    for r in results:
        cells = (
            [
                {"report_id": r.report_id, "key": c["key"], "page": c["page"], "bbox": c["bbox"]}
                for c in locate(frames, r.report_id, r.cells)
            ]
            if not r.passed
            else [{"report_id": r.report_id, "key": k} for k in r.cells]
        )
        out.append(
            {
                "report_id": r.report_id,
                "run_id": run_id,
                "rule": r.rule,
                "invariant": r.invariant,
                "suite": r.suite,
                "table_name": r.table,
                "row_key": r.row,
                "col_key": r.col,
                "severity": r.severity,
                "passed": r.passed,
                "observed": None if r.observed is None else _text(r.observed),
                "expected": r.expected,
                "lhs": r.lhs,
                "rhs": r.rhs,
                "cells": json.dumps(cells, ensure_ascii=False),
                "description": r.description,
                "checked_at": checked_at,
            }
        )
    return out


def _text(v: float | str) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
