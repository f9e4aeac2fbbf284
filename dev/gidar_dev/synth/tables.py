"""Tables 二, 三 and 四 as printable grids, plus their truth records (`tables` of the truth JSON).

Labels, column order and grouping all come from the template; printed text goes through
`gidar_dev.synth.text` (drift and value formatting) and is recorded exactly as drawn. Table 二
may follow another template than tables 三/四 (a 2021+ report printing it in the 2019 layout).
Every deviation a table shows is named in ``Ctx.tags`` (the truth's ``render.deviations``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gidar.labels import header_unit
from gidar.templates import (
    GROUP_VARIANTS,
    RESULTS,
    T2_CONTENT_HEADER,
    T3_APPLICANT_COLUMNS,
    T3_APPLICANT_HEADER,
    T3_LEGAL_PERSON_HEADER,
    T3_NOTE,
    Block,
    Column,
    Row,
    Template,
)
from gidar_dev.synth.canvas import CID_FONT, Grid, GridCell, text_width
from gidar_dev.synth.options import LayoutOptions
from gidar_dev.synth.text import (
    EXTRA_ROW_LABELS,
    THIN_SPACE,
    add_note,
    drift,
    format_value,
    money_unit,
    pick_label,
    space_out,
)

Number = int | float
_ZERO_TAGS = {"": "zero_blank", "/": "zero_slash", "-": "zero_dash", "—": "zero_dash", "_": "zero_underscore"}
_SEP_TAGS = {",": "thousands_comma", "，": "thousands_fullwidth_comma", THIN_SPACE: "thousands_thin_space"}
_SIGN_TAGS = {"ascii": "sign_ascii", "fullwidth": "sign_fullwidth", "minus": "sign_minus"}
# Narrow value columns hold this many digits: longer numbers wrap inside their cell.
NARROW_DIGITS = 2.4


@dataclass
class Ctx:
    template: Template  # tables 三 and 四 (and the report as a whole)
    values: Mapping[str, Number]
    opts: LayoutOptions
    rng: random.Random
    width: float  # printable width in points
    font: str = CID_FONT
    t2_template: Template | None = None  # table 二's layout, when it differs
    year: int = 2023
    tags: set[str] = field(default_factory=set)
    units: dict[str, str] = field(default_factory=dict)  # key -> unit as printed (cell, else header)

    @property
    def t2(self) -> Template:
        return self.t2_template or self.template

    def blank(self, table: str) -> bool:
        return self.opts.blank_table == table

    def widest(self, table: str, keys_cols: list[tuple[str, Column]], size: float) -> float:
        """Width of the widest printed value, so numbers never wrap inside a cell."""
        return max(
            text_width(line, self.font, size) for k, c in keys_cols for line in self.fmt(k, c, table).split("\n")
        )

    def version(self, table: str) -> str:
        return self.t2.version if table == "t2" else self.template.version

    def unpad_if(self, table: str, too_wide: bool) -> None:
        """Print ``table``'s values without their U+3000 padding when the padded values would
        push the table past the page edge (Word would rather wrap the padding than the number;
        a value off the page is not on the page, nor in a scan of it)."""
        if too_wide and table in self.opts.pad_tables:
            self.opts = self.opts.with_(pad_tables=tuple(t for t in self.opts.pad_tables if t != table))

    def fmt(self, key: str, col: Column, table: str) -> str:
        return format_value(
            self.values[key], col.value_type, table, self.opts, self.version(table), blank=self.blank(table)
        )

    def cell_text(self, key: str, col: Column, table: str) -> str:
        """The printed text of a value cell, tagging the number forms it shows."""
        s = self.fmt(key, col, table)
        v, o = self.values[key], self.opts
        if self.blank(table):
            self.tags.add("blank_table")
            return s
        if v == 0 and table in o.zero_tables and o.zero in _ZERO_TAGS:
            self.tags.add(_ZERO_TAGS[o.zero])
        if o.thousands and abs(v) >= 1000:
            self.tags.add(_SEP_TAGS[o.thousands_sep])
        if col.value_type == "signed" and (v < 0 or (v > 0 and o.plus_sign)):
            self.tags.add(_SIGN_TAGS[o.sign_form])
        if o.fullwidth_digits and table in o.fullwidth_tables and s:
            self.tags.add("fullwidth_digits")
        if o.pad and table in o.pad_tables and s:
            self.tags.add("padding")
        unit = self._cell_unit(s)
        if unit:
            self.units[key] = unit
            self.tags.add("unit_in_cell")
        if col.value_type == "money" and "." in s and len(s.split(".")[-1].rstrip("元万")) >= 4:
            self.tags.add("money_decimals")
        if s and o.cell_newline and self.rng.random() < 0.5:
            s = "\n" + s if self.rng.random() < 0.5 else s + "\n"
            self.tags.add("cell_newline")
        return s

    @staticmethod
    def _cell_unit(s: str) -> str | None:
        t = s.strip().rstrip("\n")
        for u in ("万元", "元", "件", "宗", "个"):
            if t.endswith(u):
                return u
        return None


def t3_label_path(row: Row) -> list[str]:
    """Canonical label path of a table-三 row: results sit under 三、本年度办理结果."""
    path = [row.label]
    if row.group:
        path.insert(0, row.group)
    if row.kind in ("leaf", "result_total") and path[0] != RESULTS:
        path.insert(0, RESULTS)
    return path


def _column_label(col: Column, ctx: Ctx, table: str) -> str:
    o = ctx.opts
    label = pick_label(col.label, col.variants, o, ctx.rng)
    if label != drift(col.label, o):
        ctx.tags.add("header_variant")
    if col.value_type == "money":
        unit = money_unit(ctx.version(table), o)
        printed = header_unit(label)
        if o.money_unit == "header" and printed != unit:
            if printed:  # the canonical header names the template's unit: name the one printed
                label = drift(col.label.split("（")[0], o)
            label += drift(f"（{unit}）", o)
        if o.money_unit_name == "other":
            ctx.tags.add("money_other_unit")
    noted, kind = add_note(col.label, label, o, ctx.rng, ctx.year)
    if kind:
        ctx.tags.add(kind)
    return noted


def _row_label(row: Row, ctx: Ctx, *, spaced: bool = False) -> str:
    o = ctx.opts
    label = pick_label(row.label, row.variants, o, ctx.rng)
    if label != drift(row.label, o):
        ctx.tags.add("label_variant")
    base = row.label if label == drift(row.label, o) else next(v for v in row.variants if drift(v, o) == label)
    noted, kind = add_note(base, label, o, ctx.rng, ctx.year)
    if kind:
        ctx.tags.add(kind)
        return noted
    out = space_out(label, o, ctx.rng) if spaced else label
    if out != label:
        ctx.tags.add("spaced_label")
    return out


def _group_label(group: str, ctx: Ctx) -> str:
    printed = pick_label(group, GROUP_VARIANTS.get(group, ()), ctx.opts, ctx.rng)
    if printed != drift(group, ctx.opts):
        ctx.tags.add("label_variant")
    return printed


# --- table 二 -------------------------------------------------------------------------------


def _extra_row(ctx: Ctx, b: Block) -> tuple[str, dict[str, str], dict[str, Number]]:
    label = drift(ctx.rng.choice(EXTRA_ROW_LABELS), ctx.opts)
    values: dict[str, Number] = {
        c.key: ctx.rng.choice([0, ctx.rng.randint(1, 40), ctx.rng.randint(20, 900)]) for c in b.columns
    }
    if ctx.opts.extra_row_zero:
        values = dict.fromkeys(values, 0)
    texts = {c.key: format_value(values[c.key], c.value_type, "t2", ctx.opts, ctx.t2.version) for c in b.columns}
    return label, texts, values


def table2(ctx: Ctx) -> tuple[list[tuple[str | None, Grid]], dict[str, Any]]:
    """Grids of table 二 (one per block, or one for all) with optional caption lines."""
    t, o = ctx.t2, ctx.opts
    size = o.table_size["t2"]
    nreal = max(len(b.columns) for b in t.t2_blocks)
    ncol = nreal + o.trailing_columns
    width = ctx.width * o.table_width_frac
    label_w = width * ctx.rng.uniform(0.3, 0.4)
    trail_w = size * 2.5
    widths = [label_w] + [(width - label_w - trail_w * o.trailing_columns) / nreal] * nreal
    widths += [trail_w] * o.trailing_columns
    if o.trailing_columns:
        ctx.tags.add("trailing_columns")
    truth_blocks = []
    extra: list[dict[str, Any]] = []
    parts: list[tuple[str | None, Grid]] = []
    cells: list[GridCell] = []
    r = 0

    def trailing(row: int) -> None:
        cells.extend(GridCell(row, nreal + 1 + j, "") for j in range(o.trailing_columns))

    for bi, b in enumerate(t.t2_blocks):
        caption = pick_label(b.label, b.variants, o, ctx.rng)
        rb: dict[str, Any] = {"key": b.key, "label": b.label, "rendered_label": caption, "columns": [], "rows": []}
        if o.t2_layout == "blocks":
            cells, r = [], 0
        line_caption = o.t2_layout == "blocks" and o.t2_caption == "line"
        skip_caption = o.caption_missing and bi == 0
        if skip_caption:
            rb["rendered_label"] = None
            ctx.tags.add("caption_missing")
        elif not line_caption:
            cells.append(GridCell(r, 0, caption, c1=ncol + 1, align="left" if ctx.rng.random() < 0.5 else "center"))
            r += 1
        cells.append(GridCell(r, 0, T2_CONTENT_HEADER))
        for i, col in enumerate(b.columns):
            last = i == len(b.columns) - 1
            label = _column_label(col, ctx, "t2")
            hu = header_unit(label)
            if hu:
                for row in b.rows:
                    ctx.units.setdefault(f"t2.{b.key}.{row.key}.{col.key}", hu)
                ctx.tags.add("unit_in_header")
            cells.append(GridCell(r, 1 + i, label, c1=nreal + 1 if last else 2 + i))
            rb["columns"].append(
                {"key": col.key, "label": col.label, "value_type": col.value_type, "rendered_label": label}
            )
        trailing(r)
        r += 1
        for row in b.rows:
            rendered = _row_label(row, ctx, spaced=True)
            cells.append(GridCell(r, 0, rendered, align=o.label_align))
            texts, vals = {}, {}
            for i, col in enumerate(b.columns):
                key = f"t2.{b.key}.{row.key}.{col.key}"
                vals[col.key] = ctx.values[key]
                texts[col.key] = ctx.cell_text(key, col, "t2")
                last = i == len(b.columns) - 1
                cells.append(GridCell(r, 1 + i, texts[col.key], c1=nreal + 1 if last else 2 + i, align=o.value_align))
            trailing(r)
            rb["rows"].append(
                {"key": row.key, "label": row.label, "rendered_label": rendered, "values": vals, "texts": texts}
            )
            r += 1
        if o.extra_row and bi == 0:
            label, texts, vals = _extra_row(ctx, b)
            cells.append(GridCell(r, 0, label, align=o.label_align))
            for i, col in enumerate(b.columns):
                last = i == len(b.columns) - 1
                cells.append(GridCell(r, 1 + i, texts[col.key], c1=nreal + 1 if last else 2 + i, align=o.value_align))
            trailing(r)
            extra.append({"table": "t2", "block": b.key, "label": label, "texts": texts, "values": vals})
            ctx.tags.add("extra_row")
            r += 1
        truth_blocks.append(rb)
        if o.t2_layout == "blocks":
            cap = caption if line_caption and not skip_caption else None
            parts.append((cap, Grid(widths, cells, r, 0, size, size * 1.9)))
    if o.t2_layout == "single":
        parts.append((None, Grid(widths, cells, r, 0, size, size * 1.9)))
    return parts, {"title": t.t2_title, "template": t.version, "blocks": truth_blocks, "extra_rows": extra}


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


def narrow_width(ctx: Ctx, size: float, pad: float) -> float:
    """A value column that holds about `NARROW_DIGITS` digits."""
    return text_width("0", ctx.font, size) * NARROW_DIGITS + 2 * pad


def _wraps(ctx: Ctx, text: str, width: float, size: float, pad: float) -> bool:
    return any(text_width(line, ctx.font, size) > width - 2 * pad + 1e-6 for line in text.split("\n"))


def table3(ctx: Ctx) -> tuple[Grid, dict[str, Any]]:
    t, o = ctx.template, ctx.opts
    size = o.table_size["t3"]
    pad = 2.5
    width = ctx.width * o.table_width_frac
    g = size + 2 * pad + 1.5 if o.t3_group_style == "vertical" else size * 3 + 2 * pad + 1
    trail_w = size * 2.2
    avail = width - trail_w * o.trailing_columns
    if o.t3_label_width == "narrow":  # long labels wrap over two or three lines
        leaf = size * 12 + 2 * pad
        vw = (avail - 2 * g - leaf) / len(t.t3_columns)
    else:
        vw = min(o.value_width, (avail - 2 * g - size * 8) / len(t.t3_columns))
    cells_cols = [(f"t3.{r.key}.{c.key}", c) for r in t.t3_rows for c in t.t3_columns]
    min_leaf = size * 6 + 2 * pad
    if not o.narrow_values:  # padded values that would push the table off the page lose their padding
        need = ctx.widest("t3", cells_cols, size) + 2 * pad + 2
        ctx.unpad_if("t3", 2 * g + min_leaf + need * len(t.t3_columns) > avail)
        o = ctx.opts
    # narrow: long numbers wrap inside their cell; else every number fits on one line
    vw = narrow_width(ctx, size, pad) if o.narrow_values else max(vw, ctx.widest("t3", cells_cols, size) + 2 * pad + 2)
    leaf = max(min_leaf, avail - 2 * g - vw * len(t.t3_columns))
    widths = [g, g, leaf] + [vw] * len(t.t3_columns) + [trail_w] * o.trailing_columns
    v0 = 3  # first value column
    cols = list(t.t3_columns)
    legal = [c.key for c in cols if c.key in T3_APPLICANT_COLUMNS[1:]]
    cells = [
        GridCell(0, 0, T3_NOTE if o.t3_note == "corner" else "", r1=3, c1=v0),
        GridCell(0, v0, T3_APPLICANT_HEADER, c1=v0 + len(cols)),
    ]
    cells += [GridCell(0, v0 + len(cols) + j, "", r1=3) for j in range(o.trailing_columns)]
    truth_cols = []
    for i, col in enumerate(cols):
        label = _column_label(col, ctx, "t3")
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
    groups: dict[str, str] = {}
    for row, path in zip(t.t3_rows, paths, strict=True):
        parents = []
        for p in path[:-1]:
            if p not in groups:
                groups[p] = _group_label(p, ctx)
            parents.append(groups[p])
        rendered.append([*parents, _row_label(row, ctx)])
    if o.section_numbering == "（）":
        ctx.tags.add("section_numbering_paren")
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
            texts[col.key] = ctx.cell_text(key, col, "t3")
            vals[col.key] = ctx.values[key]
            if _wraps(ctx, texts[col.key], vw, size, pad):
                ctx.tags.add("wrapped_number")
            cells.append(GridCell(r, v0 + j, texts[col.key], align=o.value_align, breakable=o.narrow_values))
        cells += [GridCell(r, v0 + len(cols) + j, "") for j in range(o.trailing_columns)]
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
    return grid, {"title": t.t3_title, "template": t.version, "columns": truth_cols, "rows": truth_rows}


# --- table 四 -------------------------------------------------------------------------------


def table4(ctx: Ctx) -> tuple[Grid, dict[str, Any]]:
    t, o = ctx.template, ctx.opts
    size = o.table_size["t4"]
    pad = 2.5  # Grid's default cell padding
    width = ctx.width * o.table_width_frac
    cols = list(t.t4_columns)
    col_labels = [_column_label(c, ctx, "t4") for c in cols]
    cells: list[GridCell] = []
    truth_blocks = []
    groups = _merge_runs([b.group for b in t.t4_blocks])
    keys_cols = [(f"t4.{b.key}.{c.key}", c) for b in t.t4_blocks for c in cols]
    if not o.narrow_values:  # padded values that would push the table off the page lose their padding
        n_values = len(cols) * (len(t.t4_blocks) if o.t4_layout == "wide" else 1)
        too_wide = (ctx.widest("t4", keys_cols, size) + 7) * n_values > width * (1.0 if o.t4_layout == "wide" else 0.8)
        ctx.unpad_if("t4", too_wide)
        o = ctx.opts
    need = ctx.widest("t4", keys_cols, size) + 7
    if o.t4_layout == "wide":
        n = len(cols)
        vw = narrow_width(ctx, size, pad) if o.narrow_values else max(need, width / (n * len(t.t4_blocks)))
        widths = [vw] * (n * len(t.t4_blocks))
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
        vw = max(need, min(width / 8, size * 4.5))
        gw = (width - vw * len(cols)) / 2
        widths = [gw, gw] + [vw] * len(cols)
        cells.append(GridCell(0, 0, "", c1=2))
        cells += [GridCell(0, 2 + j, lab) for j, lab in enumerate(col_labels)]
        for a, b, lab in groups:
            cells.append(GridCell(1 + a, 0, drift(lab, o), r1=1 + b))
        n_header, n_rows = 1, 1 + len(t.t4_blocks)
    narrow = o.narrow_values and o.t4_layout == "wide"
    for k, blk in enumerate(t.t4_blocks):
        texts, vals = {}, {}
        for j, col in enumerate(cols):
            key = f"t4.{blk.key}.{col.key}"
            texts[col.key] = ctx.cell_text(key, col, "t4")
            vals[col.key] = ctx.values[key]
            if narrow and _wraps(ctx, texts[col.key], vw, size, pad):
                ctx.tags.add("wrapped_number")
            if o.t4_layout == "wide":
                cells.append(GridCell(3, k * len(cols) + j, texts[col.key], align=o.value_align, breakable=narrow))
            else:
                cells.append(GridCell(1 + k, 2 + j, texts[col.key], align=o.value_align))
        if o.t4_layout != "wide":
            lab = drift(blk.label, o)
            cells.append(GridCell(1 + k, 1 if blk.group else 0, lab, c1=2, align=o.label_align))
        path = [blk.group, blk.label] if blk.group else [blk.label]
        truth_blocks.append({"key": blk.key, "label": blk.label, "label_path": path, "values": vals, "texts": texts})
    grid = Grid(widths, cells, n_rows, n_header, size, size * 1.9)
    truth = {
        "title": t.t4_title,
        "template": t.version,
        "columns": [{"key": c.key, "label": c.label} for c in cols],
        "blocks": truth_blocks,
    }
    return grid, truth
