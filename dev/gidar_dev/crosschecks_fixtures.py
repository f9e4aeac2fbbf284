"""Multi-year warehouse fixtures for the cross-report checks and the dashboard.

Bodies over consecutive report years 2019–2025 (across the 2020→2021 template change), each report's
values drawn by `gidar_dev.synth.values.draw_values` and linked year to year by the carry-over identity,
with planted cross-report problems and clean bodies. Every report satisfies all in-report invariants of
the registry, so per-report checks stay quiet and only the planted cross-report problems should surface.
`Scenario.planted` records what was planted *by construction*, so tests compare the checks against it
instead of hard-coded answers.

`load_scenario` loads reports as ingestion does: one `ExtractionResult` per report →
`gidar.transform.build_tables` → `gidar.warehouse.load_report`, with the GX findings on those tables
(`gidar.expectations.validate_tables`) when asked. Tables 三 and 四 are printed by the synth page layer
(`gidar_dev.synth.canvas`); every cell is positioned where that layout draws it, and with ``pdf_dir``
the PDFs are written too, so the dashboard crops real pages.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from gidar.contract import ExtractionResult, Metadata, Status
from gidar.templates import T3_APPLICANT_COLUMNS, TEMPLATES, Template, template_for_year
from gidar.warehouse.narrative import PHRASES
from gidar_dev.loading import load_results
from gidar_dev.sample import Placement, result_from_values
from gidar_dev.synth.canvas import Document, Grid, GridCell, register_font
from gidar_dev.synth.values import Values, draw_values, set_t3_inputs

YEARS = tuple(range(2019, 2026))
PROVINCE = "浙江省"


@dataclass(frozen=True)
class Body:
    region_code: str
    region_name: str
    prefecture: str
    agency: str  # as printed; may carry the prefecture prefix in some years (see `printed`)
    agency_type: str  # government | department | township
    unit: str | None = None


@dataclass(frozen=True)
class FixtureReport:
    report_id: str
    body: Body
    report_year: int
    values: Values
    narrative: str | None
    agency_printed: str
    source: str

    @property
    def template(self) -> Template:
        return template_for_year(self.report_year)


@dataclass(frozen=True)
class Planted:
    rule: str  # the cross-report rule that must fire
    report_id: str  # the report the finding is attributed to
    other_report_id: str | None = None
    cols: tuple[str, ...] = ()  # for carry-over: the table-三 columns that break
    measure: str | None = None  # for narrative: which claim is wrong


@dataclass
class Scenario:
    reports: list[FixtureReport] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)


# --- consistent values -----------------------------------------------------------------------


def report_values(
    template: Template,
    rng: random.Random,
    carried_over: Mapping[str, int],
    new_received: Mapping[str, int] | None = None,
    *,
    hold: bool = False,
    zero: bool = False,
) -> Values:
    """One report's values, drawn by the synth generator, with 二、上年结转 (and, if given, 一、本年新收) set
    per column and every identity re-balanced. ``hold``: 四、结转下年度 = 二, so that a copy of these
    tables next year keeps the carry-over chain. ``zero``: a body with no applications, reviews or suits."""
    v = draw_values(template, rng)
    if zero:
        return {k: 0 if k.startswith(("t3.", "t4.")) else x for k, x in v.items()}
    return set_t3_inputs(
        template,
        v,
        new_received=new_received,
        carried_over=carried_over,
        carried_forward=carried_over if hold else None,
    )


def column_dict(values: Mapping[str, Any], row: str) -> dict[str, int]:
    return {c: int(values.get(f"t3.{row}.{c}", 0)) for c in T3_APPLICANT_COLUMNS}


# --- narrative -------------------------------------------------------------------------------


def _sum_rows(values: Mapping[str, Any], prefix: str) -> int:
    return sum(int(v) for k, v in values.items() if k.startswith("t3." + prefix) and k.endswith(".total"))


def narrative_for(values: Mapping[str, Any], style: int, wrong: Mapping[str, int] | None = None) -> str:
    """A section-一 text restating the table; `wrong` overrides figures (a planted mismatch)."""
    figures = {
        "received": int(values["t3.new_received.total"]),
        "granted": int(values["t3.granted.total"]),
        "partially_granted": int(values["t3.partially_granted.total"]),
        "withheld": _sum_rows(values, "withheld_"),
        "unavailable": _sum_rows(values, "unavailable_"),
        "not_processed": _sum_rows(values, "not_processed_"),
        "review": int(values["t4.review.total"]),
        "litigation": int(values["t4.litigation_direct.total"]) + int(values["t4.litigation_after_review.total"]),
    }
    figures.update(wrong or {})
    p = PHRASES
    if style % 2 == 0:
        return (
            f"本年度共收到政府信息公开申请{figures['received']}件，其中{p['granted']}{figures['granted']}件，"
            f"{p['partially_granted']}{figures['partially_granted']}件，{p['withheld']}{figures['withheld']}件，"
            f"{p['unavailable']}{figures['unavailable']}件，{p['not_processed']}{figures['not_processed']}件。"
            f"全年发生{p['review']}{figures['review']}件，{p['litigation']}{figures['litigation']}件。"
        )
    return (
        f"全年共收到{figures['received']}件依申请公开，其中{figures['granted']}件{p['granted']}，"
        f"{figures['partially_granted']}件{p['partially_granted']}，{figures['unavailable']}件{p['unavailable']}。"
        f"主动公开政府信息1200条。"
    )


# --- bodies over years -----------------------------------------------------------------------


def _report_id(body: Body, year: int, salt: str = "") -> str:
    return hashlib.sha256(f"{body.region_code}|{body.agency}|{year}|{salt}".encode()).hexdigest()


def _chain(
    body: Body,
    rng: random.Random,
    years: Iterable[int] = YEARS,
    *,
    breaks: Mapping[int, Mapping[str, int]] | None = None,
    copy_years: Iterable[int] = (),
    zero: bool = False,
    new_override: Mapping[int, Mapping[str, int]] | None = None,
    printed: Mapping[int, str] | None = None,
    style: int = 0,
) -> list[FixtureReport]:
    """Consecutive reports of one body; carried_over(Y) = carried_forward(Y-1) unless `breaks` says otherwise.

    A year in `copy_years` repeats the previous year's tables; the year before it keeps carried_forward equal
    to carried_over so the copy does not also break the carry-over chain (a separate, independent plant).
    `new_override` sets 一、本年新收 of the columns it names.
    """
    copy_years = set(copy_years)
    out: list[FixtureReport] = []
    prev: Values | None = None
    for y in years:
        t = template_for_year(y)
        if y in copy_years and prev is not None:
            # the copied tables are printed in the new year's template (only differs across 2020→2021)
            values = {k: prev[k] for k in t.value_keys() if k in prev} | {k: 0 for k in t.value_keys() if k not in prev}
        else:
            over = column_dict(prev, "carried_forward") if prev else {c: 0 for c in T3_APPLICANT_COLUMNS}
            for c, d in ((breaks or {}).get(y) or {}).items():
                over[c] += d
            new = (new_override or {}).get(y)
            values = report_values(t, rng, over, new, hold=(y + 1) in copy_years, zero=zero)
        out.append(
            FixtureReport(
                report_id=_report_id(body, y),
                body=body,
                report_year=y,
                values=values,
                narrative=None if zero else narrative_for(values, style + y),
                agency_printed=(printed or {}).get(y, body.agency),
                source=f"{body.region_code}/{y}/{body.agency}.pdf",
            )
        )
        prev = values
    return out


def _by_year(reports: list[FixtureReport], year: int) -> FixtureReport:
    return next(r for r in reports if r.report_year == year)


def multi_year_scenario(seed: int = 4) -> Scenario:
    """Three counties, 2019–2025, with each cross-report problem planted once or twice plus clean bodies."""
    rng = random.Random(seed)
    s = Scenario()

    # 海宁市: clean government; carry-over break across the template change; a copy-pasted year; an all-zero body.
    hn = dict(region_code="330481", region_name="海宁市", prefecture="嘉兴市")
    commerce = _chain(
        Body(**hn, agency="海宁市商务局", agency_type="department", unit="商务局"),
        rng,
        breaks={2021: {"natural_person": 2}},
    )
    justice = _chain(Body(**hn, agency="海宁市司法局", agency_type="department", unit="司法局"), rng, copy_years={2023})
    township = _chain(Body(**hn, agency="海宁市许村镇人民政府", agency_type="township", unit="许村镇"), rng, zero=True)
    units_hn = [commerce, justice, township]
    gov_hn = _chain(
        Body(**hn, agency="海宁市人民政府", agency_type="government"),
        rng,
        new_override={y: _county_new(units_hn, y, extra=3) for y in YEARS},
        style=1,
    )
    s.reports += commerce + justice + township + gov_hn
    s.planted.append(
        Planted(
            "carry_over",
            _by_year(commerce, 2021).report_id,
            _by_year(commerce, 2020).report_id,
            ("natural_person", "total"),
        )
    )
    s.planted.append(Planted("copy_paste", _by_year(justice, 2023).report_id, _by_year(justice, 2022).report_id))

    # 嵊泗县: X-3 implausible government year; narrative mismatch; duplicate ingest; a name printed two ways.
    ss = dict(region_code="330922", region_name="嵊泗县", prefecture="舟山市")
    # a busy 2023 for the market regulator, so the county government's implausible 2023 total is below it
    market = _chain(
        Body(**ss, agency="嵊泗县市场监督管理局", agency_type="department", unit="市场监督管理局"),
        rng,
        breaks={2024: {"commercial": 1}},
        new_override={2023: {"natural_person": rng.randint(5, 40)}},
    )
    # the planted narrative overstates 予以公开 by 3 against the table it was generated from
    m22 = _by_year(market, 2022)
    market[market.index(m22)] = replace(
        m22, narrative=narrative_for(m22.values, 2022, {"granted": int(m22.values["t3.granted.total"]) + 3})
    )
    education = _chain(Body(**ss, agency="嵊泗县教育局", agency_type="department", unit="教育局"), rng)
    transport = _chain(
        Body(**ss, agency="嵊泗县交通运输局", agency_type="department", unit="交通运输局"),
        rng,
        printed={2020: "舟山市嵊泗县交通运输局", 2021: "浙江省嵊泗县交通运输局"},
    )
    finance_ss = _chain(
        Body(**ss, agency="嵊泗县财政局", agency_type="department", unit="财政局"), rng, years=(2021, 2022, 2024, 2025)
    )
    units_ss = [market, education, transport, finance_ss]
    gov_new = {y: _county_new(units_ss, y, extra=2) for y in YEARS}
    gov_new[2023] = {c: 0 for c in T3_APPLICANT_COLUMNS} | {"natural_person": 1}
    gov_ss = _chain(Body(**ss, agency="嵊泗县人民政府", agency_type="government"), rng, new_override=gov_new)
    dup = _by_year(education, 2021)
    dup2 = replace(
        dup,
        report_id=_report_id(dup.body, 2021, "second copy"),
        source=f"{dup.body.region_code}/2021/copy of 教育局.pdf",
    )
    s.reports += market + education + transport + finance_ss + gov_ss + [dup2]
    s.planted.append(
        Planted(
            "carry_over", _by_year(market, 2024).report_id, _by_year(market, 2023).report_id, ("commercial", "total")
        )
    )
    s.planted.append(Planted("narrative_vs_table", m22.report_id, measure="granted"))
    s.planted.append(Planted("duplicate_ingest", dup2.report_id, dup.report_id))
    s.planted.append(Planted("county_vs_units", _by_year(gov_ss, 2023).report_id))

    # 洞头区: clean; the government prints its prefecture in early years; a 财政局 identical to 嵊泗's
    # in one year (same name after stripping the region, other region code: not a duplicate).
    dt = dict(region_code="330305", region_name="洞头区", prefecture="温州市")
    health = _chain(Body(**dt, agency="洞头区卫生健康局", agency_type="department", unit="卫生健康局"), rng, style=1)
    finance_dt = [
        replace(
            r,
            report_id=_report_id(Body(**dt, agency="洞头区财政局", agency_type="department"), r.report_year),
            body=Body(**dt, agency="洞头区财政局", agency_type="department", unit="财政局"),
            agency_printed="洞头区财政局",
            source=f"330305/{r.report_year}/洞头区财政局.pdf",
        )
        for r in finance_ss
        if r.report_year == 2021
    ]
    gov_dt = _chain(
        Body(**dt, agency="洞头区人民政府", agency_type="government"),
        rng,
        new_override={y: _county_new([health, finance_dt], y, extra=4) for y in YEARS},
        printed={y: "温州市洞头区人民政府" for y in (2019, 2020, 2021)},
    )
    s.reports += health + finance_dt + gov_dt
    return s


def _county_new(units: list[list[FixtureReport]], year: int, extra: int) -> dict[str, int]:
    """A government's new applications: the county-wide sum of its units' plus some of its own."""
    out = {c: 0 for c in T3_APPLICANT_COLUMNS}
    for chain in units:
        for r in chain:
            if r.report_year == year:
                for c in T3_APPLICANT_COLUMNS:
                    out[c] += int(r.values[f"t3.new_received.{c}"])
    out["natural_person"] += extra
    return out


# --- printing: tables 三 and 四 through the synth page layer ----------------------------------------

_SIZE = 7.0  # points: the seven value columns and the label fit the A4 text width
_MARGINS_CM = (2.0, 2.0, 2.0, 2.0)


def _title(report: FixtureReport) -> str:
    return f"{report.agency_printed}{report.report_year}年政府信息公开工作年度报告"


def _grids(t: Template, values: Mapping[str, Any], width: float) -> list[tuple[str, Grid, dict[tuple[int, int], str]]]:
    """(heading, grid, value cell -> key) for tables 三 and 四; `values` may be empty (layout only)."""
    label_w = width * 0.4
    out = []
    for title, rows, cols, prefix in (
        (t.t3_title, [(r.key, r.label) for r in t.t3_rows], t.t3_columns, "t3"),
        (
            t.t4_title,
            [(b.key, b.label if not b.group else f"{b.group}（{b.label}）") for b in t.t4_blocks],
            t.t4_columns,
            "t4",
        ),
    ):
        col_w = (width - label_w) / len(cols)
        cells = [GridCell(0, 0, "")] + [GridCell(0, 1 + j, c.label) for j, c in enumerate(cols)]
        keys = {}
        for i, (row, label) in enumerate(rows, start=1):
            cells.append(GridCell(i, 0, label, align="left"))
            for j, c in enumerate(cols, start=1):
                key = f"{prefix}.{row}.{c.key}"
                keys[(i, j)] = key
                cells.append(GridCell(i, j, str(values.get(key, "")), align="right"))
        out.append((title, Grid([label_w] + [col_w] * len(cols), cells, 1 + len(rows), 1, _SIZE), keys))
    return out


def _print(t: Template, title: str, values: Mapping[str, Any]) -> tuple[bytes, dict[str, Placement]]:
    doc = Document(font=register_font(), margins_cm=_MARGINS_CM, title=title)
    doc.line(title, 12.0, align="center", leading=2.0)
    where: dict[str, Placement] = {}
    for heading, grid, keys in _grids(t, values, doc.width):
        doc.line(heading, 10.0, leading=2.0)
        placed = doc.grid(grid, breaks="natural", repeat=True)
        where |= {key: placed[at] for at, key in keys.items()}
        doc.space(12.0)
    pdf, _ = doc.finish()
    return pdf, where


@cache
def cell_placements(version: str) -> dict[str, Placement]:
    """Where the fixture PDF of a `version` report prints each t3/t4 cell: key -> (page, bbox).

    Values are short enough never to wrap, so the layout does not depend on them (`render_pdf`
    checks that it did not)."""
    return _print(TEMPLATES[version], "", {})[1]


def render_pdf(report: FixtureReport, path: Path) -> None:
    """The report's PDF: its title and tables 三 and 四, every cell at `cell_placements`."""
    pdf, where = _print(report.template, _title(report), report.values)
    if where != cell_placements(report.template.version):
        raise AssertionError(f"{report.report_id}: the printed layout moved; cells would point at the wrong boxes")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)


