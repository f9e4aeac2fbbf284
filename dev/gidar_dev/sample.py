"""Registry-consistent `ExtractionResult`s without PDFs, for tests and demos downstream.

Values satisfy every invariant of the template (checked in tests against gidar.invariants), so a
test can break exactly one cell and know what must fail.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from gidar.contract import Cell, ExtractionResult, Metadata
from gidar.templates import T3_APPLICANT_COLUMNS, TEMPLATES, template_for_year


def _t3_column(t_rows: Sequence[tuple[str, str]], rnd: random.Random) -> dict[str, int]:
    """One applicant column of table 三 that balances (result_total and 一+二 = 三+四)."""
    col = {key: rnd.choice((0, 0, 1, 2, 5)) for key, kind in t_rows if kind == "leaf"}
    col["result_total"] = sum(col.values())
    col["carried_forward"] = rnd.randint(0, 3)
    col["carried_over"] = rnd.randint(0, col["result_total"] + col["carried_forward"])
    col["new_received"] = col["result_total"] + col["carried_forward"] - col["carried_over"]
    return col


def sample_values(version: str, seed: int = 0) -> dict[str, int | float]:
    """Flat ``key -> value`` for every cell of the template, all invariants holding."""
    t = TEMPLATES[version]
    rnd = random.Random(f"{version}:{seed}")
    values: dict[str, int | float] = {}
    for key, vtype in t.cells("t2"):
        values[key] = (
            round(rnd.uniform(0, 1e5), 2) if vtype == "money" else rnd.randint(-5 if vtype == "signed" else 0, 50)
        )
    rows = [(r.key, r.kind) for r in t.t3_rows]
    cols = {c: _t3_column(rows, rnd) for c in T3_APPLICANT_COLUMNS}
    for r, _ in rows:
        for c in T3_APPLICANT_COLUMNS:
            values[f"t3.{r}.{c}"] = cols[c][r]
        values[f"t3.{r}.total"] = sum(cols[c][r] for c in T3_APPLICANT_COLUMNS)
    for b in t.t4_blocks:
        parts = [c.key for c in t.t4_columns if c.key != "total"]
        for c in parts:
            values[f"t4.{b.key}.{c}"] = rnd.randint(0, 4)
        values[f"t4.{b.key}.total"] = sum(int(values[f"t4.{b.key}.{c}"]) for c in parts)
    return values


def sample_result(
    year: int = 2024,
    region_code: str | None = "330922",
    seed: int = 0,
    *,
    version: str | None = None,
    sha256: str | None = None,
    source: str | None = None,
) -> ExtractionResult:
    """An ``ok`` result with every cell of the year's template, positioned on pages 2-4."""
    t = TEMPLATES[version] if version else template_for_year(year)
    sha = sha256 or hashlib.sha256(f"{t.version}:{year}:{region_code}:{seed}".encode()).hexdigest()
    cells = []
    for i, (key, value) in enumerate(sample_values(t.version, seed).items()):
        page = {"t2": 2, "t3": 3, "t4": 4}[key[:2]]
        x0, top = 100.0 + 40 * (i % 7), 80.0 + 18 * (i // 7 % 30)
        cells.append(Cell(key, value, str(value), page, (x0, top, x0 + 38, top + 16)))
    return ExtractionResult(
        source=source or f"/data/{sha[:8]}.pdf",
        sha256=sha,
        status="ok",
        message="tables read",
        template=t.version,
        metadata=Metadata(
            agency="嵊泗县人民政府",
            agency_type="government",
            region_code=region_code,
            report_year=year,
            template=t.version,
        ),
        cells=cells,
        quality="consistent",
        n_pages=5,
        text_layer=True,
        method="text",
        seconds=0.5,
        parser_version="sample",
        narrative="总体情况",
    )
