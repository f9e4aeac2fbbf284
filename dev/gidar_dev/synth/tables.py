"""Tables 二, 三 and 四 as printable grids, plus their truth records (`tables` of the truth JSON).

Labels, column order and grouping all come from the template; printed text goes through
`gidar_dev.synth.text` (drift and value formatting) and is recorded exactly as drawn.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gidar.templates import (
    RESULTS,
    T2_CONTENT_HEADER,
    T3_APPLICANT_COLUMNS,
    T3_APPLICANT_HEADER,
    T3_LEGAL_PERSON_HEADER,
    T3_NOTE,
    Column,
    Row,
    Template,
)
from gidar_dev.synth.canvas import CID_FONT, Grid, GridCell, text_width
from gidar_dev.synth.options import LayoutOptions
from gidar_dev.synth.text import drift, format_value, money_unit, pick_label

Number = int | float


@dataclass
class Ctx:
    template: Template
    values: Mapping[str, Number]
    opts: LayoutOptions
    rng: random.Random
    width: float  # printable width in points
    font: str = CID_FONT

    def widest(self, table: str, keys_cols: list[tuple[str, Column]], size: float) -> float:
        """Width of the widest printed value, so numbers never wrap inside a cell."""
        return max(text_width(self.fmt(k, c, table), self.font, size) for k, c in keys_cols)

    def fmt(self, key: str, col: Column, table: str) -> str:
        return format_value(self.values[key], col.value_type, table, self.opts, self.template.version)


def t3_label_path(row: Row) -> list[str]:
    """Canonical label path of a table-三 row: results sit under 三、本年度办理结果."""
    path = [row.label]
    if row.group:
        path.insert(0, row.group)
    if row.kind in ("leaf", "result_total") and path[0] != RESULTS:
        path.insert(0, RESULTS)
    return path


def _column_label(col: Column, ctx: Ctx) -> str:
    label = pick_label(col.label, col.variants, ctx.opts, ctx.rng)
    unit = money_unit(ctx.template.version)
    if col.value_type == "money" and ctx.opts.money_unit == "header" and unit not in label:
        label += f"（{unit}）"
    return label


# --- table 二 -------------------------------------------------------------------------------


def table2(ctx: Ctx) -> tuple[list[tuple[str | None, Grid]], dict[str, Any]]:
    """Grids of table 二 (one per block, or one for all) with optional caption lines."""
    t, o = ctx.template, ctx.opts
    size = o.table_size["t2"]
    ncol = max(len(b.columns) for b in t.t2_blocks)
    width = ctx.width * o.table_width_frac
    label_w = width * ctx.rng.uniform(0.3, 0.4)
    widths = [label_w] + [(width - label_w) / ncol] * ncol
    truth_blocks = []
    parts: list[tuple[str | None, Grid]] = []
    cells: list[GridCell] = []
    r = 0
    for b in t.t2_blocks:
        caption = pick_label(b.label, b.variants, o, ctx.rng)
        rb: dict[str, Any] = {"key": b.key, "label": b.label, "rendered_label": caption, "columns": [], "rows": []}
        if o.t2_layout == "blocks":
            cells, r = [], 0
        line_caption = o.t2_layout == "blocks" and o.t2_caption == "line"
        if not line_caption:
            cells.append(GridCell(r, 0, caption, c1=ncol + 1, align="left" if ctx.rng.random() < 0.5 else "center"))
            r += 1
        cells.append(GridCell(r, 0, T2_CONTENT_HEADER))
        for i, col in enumerate(b.columns):
            last = i == len(b.columns) - 1
            label = _column_label(col, ctx)
            cells.append(GridCell(r, 1 + i, label, c1=ncol + 1 if last else 2 + i))
            rb["columns"].append({"key": col.key, "label": col.label, "value_type": col.value_type})
        r += 1
        for row in b.rows:
            rendered = pick_label(row.label, row.variants, o, ctx.rng)
            cells.append(GridCell(r, 0, rendered, align=o.label_align))
            texts, vals = {}, {}
            for i, col in enumerate(b.columns):
                key = f"t2.{b.key}.{row.key}.{col.key}"
                texts[col.key] = ctx.fmt(key, col, "t2")
                vals[col.key] = ctx.values[key]
                last = i == len(b.columns) - 1
                cells.append(GridCell(r, 1 + i, texts[col.key], c1=ncol + 1 if last else 2 + i, align=o.value_align))
            rb["rows"].append(
                {"key": row.key, "label": row.label, "rendered_label": rendered, "values": vals, "texts": texts}
            )
            r += 1
        truth_blocks.append(rb)
        if o.t2_layout == "blocks":
            parts.append((caption if line_caption else None, Grid(widths, cells, r, 0, size, size * 1.9)))
    if o.t2_layout == "single":
        parts.append((None, Grid(widths, cells, r, 0, size, size * 1.9)))
    return parts, {"title": t.t2_title, "blocks": truth_blocks}


# --- table 三 -------------------------------------------------------------------------------


def _merge_runs(labels: list[str | None]) -> list[tuple[int, int, str]]:
    """Runs of equal consecutive non-None labels as (first, end, label)."""
    runs: list[tuple[int, int, str]] = []
    for i, lab in enumerate(labels):
        if lab is None:
            continue
        if runs and runs[-1][2] == lab and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1, lab)
        else:
            runs.append((i, i + 1, lab))
    return runs


def table3(ctx: Ctx) -> tuple[Grid, dict[str, Any]]:
    t, o = ctx.template, ctx.opts
    size = o.table_size["t3"]
    pad = 2.5
    width = ctx.width * o.table_width_frac
    g = size + 2 * pad + 1.5 if o.t3_group_style == "vertical" else size * 3 + 2 * pad + 1
    if o.t3_label_width == "narrow":  # long labels wrap over two or three lines
        leaf = size * 12 + 2 * pad
        vw = (width - 2 * g - leaf) / len(t.t3_columns)
    else:
        vw = min(o.value_width, (width - 2 * g - size * 8) / len(t.t3_columns))
    cells_cols = [(f"t3.{r.key}.{c.key}", c) for r in t.t3_rows for c in t.t3_columns]
    vw = max(vw, ctx.widest("t3", cells_cols, size) + 2 * pad + 2)
    leaf = max(size * 6 + 2 * pad, width - 2 * g - vw * len(t.t3_columns))
    widths = [g, g, leaf] + [vw] * len(t.t3_columns)
    v0 = 3  # first value column
    cols = list(t.t3_columns)
    legal = [c.key for c in cols if c.key in T3_APPLICANT_COLUMNS[1:]]
    cells = [
        GridCell(0, 0, T3_NOTE if o.t3_note == "corner" else "", r1=3, c1=v0),
        GridCell(0, v0, T3_APPLICANT_HEADER, c1=v0 + len(cols)),
    ]
    truth_cols = []
    for i, col in enumerate(cols):
        label = _column_label(col, ctx)
        if col.key in legal:
            truth_cols.append(
                {
                    "key": col.key,
                    "label": col.label,
                    "label_path": [T3_APPLICANT_HEADER, T3_LEGAL_PERSON_HEADER, col.label],
                }
            )
            cells.append(GridCell(2, v0 + i, label))
        else:
            truth_cols.append({"key": col.key, "label": col.label, "label_path": [T3_APPLICANT_HEADER, col.label]})
            cells.append(GridCell(1, v0 + i, label, r1=3))
    first_legal = v0 + next(i for i, c in enumerate(cols) if c.key in legal)
    cells.append(GridCell(1, first_legal, T3_LEGAL_PERSON_HEADER, c1=first_legal + len(legal)))
    n_header = 3
    paths = [t3_label_path(r) for r in t.t3_rows]
    rendered: list[list[str]] = []
    for row, path in zip(t.t3_rows, paths, strict=True):
        rendered.append([drift(p, o) for p in path[:-1]] + [pick_label(row.label, row.variants, o, ctx.rng)])
    # Parent labels (merged vertically over their rows), then each row's own label and values.
    for level in (0, 1):
        labels = [rp[level] if len(rp) - 1 > level else None for rp in rendered]
        for a, b, lab in _merge_runs(labels):
            cells.append(GridCell(n_header + a, level, lab, r1=n_header + b))
    truth_rows = []
    for i, (row, path, rp) in enumerate(zip(t.t3_rows, paths, rendered, strict=True)):
        r = n_header + i
        cells.append(GridCell(r, len(rp) - 1, rp[-1], c1=v0, align=o.label_align))
        texts, vals = {}, {}
        for j, col in enumerate(cols):
            key = f"t3.{row.key}.{col.key}"
            texts[col.key] = ctx.fmt(key, col, "t3")
            vals[col.key] = ctx.values[key]
            cells.append(GridCell(r, v0 + j, texts[col.key], align=o.value_align))
        truth_rows.append(
            {
                "key": row.key,
                "label": row.label,
                "label_path": path,
                "kind": row.kind,
                "rendered_label_path": rp,
                "values": vals,
                "texts": texts,
            }
        )
    grid = Grid(widths, cells, n_header + len(t.t3_rows), n_header, size, size * 1.9, pad)
    return grid, {"title": t.t3_title, "columns": truth_cols, "rows": truth_rows}


# --- table 四 -------------------------------------------------------------------------------


def table4(ctx: Ctx) -> tuple[Grid, dict[str, Any]]:
    t, o = ctx.template, ctx.opts
    size = o.table_size["t4"]
    width = ctx.width * o.table_width_frac
    cols = list(t.t4_columns)
    col_labels = [_column_label(c, ctx) for c in cols]
    cells: list[GridCell] = []
    truth_blocks = []
    groups = _merge_runs([b.group for b in t.t4_blocks])
    if o.t4_layout == "wide":
        n = len(cols)
        need = ctx.widest("t4", [(f"t4.{b.key}.{c.key}", c) for b in t.t4_blocks for c in cols], size) + 7
        widths = [max(need, width / (n * len(t.t4_blocks)))] * (n * len(t.t4_blocks))
        for a, b, lab in groups:
            cells.append(GridCell(0, a * n, drift(lab, o), c1=b * n))
        for k, blk in enumerate(t.t4_blocks):
            c0 = k * n
            if blk.group:
                cells.append(GridCell(1, c0, drift(blk.label, o), c1=c0 + n))
                cells += [GridCell(2, c0 + j, lab) for j, lab in enumerate(col_labels)]
            else:
                cells.append(GridCell(0, c0, drift(blk.label, o), c1=c0 + n))
                cells += [GridCell(1, c0 + j, lab, r1=3) for j, lab in enumerate(col_labels)]
        n_header, n_rows = 3, 4
    else:
        need = ctx.widest("t4", [(f"t4.{b.key}.{c.key}", c) for b in t.t4_blocks for c in cols], size) + 7
        vw = max(need, min(width / 8, size * 4.5))
        gw = (width - vw * len(cols)) / 2
        widths = [gw, gw] + [vw] * len(cols)
        cells.append(GridCell(0, 0, "", c1=2))
        cells += [GridCell(0, 2 + j, lab) for j, lab in enumerate(col_labels)]
        for a, b, lab in groups:
            cells.append(GridCell(1 + a, 0, drift(lab, o), r1=1 + b))
        n_header, n_rows = 1, 1 + len(t.t4_blocks)
    for k, blk in enumerate(t.t4_blocks):
        texts, vals = {}, {}
        for j, col in enumerate(cols):
            key = f"t4.{blk.key}.{col.key}"
            texts[col.key] = ctx.fmt(key, col, "t4")
            vals[col.key] = ctx.values[key]
            if o.t4_layout == "wide":
                cells.append(GridCell(3, k * len(cols) + j, texts[col.key], align=o.value_align))
            else:
                cells.append(GridCell(1 + k, 2 + j, texts[col.key], align=o.value_align))
        if o.t4_layout != "wide":
            lab = drift(blk.label, o)
            cells.append(GridCell(1 + k, 1 if blk.group else 0, lab, c1=2, align=o.label_align))
        path = [blk.group, blk.label] if blk.group else [blk.label]
        truth_blocks.append({"key": blk.key, "label": blk.label, "label_path": path, "values": vals, "texts": texts})
    grid = Grid(widths, cells, n_rows, n_header, size, size * 1.9)
    truth = {"title": t.t4_title, "columns": [{"key": c.key, "label": c.label} for c in cols], "blocks": truth_blocks}
    return grid, truth