# --- loading: the ingestion path ---------------------------------------------------------------


def fixture_result(report: FixtureReport, source: str | None = None) -> ExtractionResult:
    """The result a perfect reading of the report's PDF gives."""
    b = report.body
    meta = Metadata(
        agency=report.agency_printed,
        agency_type=b.agency_type,
        unit=b.unit,
        region_code=b.region_code,
        region_name=b.region_name,
        prefecture=b.prefecture,
        province=PROVINCE,
        report_year=report.report_year,
        title=_title(report),
    )
    return result_from_values(
        report.values,
        report.template.version,
        report_id=report.report_id,
        metadata=meta,
        source=source or report.source,
        placements=cell_placements(report.template.version),
        narrative=report.narrative,
        n_pages=max(page for page, _ in cell_placements(report.template.version).values()),
    )


def scenario_results(reports: Iterable[FixtureReport], pdf_dir: Path | None = None) -> list[ExtractionResult]:
    """The reports' results; with `pdf_dir`, their PDFs are written there and are the results' `source`."""
    results = []
    for r in reports:
        source = None
        if pdf_dir:
            path = pdf_dir / f"{r.report_id[:16]}.pdf"
            render_pdf(r, path)
            source = str(path)
        results.append(fixture_result(r, source))
    return results


def load_scenario(
    con: duckdb.DuckDBPyConnection,
    reports: Iterable[FixtureReport],
    pdf_dir: Path | None = None,
    *,
    validate: bool = False,
) -> None:
    """Load fixture reports into the warehouse (see `scenario_results` and `load_results`)."""
    load_results(con, scenario_results(reports, pdf_dir), validate=validate)


