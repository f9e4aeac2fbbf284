"""`ExtractionResult`s without PDFs, for the tests of the stages downstream of extract/.

Values come from `gidar_dev.synth.values.draw_values` (the one generator of invariant-satisfying
values), from a truth file, or from the caller; `result_from_values` wraps them as the extractor
would (status, quality and violations from `gidar.invariants.check`), so a test can break one
cell and know what must fail.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from gidar.contract import BBox, Cell, ExtractionResult, Metadata, Status
from gidar.invariants import check
from gidar.templates import TEMPLATES, template_for_year
from gidar_dev.synth.values import Number, draw_values

# Where a cell is printed: (page, (x0, top, x1, bottom)) in PDF points.
Placement = tuple[int, BBox]


def result_from_values(
    values: Mapping[str, Number],
    template: str | None,
    *,
    report_id: str,
    metadata: Metadata | None = None,
    source: str | None = None,
    status: Status = "ok",
    message: str = "",
    placements: Mapping[str, Placement] | None = None,
    narrative: str | None = None,
    n_pages: int | None = None,
) -> ExtractionResult:
    """A result holding exactly ``values`` (in their order), positioned at ``placements`` where given.

    Violations and quality are what the extractor reports for such printed values; the
    metadata's template is ``template`` unless the metadata says otherwise.
    """
    t = TEMPLATES.get(template or "")
    placements = placements or {}
    cells = [Cell(k, v, str(v), *placements.get(k, (None, None))) for k, v in values.items()]
    violations = check(t, values) if t is not None and status == "ok" else []
    meta = metadata or Metadata()
    meta.template = meta.template or template
    return ExtractionResult(
        source=source or f"{report_id}.pdf",
        sha256=report_id,
        status=status,
        message=message,
        template=template,
        metadata=meta,
        cells=cells,
        violations=violations,
        quality="unread" if status != "ok" else "publisher_violations" if violations else "consistent",
        n_pages=n_pages,
        text_layer=True if status == "ok" else None,
        method="text" if status == "ok" else None,
        parser_version="sample",
        narrative=narrative,
    )


def _placements(keys: list[str]) -> dict[str, Placement]:
    """A made-up but plausible layout: tables 二, 三, 四 on pages 2, 3, 4, seven cells a line."""
    out = {}
    for i, key in enumerate(keys):
        x0, top = 100.0 + 40 * (i % 7), 80.0 + 18 * (i // 7 % 30)
        out[key] = ({"t2": 2, "t3": 3, "t4": 4}[key[:2]], (x0, top, x0 + 38, top + 16))
    return out


def sample_result(
    year: int = 2024,
    region_code: str | None = "330922",
    seed: int = 0,
    *,
    version: str | None = None,
    sha256: str | None = None,
    source: str | None = None,
) -> ExtractionResult:
    """An ``ok``, consistent result with every cell of the year's template, positioned on pages 2-4."""
    t = TEMPLATES[version] if version else template_for_year(year)
    sha = sha256 or hashlib.sha256(f"{t.version}:{year}:{region_code}:{seed}".encode()).hexdigest()
    values = draw_values(t, random.Random(f"{t.version}:{year}:{seed}"))
    meta = Metadata(
        agency="嵊泗县人民政府",
        agency_type="government",
        region_code=region_code,
        report_year=year,
        template=t.version,
    )
    r = result_from_values(
        values,
        t.version,
        report_id=sha,
        metadata=meta,
        source=source or f"/data/{sha[:8]}.pdf",
        placements=_placements(list(values)),
        narrative="总体情况",
        n_pages=5,
    )
    r.message, r.seconds = "tables read", 0.5
    return r


def result_from_truth(truth: Mapping[str, Any], source: str | None = None) -> ExtractionResult:
    """A disclosure report's truth (docs/truth-format.md) as the result a perfect reading gives."""
    known = {f.name for f in fields(Metadata)}
    meta = Metadata(**{k: v for k, v in truth["metadata"].items() if k in known})
    return result_from_values(
        truth["values"],
        truth["template"],
        report_id=truth["id"],
        metadata=meta,
        source=source or truth["file"],
        n_pages=truth.get("render", {}).get("n_pages"),
    )
