"""One `ExtractionResult` → the typed Arrow tables of `gidar.schema` (pure, in memory)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import cache
from pathlib import PurePath
from typing import Any

import pyarrow as pa

from gidar.contract import Cell, ExtractionResult, Metadata, as_result
from gidar.keys import Key
from gidar.schema import REPORT_TABLES, metadata_column, t2_table_name
from gidar.templates import T3_COLUMNS, T4_COLUMNS, TEMPLATES, Template


@dataclass(frozen=True)
class KeyInfo:
    """Where a flat key sits in its template."""

    table: str
    block: str | None
    row: str | None
    col: str
    seq: int
    value_type: str
    block_order: int | None
    row_order: int | None


@cache
def key_index(version: str) -> dict[str, KeyInfo]:
    """Every value key of a template with its table coordinates and printed order."""
    t = TEMPLATES[version]
    out: dict[str, KeyInfo] = {}
    types = dict(t.cells())

    def add(key: str, table: str, block: str | None, row: str | None, col: str, bo: int | None, ro: int | None):
        out[key] = KeyInfo(table, block, row, col, len(out), types[key], bo, ro)

    for bi, b in enumerate(t.t2_blocks):
        for ri, r in enumerate(b.rows):
            for c in b.columns:
                add(str(Key.t2(b.key, r.key, c.key)), "t2", b.key, r.key, c.key, bi, ri)
    for ri, r in enumerate(t.t3_rows):
        for c in t.t3_columns:
            add(str(Key.t3(r.key, c.key)), "t3", None, r.key, c.key, None, ri)
    for bi, b in enumerate(t.t4_blocks):
        for c in t.t4_columns:
            add(str(Key.t4(b.key, c.key)), "t4", b.key, None, c.key, bi, None)
    if set(out) != set(types):  # the walk above must mirror Template.cells()
        raise AssertionError(f"key index of {version} disagrees with the registry")
    return out


def effective_template(r: ExtractionResult) -> Template | None:
    """The template the report follows (its tables 三/四): the extractor's verdict, else the metadata's."""
    for v in (r.template, r.metadata.template):
        if v in TEMPLATES:
            return TEMPLATES[v]
    return None


def table_template(r: ExtractionResult, t: Template | None, table: str) -> Template | None:
    """The template one table was read with (table 二 may follow another layout than the report)."""
    return TEMPLATES.get(r.table_templates.get(table, ""), t)


def _stored_value(c: Cell) -> float | None:
    """A cell of a table printed blank is no real zero: it is stored as null (raw "", flagged)."""
    return None if "table_blank" in c.flags else _num(c.value)


def _check_unique(cells: list[Cell]) -> None:
    seen: set[str] = set()
    dup = sorted({c.key for c in cells if c.key in seen or seen.add(c.key)})  # type: ignore[func-returns-value]
    if dup:
        raise ValueError(f"duplicate cell keys in extraction result: {dup[:5]}")


def _num(v: int | float | None) -> float | None:
    return None if v is None else float(v)


def report_row(r: ExtractionResult, t: Template | None, extracted_at: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "report_id": r.sha256,
        "source": r.source,
        "file_name": PurePath(r.source).name if r.source else None,
        "status": r.status,
        "message": r.message,
        "template": t.version if t else None,
        "quality": r.quality,
        "review": list(r.review),
    }
    row.update({metadata_column(f.name): getattr(r.metadata, f.name) for f in fields(Metadata)})
    row.update(
        n_pages=r.n_pages,
        text_layer=r.text_layer,
        method=r.method,
        backend=r.backend,
        seconds=r.seconds,
        parser_version=r.parser_version,
        narrative=r.narrative,
        extracted_at=extracted_at,
        n_cells=len(r.cells),
        n_values=sum(c.value is not None for c in r.cells),
        n_review=len(r.review),
        n_violations=len(r.violations),
        t2_template=r.table_templates.get("t2"),
        t3_template=r.table_templates.get("t3"),
        t4_template=r.table_templates.get("t4"),
        blank_tables=list(r.blank_tables),
        n_extra_cells=len(r.extra_cells),
        n_unconfirmed=len(r.unconfirmed),
    )
    return row


def cell_rows(r: ExtractionResult, t: Template | None) -> Iterator[dict[str, Any]]:
    by_table = {name: table_template(r, t, name) for name in ("t2", "t3", "t4")}
    for c in r.cells:
        parsed = Key.try_parse(c.key)
        tt = by_table.get(parsed.table) if parsed else t
        info = key_index(tt.version).get(c.key) if tt else None
        keys = _keys(r, tt)
        table, block, row, col = (
            (info.table, info.block, info.row, info.col)
            if info
            else (parsed.table, parsed.block, parsed.row, parsed.col)
            if parsed
            else (c.key.split(".", 1)[0] or None, None, None, None)
        )
        x0, top, x1, bottom = c.bbox if c.bbox else (None, None, None, None)
        yield {
            **keys,
            "table": table,
            "block": block,
            "row": row,
            "col": col,
            "key": c.key,
            "seq": info.seq if info else None,
            "value_type": info.value_type if info else None,
            "value": _stored_value(c),
            "unit": c.unit,
            "raw": c.raw,
            "page": c.page,
            "x0": x0,
            "top": top,
            "x1": x1,
            "bottom": bottom,
            "conf": c.conf,
            "flags": list(c.flags),
        }


def _keys(r: ExtractionResult, t: Template | None) -> dict[str, Any]:
    return {
        "report_id": r.sha256,
        "report_year": r.metadata.report_year,
        "region_code": r.metadata.region_code,
        "template": t.version if t else None,
    }


def _wide(r: ExtractionResult, t: Template, table: str, columns: list[str]) -> list[dict[str, Any]]:
    """Pivot one table's known cells: one output row per distinct coordinate that was read."""
    index = key_index(t.version)
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for c in r.cells:
        info = index.get(c.key)
        if info is None or info.table != table:
            continue
        at = {"t2": (info.block_order, info.row_order), "t3": (info.row_order,), "t4": (info.block_order,)}[table]
        rec = out.get(at)
        if rec is None:
            rec = {**_keys(r, t), **dict.fromkeys(columns)}
            if table == "t2":
                rec.update(block=info.block, row=info.row, block_order=info.block_order, row_order=info.row_order)
            elif table == "t3":
                rec.update(row=info.row, row_order=info.row_order, row_kind=t.t3_rows[info.row_order].kind)  # type: ignore[index]
            else:
                rec.update(block=info.block, block_order=info.block_order)
            out[at] = rec
        rec[info.col] = _stored_value(c)
    return [out[k] for k in sorted(out)]