# --- a demo warehouse for the dashboard ----------------------------------------------------------


def _unread(
    report_id: str, status: Status, message: str, region: tuple[str, str, str], year: int, agency: str | None
) -> ExtractionResult:
    """A report the extractor could not read: it is loaded, with its status, and has no cells."""
    code, name, prefecture = region
    meta = Metadata(
        agency=agency, region_code=code, region_name=name, prefecture=prefecture, province=PROVINCE, report_year=year
    )
    return result_from_values({}, None, report_id=report_id, metadata=meta, status=status, message=message)


def demo_warehouse(
    con: duckdb.DuckDBPyConnection, pdf_dir: Path | None = None, seed: int = 4, error_every: int = 9
) -> Scenario:
    """The multi-year scenario plus publisher errors (every `error_every`-th report prints 予以公开 one too
    high, breaking two critical invariants), two unread reports, the GX findings of every report and the
    cross-report checks — a small warehouse for the dashboard and `gidar dq`."""
    from gidar.warehouse.crosschecks import run_crosschecks

    s = multi_year_scenario(seed)
    key = f"t3.granted.{T3_APPLICANT_COLUMNS[0]}"
    s.reports = [
        replace(r, values={**r.values, key: r.values[key] + 1}) if i % error_every == 0 else r
        for i, r in enumerate(s.reports)
    ]
    results = scenario_results(s.reports, pdf_dir)
    results.append(
        _unread("unread-scan", "needs_ocr", "image-only", ("330922", "嵊泗县", "舟山市"), 2023, "嵊泗县某镇人民政府")
    )
    results.append(_unread("unread-html", "not_pdf", "HTML saved as .pdf", ("330102", "上城区", "杭州市"), 2024, None))
    load_results(con, results, validate=True)
    run_crosschecks(con, run_id="demo")
    return s
