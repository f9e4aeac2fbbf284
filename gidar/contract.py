"""The contract between the stages: what reading one report yields, and its one JSON form.

extract/ produces an `ExtractionResult`; transform/ turns it into the stored tables; tests and
``gidar extract`` read and write it as JSON. `ExtractionResult.to_json` / `result_from_json` are
the only JSON writer and reader. The JSON is the stable ``gidar extract`` contract (README):
later work may add fields, never rename or drop them; unknown keys are ignored on reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from gidar.invariants import Violation

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin top-left

# ok: tables read; the rest say why a report could not be (fully) read.
Status = Literal[
    "ok",
    "uncertain",  # read, but some cells could not be read with confidence (see `review`)
    "empty",  # zero-byte or whitespace-only file
    "not_pdf",  # e.g. an HTML page saved as .pdf
    "unreadable",  # corrupt or truncated PDF
    "encrypted",  # password-protected
    "needs_ocr",  # image-only and OCR unavailable or failed
    "not_a_report",  # a PDF, but not a disclosure annual report
    "table_not_found",  # a report, but its tables could not be located
    "too_large",  # over a resource budget (pages, page area, bytes): extract.budget.Budget
    "timeout",  # over the wall-clock budget per file
    "error",  # the extractor raised: a gidar bug, not a property of the file (traceback in the log)
]
# The reading verdict: how far the numbers can be trusted (docs/domain.md §3.5: a misreading must
# never be reported as a publisher's error).
Quality = Literal["consistent", "publisher_violations", "uncertain", "unread"]


@dataclass
class Cell:
    key: str  # flat registry key, e.g. t3.granted.total
    value: int | float | None
    raw: str  # printed text, "" for a blank cell
    page: int | None
    bbox: BBox | None
    conf: float | None = None
    flags: list[str] = field(default_factory=list)  # e.g. blank_as_zero, ocr_low_conf, table_blank
    unit: str | None = None  # unit as printed in the cell or its column header (元, 万元, 宗…); never converted

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"key": self.key, "value": self.value, "raw": self.raw, "page": self.page}
        d["bbox"] = [round(v, 2) for v in self.bbox] if self.bbox else None
        if self.conf is not None:
            d["conf"] = round(self.conf, 3)
        if self.flags:
            d["flags"] = list(self.flags)
        if self.unit is not None:
            d["unit"] = self.unit
        return d


@dataclass
class ExtraCell:
    """A value printed in a row the template does not have (table 二's 其他主动公开文件（…）): kept,
    never mistaken for a template cell."""

    table: str  # t2 | t3 | t4
    block: str | None  # the template block it was printed in
    col: str | None  # the template column it sits under
    label: str  # the row label as printed
    raw: str
    value: int | float | None
    page: int | None
    bbox: BBox | None
    unit: str | None = None
    flags: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["bbox"] = [round(v, 2) for v in self.bbox] if self.bbox else None
        d["flags"] = list(self.flags)
        return d


@dataclass
class Metadata:
    agency: str | None = None  # as printed in the title
    agency_type: str | None = None  # government | department | township
    unit: str | None = None
    region_code: str | None = None  # code at the body's level (county for county/township bodies), see `level`
    region_name: str | None = None
    prefecture: str | None = None
    province: str | None = None
    report_year: int | None = None  # statistics year, not publication year
    title: str | None = None
    template: str | None = None
    level: str | None = None  # province | prefecture | county | township (None: unknown)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ExtractionResult:
    source: str
    sha256: str
    status: Status
    message: str
    template: str | None = None
    metadata: Metadata = field(default_factory=Metadata)
    cells: list[Cell] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    quality: Quality = "unread"
    review: list[str] = field(default_factory=list)  # keys of cells that need a human look
    n_pages: int | None = None
    text_layer: bool | None = None
    method: str | None = None  # text | ocr
    seconds: float = 0.0
    parser_version: str = ""
    narrative: str | None = None  # text of section 一 (总体情况), for narrative-vs-table checks
    backend: str | None = None  # the PDF reader that read the file: pdfium | pdfplumber (None: never opened)
    # The template each table was read with: table 二 of a 2021+ report may follow the 2019 layout
    # (`template` is tables 三/四's). Empty when no table was read.
    table_templates: dict[str, str] = field(default_factory=dict)
    extra_cells: list[ExtraCell] = field(default_factory=list)  # rows outside the template, kept
    # Broken identities NOT blamed on the publisher: some of their cells were not read cleanly
    # (they are in `review`); `violations` holds only the publisher's.
    unconfirmed: list[Violation] = field(default_factory=list)
    blank_tables: list[str] = field(default_factory=list)  # tables printed without one value (unfilled)

    @property
    def values(self) -> dict[str, int | float]:
        return {c.key: c.value for c in self.cells if c.value is not None}

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "template": self.template,
            "metadata": self.metadata.to_json(),
            "values": self.values,
            "cells": [c.to_json() for c in self.cells],
            "violations": [v.to_dict() for v in self.violations],
            "quality": self.quality,
            "review": self.review,
            "source": self.source,
            "sha256": self.sha256,
            "n_pages": self.n_pages,
            "text_layer": self.text_layer,
            "method": self.method,
            "seconds": round(self.seconds, 3),
            "parser_version": self.parser_version,
            "narrative": self.narrative,
            "backend": self.backend,
            "table_templates": dict(self.table_templates),
            "extra_cells": [x.to_json() for x in self.extra_cells],
            "unconfirmed_violations": [v.to_dict() for v in self.unconfirmed],
            "blank_tables": list(self.blank_tables),
        }


# --- reading the JSON back -----------------------------------------------------------------


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
        unit=d.get("unit"),
    )


def _extra_cell(d: Mapping[str, Any]) -> ExtraCell:
    kw = _known(ExtraCell, d)
    bbox = kw.get("bbox")
    kw["bbox"] = tuple(bbox) if bbox else None
    kw["flags"] = list(kw.get("flags") or [])
    kw.setdefault("raw", "")
    return ExtraCell(**{"table": "t2", "block": None, "col": None, "label": "", "value": None, "page": None, **kw})


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
    kw["unconfirmed"] = [_violation(v) for v in d.get("unconfirmed_violations") or []]
    kw["extra_cells"] = [_extra_cell(x) for x in d.get("extra_cells") or []]
    kw["table_templates"] = dict(d.get("table_templates") or {})
    kw["blank_tables"] = list(d.get("blank_tables") or [])
    kw["review"] = list(d.get("review") or [])
    kw["seconds"] = float(d.get("seconds") or 0.0)
    kw["parser_version"] = d.get("parser_version") or ""
    return ExtractionResult(**kw)


def as_result(obj: ExtractionResult | Mapping[str, Any]) -> ExtractionResult:
    return obj if isinstance(obj, ExtractionResult) else result_from_json(obj)
