"""One synthetic report: draw metadata, values and layout from a seed, render the PDF, and
write its truth in the truth format (docs/truth-format.md, schema_version 1)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gidar.keys import Key
from gidar.templates import T3_NOTE, TEMPLATES, V2019, V2021, Template, template_for_year
from gidar_dev.synth.canvas import CID_FONT, Document, register_font
from gidar_dev.synth.metadata import draw_metadata
from gidar_dev.synth.narrative import SECTION_1, SECTION_5, SECTION_6, section1, section5, section6
from gidar_dev.synth.options import LayoutOptions, draw_options
from gidar_dev.synth.tables import Ctx, table2, table3, table4
from gidar_dev.synth.values import Values, draw_values, in_other_unit, plant_error, violations_of

SCHEMA_VERSION = 1
YEARS = tuple(range(2019, 2026))


@dataclass
class SynthReport:
    pdf: bytes
    truth: dict[str, Any]

    @property
    def values(self) -> Values:
        return self.truth["values"]

    def write(self, out_dir: str | Path, stem: str | None = None) -> Path:
        """Write <stem>.pdf and <stem>.json; returns the PDF path."""
        import json

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        stem = stem or self.truth["id"]
        self.truth["file"] = f"{stem}.pdf"
        pdf = out / f"{stem}.pdf"
        pdf.write_bytes(self.pdf)
        (out / f"{stem}.json").write_text(json.dumps(self.truth, ensure_ascii=False, indent=1), encoding="utf-8")
        return pdf


def title_lines(meta: dict[str, Any], form: str) -> list[str]:
    agency, year = meta["agency"], meta["report_year"]
    if form == "year_agency":
        return [f"{year}年{agency}政府信息公开工作年度报告"]
    if form == "two_lines":
        return [agency, f"{year}年政府信息公开工作年度报告"]
    return [f"{agency}{year}年政府信息公开工作年度报告"]


def render_pdf(
    template: Template,
    values: Values,
    meta: dict[str, Any],
    opts: LayoutOptions,
    rng: random.Random,
    *,
    font_path: str | None = None,
    t2_template: Template | None = None,
    info: dict[str, Any] | None = None,
) -> tuple[bytes, int, dict[str, Any], dict[str, Any]]:
    """Render a full report; returns (pdf bytes, pages, truth tables, narrative record).

    ``t2_template``: table 二's layout when it is not the report's. ``info``, if given, receives
    the deviations the tables show (``deviations``) and the units printed per cell (``units``)
    and the layout options as printed (``opts``: a table may have dropped its padding to fit)."""
    font = register_font(CID_FONT, font_path)
    lines = title_lines(meta, opts.title_form)
    meta["title"] = "".join(lines)
    doc = Document(
        font=font,
        margins_cm=opts.margins_cm,
        footer=opts.footer,
        frame=opts.frame,
        rules=opts.rules,
        title=meta["title"],
    )
    body = opts.body_size
    for ln in lines:
        doc.line(ln, opts.title_size, align="center", leading=1.5)
    doc.space(body)

    def heading(s: str, keep: float = 0.0) -> None:
        """A section heading, kept with the first `keep` points that follow (as Word does)."""
        doc.space(body * 0.3)
        doc.need(body * 1.8 + keep)
        doc.line(s, body, leading=1.8)

    heading(SECTION_1)
    paras, narrative = section1(template, values, meta, rng, opts.narrative_mismatch)
    for p in paras:
        if p.startswith("（"):
            doc.line(p, body, leading=1.7, indent=body * 2)
        else:
            doc.paragraph(p, body)
    ctx = Ctx(template, values, opts, rng, doc.width, font, t2_template=t2_template, year=meta["report_year"])
    if t2_template is not None and t2_template is not template:
        ctx.tags.add("t2_mixed")

    parts, t2 = table2(ctx)
    caption_h = opts.table_size["t2"] * 2.0 if parts[0][0] else 0.0
    heading(template.t2_title, caption_h + doc.lead_height(parts[0][1]))
    for caption, grid in parts:
        if caption:
            doc.line(caption, opts.table_size["t2"], leading=2.0)
        doc.grid(grid, breaks="natural")
        if len(parts) > 1:
            doc.space(opts.table_size["t2"] * 0.8)

    grid3, t3 = table3(ctx)
    note_h = opts.table_size["t3"] * 3.0 if opts.t3_note == "above" else 0.0
    heading(template.t3_title, note_h + doc.lead_height(grid3, opts.t3_break))
    if opts.t3_note == "above":
        doc.paragraph(T3_NOTE, opts.table_size["t3"], leading=1.5, first_indent=0)
    doc.grid(grid3, breaks=opts.t3_break, break_before=opts.t3_break_row, repeat=opts.repeat_header)

    grid4, t4 = table4(ctx)
    heading(template.t4_title, doc.lead_height(grid4, "none"))
    doc.grid(grid4, breaks="none")

    heading(SECTION_5)
    for p in section5(rng):
        doc.paragraph(p, body)
    heading(SECTION_6)
    for p in section6(template, meta["report_year"]):
        doc.paragraph(p, body)
    if opts.signature:
        doc.space(body * 2)
        doc.line(meta["agency"], body, align="right")
        month = rng.randint(1, 3)
        doc.line(f"{meta['report_year'] + 1}年{month}月{rng.randint(1, 28)}日", body, align="right")
    pdf, n_pages = doc.finish()
    if info is not None:
        info["deviations"] = sorted(ctx.tags)
        info["units"] = dict(ctx.units)
        info["opts"] = ctx.opts
    return pdf, n_pages, {"t2": t2, "t3": t3, "t4": t4}, narrative


def make_report(
    seed: int | random.Random,
    *,
    report_id: str = "synth",
    year: int | None = None,
    template: str | Template | None = None,
    agency_type: str | None = None,
    metadata: dict[str, Any] | None = None,
    values: Values | None = None,
    error: str | None = None,
    options: LayoutOptions | None = None,
    narrative_mismatch: bool = False,
    large: bool | None = None,
    font_path: str | None = None,
) -> SynthReport:
    """Draw (or take) metadata, values and layout, plant an optional error, render and record truth.

    `error` is an `ERROR_KINDS` key (or invariant name). Given `values` are printed as they are
    (their violations are still computed), which is how `make_series` plants cross-year breaks.
    """
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    if isinstance(template, str):
        template = TEMPLATES[template]
    if year is None:
        year = rng.choice([y for y in YEARS if template is None or template_for_year(y) is template])
    template = template or template_for_year(year)
    meta = dict(metadata) if metadata else draw_metadata(rng, year, agency_type=agency_type)
    meta["report_year"] = year
    if large is None:
        large = rng.random() < 0.05
    opts = options or draw_options(rng)
    if narrative_mismatch:
        opts = opts.with_(narrative_mismatch=True)
    # A 2021+ report may print table 二 in the 2019 layout (seen in 3 of ~30 real 2022-23 reports).
    t2_template = V2019 if opts.t2_mixed and template is V2021 else template
    large = large or opts.narrow_values  # narrow columns only matter for long numbers
    meta["large_volume"] = bool(large)
    printed = draw_values(template, rng, large=large, t2_template=t2_template)
    if values is not None:  # given values are printed as they are; table 二 follows its layout
        printed = {k: values.get(k, v) for k, v in printed.items()} if t2_template is not template else dict(values)
    printed = _deviate_values(printed, template, t2_template, opts)
    injected = None
    if error and not (opts.blank_table and error.startswith(opts.blank_table)):  # nothing printed there
        printed, injected, _ = plant_error(printed, template, error, rng)
    info: dict[str, Any] = {}
    pdf, n_pages, tables, narrative = render_pdf(
        template, printed, meta, opts, rng, font_path=font_path, t2_template=t2_template, info=info
    )
    opts = info["opts"]
    extra = tables["t2"].pop("extra_rows")
    blank = blank_tables(tables)
    deviations = sorted({*info["deviations"], *(["blank_table"] if blank else [])})
    truth = {
        "schema_version": SCHEMA_VERSION,
        "id": report_id,
        "file": f"{report_id}.pdf",
        "document_kind": "disclosure_report",
        "template": template.version,
        "table_templates": {"t2": t2_template.version, "t3": template.version, "t4": template.version},
        "metadata": meta,
        "injected_error": injected,
        "expected_violations": violations_of(template, printed),
        "values": printed,
        "units": info["units"],
        "extra_cells": extra,
        "blank_tables": blank,
        "tables": tables,
        "narrative": narrative,
        "render": {
            "renderer": "synth",
            "variant": opts.variant,
            "variant_description": opts.describe(),
            "options": opts.to_dict(),
            "deviations": deviations,
            "has_text_layer": True,
            "n_pages": n_pages,
        },
    }
    return SynthReport(pdf, truth)


def blank_tables(tables: dict[str, Any]) -> list[str]:
    """Tables printed without a single value (an unfilled template; also a table of zeros
    printed as blanks, which a reader cannot tell apart and must flag the same way)."""
    texts = {
        "t2": [t for b in tables["t2"]["blocks"] for r in b["rows"] for t in r["texts"].values()],
        "t3": [t for r in tables["t3"]["rows"] for t in r["texts"].values()],
        "t4": [t for b in tables["t4"]["blocks"] for t in b["texts"].values()],
    }
    return [name for name, ts in texts.items() if not any(t.strip() for t in ts)]


def _deviate_values(values: Values, template: Template, t2: Template, opts: LayoutOptions) -> Values:
    """The values as this report prints them: money in the other unit, a blank table's zeros."""
    out = dict(values)
    types = {**dict(t2.cells("t2")), **dict(template.cells("t3")), **dict(template.cells("t4"))}
    if opts.money_unit_name == "other":
        for key, vtype in t2.cells("t2"):
            if vtype == "money":
                out[key] = in_other_unit(float(out[key]), unit_wan=t2.version == "v2021")
    if opts.blank_table:  # an unfilled table: nothing printed, which the truth records as 0
        for key in out:
            if Key.parse(key).table == opts.blank_table:
                out[key] = 0.0 if types[key] == "money" else 0
    return out
