"""Re-load saved ``gidar extract`` JSON into the `ExtractionResult` dataclass.

The JSON contract may gain fields (never lose or rename them), so unknown keys are ignored and
missing optional ones take the dataclass defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from gidar.extract.model import Cell, ExtractionResult, Metadata

from gidar.invariants import Violation


def _known(cls: type, d: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def _cell(d: Mapping[str, Any]) -> Cell:
    bbox = d.get("bbox")
    return Cell(
        key=d["key"],
        value=d.get("value"),
        raw=d.get("raw") or "",
        page=d.get("page"),
        bbox=tuple(bbox) if bbox else None,  # type: ignore[arg-type]
        conf=d.get("conf"),
        flags=list(d.get("flags") or []),
    )


def _violation(d: Mapping[str, Any]) -> Violation:
    kw = _known(Violation, d)
    kw["cells"] = tuple(kw.get("cells") or ())
    return Violation(**kw)


def result_from_json(d: Mapping[str, Any]) -> ExtractionResult:
    """Inverse of `ExtractionResult.to_json`; ``cells`` win over the redundant ``values`` map."""
    kw = _known(ExtractionResult, d)
    kw["metadata"] = Metadata(**_known(Metadata, d.get("metadata") or {}))
    cells = d.get("cells")
    if cells is None:  # a values-only dict (hand-made or older JSON): positions unknown
        cells = [{"key": k, "value": v} for k, v in (d.get("values") or {}).items()]
    kw["cells"] = [_cell(c) for c in cells]
    kw["violations"] = [_violation(v) for v in d.get("violations") or []]
    kw["review"] = list(d.get("review") or [])
    kw["seconds"] = float(d.get("seconds") or 0.0)
    kw["parser_version"] = d.get("parser_version") or ""
    return ExtractionResult(**kw)


def as_result(obj: ExtractionResult | Mapping[str, Any]) -> ExtractionResult:
    return obj if isinstance(obj, ExtractionResult) else result_from_json(obj)