def extra_rows(r: ExtractionResult, t: Template | None) -> Iterator[dict[str, Any]]:
    """One row per extra cell, keyed like the table it was printed in."""
    for x in r.extra_cells:
        x0, top, x1, bottom = x.bbox if x.bbox else (None, None, None, None)
        yield {
            **_keys(r, table_template(r, t, x.table)),
            "table": x.table,
            "block": x.block,
            "col": x.col,
            "label": x.label,
            "value": _num(x.value),
            "unit": x.unit,
            "raw": x.raw,
            "page": x.page,
            "x0": x0,
            "top": top,
            "x1": x1,
            "bottom": bottom,
            "flags": list(x.flags),
        }


def build_tables(
    result: ExtractionResult | Mapping[str, Any], *, extracted_at: datetime | None = None
) -> dict[str, pa.Table]:
    """All `REPORT_TABLES` for one report (tables without rows are empty, never missing)."""
    r = as_result(result)
    if not r.sha256:
        raise ValueError(f"extraction result of {r.source!r} has no sha256: cannot identify the report")
    _check_unique(r.cells)
    t = effective_template(r)
    at = extracted_at or datetime.now(UTC)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in REPORT_TABLES}
    rows["reports"] = [report_row(r, t, at)]
    rows["cells"] = list(cell_rows(r, t))
    rows["extra_cells"] = list(extra_rows(r, t))
    t2 = table_template(r, t, "t2")
    if t2 is not None:  # table 二 goes to the table of the layout actually printed
        t2_cols = [c.key for b in t2.t2_blocks for c in b.columns]
        rows[t2_table_name(t2)] = _wide(r, t2, "t2", list(dict.fromkeys(t2_cols)))
    t3, t4 = table_template(r, t, "t3"), table_template(r, t, "t4")
    if t3 is not None:
        rows["t3"] = _wide(r, t3, "t3", [c.key for c in T3_COLUMNS])
    if t4 is not None:
        rows["t4"] = _wide(r, t4, "t4", [c.key for c in T4_COLUMNS])
    return {name: pa.Table.from_pylist(rows[name], schema=schema) for name, schema in REPORT_TABLES.items()}
