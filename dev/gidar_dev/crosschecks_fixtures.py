"""Multi-year warehouse fixtures for the cross-report checks and the dashboard.

Builds bodies over consecutive report years 2019–2025 (across the 2020→2021 template change) as warehouse
rows — `reports` and long `cells` (what the cross-report checks read) — with planted cross-report
problems and clean bodies. Every report satisfies all in-report invariants of the registry, so per-report
checks stay quiet and only the planted cross-report problems should surface. `Scenario.planted` records
what was planted *by construction*, so tests compare the checks against it instead of hard-coded answers.

Optionally each report is rendered to a small PDF (reportlab) whose cell boxes are exactly the stored
bboxes, so the dashboard can crop real pages.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gidar.dq import CellRef, DQRecord
from gidar.invariants import describe, evaluate
from gidar.templates import INVARIANTS, T3_APPLICANT_COLUMNS, T3_COLUMNS, Template, template_for_year
from gidar.warehouse.narrative import PHRASES

Values = dict[str, int | float]
YEARS = tuple(range(2019, 2026))
PAGE_W, PAGE_H = 595.0, 842.0


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


def consistent_values(
    template: Template,
    rng: random.Random,
    new_received: Mapping[str, int],
    carried_over: Mapping[str, int],
    carried_forward: Mapping[str, int] | None = None,
    litigation: bool = True,
) -> Values:
    """One report's t2/t3/t4 values for which every registry invariant holds."""
    leaves = [r.key for r in template.t3_rows if r.kind == "leaf"]
    v: Values = {}
    for c in T3_APPLICANT_COLUMNS:
        pool = new_received.get(c, 0) + carried_over.get(c, 0)
        cf = carried_forward.get(c, 0) if carried_forward is not None else rng.randint(0, pool // 5)
        if cf > pool:
            raise ValueError(f"carried_forward {cf} > new + carried_over {pool} in column {c}")
        split = _split(pool - cf, len(leaves), rng)
        v[f"t3.new_received.{c}"] = new_received.get(c, 0)
        v[f"t3.carried_over.{c}"] = carried_over.get(c, 0)
        for r, n in zip(leaves, split, strict=True):
            v[f"t3.{r}.{c}"] = n
        v[f"t3.result_total.{c}"] = pool - cf
        v[f"t3.carried_forward.{c}"] = cf
    for row in template.t3_rows:
        v[f"t3.{row.key}.total"] = sum(int(v[f"t3.{row.key}.{c}"]) for c in T3_APPLICANT_COLUMNS)
    for b in template.t4_blocks:
        parts = [rng.randint(0, 3) if litigation else 0 for _ in template.t4_columns[:-1]]
        for col, n in zip(template.t4_columns[:-1], parts, strict=True):
            v[f"t4.{b.key}.{col.key}"] = n
        v[f"t4.{b.key}.total"] = sum(parts)
    for key, vtype in template.cells("t2"):
        v[key] = round(rng.uniform(0, 500), 2) if vtype == "money" else rng.randint(-5 if vtype == "signed" else 0, 60)
    return v


def _split(n: int, k: int, rng: random.Random) -> list[int]:
    """n into k non-negative parts, weighted towards the first rows (予以公开 dominates in practice)."""
    weights = [1.0 / (i + 1) ** 1.5 for i in range(k)]
    out = [0] * k
    for _ in range(n):
        out[rng.choices(range(k), weights)[0]] += 1
    return out


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
    volume: int = 12,
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
            if zero:
                new = {c: 0 for c in T3_APPLICANT_COLUMNS}
            elif new_override and y in new_override:
                new = dict(new_override[y])
            else:
                new = {
                    c: rng.randint(0, volume) if i < 2 else rng.randint(0, 1)
                    for i, c in enumerate(T3_APPLICANT_COLUMNS)
                }
            hold = over if (y + 1) in copy_years else None
            values = consistent_values(t, rng, new, over, hold, litigation=not zero)
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
    market = _chain(
        Body(**ss, agency="嵊泗县市场监督管理局", agency_type="department", unit="市场监督管理局"),
        rng,
        volume=20,
        breaks={2024: {"commercial": 1}},
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
    if max(_new_total(_by_year(u, 2023)) for u in units_ss if any(r.report_year == 2023 for r in u)) <= 1:
        raise AssertionError("seed gives no unit above the implausible government total; pick another seed")
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


def _new_total(r: FixtureReport) -> int:
    return int(r.values["t3.new_received.total"])


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


# --- layout, PDFs, warehouse rows --------------------------------------------------------------

_ROW_H, _LABEL_X1, _COL_W, _TOP = 18.0, 250.0, 45.0, 90.0
_T3_COLS = tuple(c.key for c in T3_COLUMNS)


def cell_boxes(template: Template) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Where each t3/t4 cell is printed in a fixture PDF: key -> (page, (x0, top, x1, bottom))."""
    out = {}
    for i, r in enumerate(template.t3_rows):
        top = _TOP + i * _ROW_H
        for j, c in enumerate(_T3_COLS):
            x0 = _LABEL_X1 + j * _COL_W
            out[f"t3.{r.key}.{c}"] = (1, (x0, top, x0 + _COL_W, top + _ROW_H))
    for i, b in enumerate(template.t4_blocks):
        top = _TOP + i * _ROW_H
        for j, col in enumerate(template.t4_columns):
            x0 = _LABEL_X1 + j * _COL_W
            out[f"t4.{b.key}.{col.key}"] = (2, (x0, top, x0 + _COL_W, top + _ROW_H))
    return out


def render_pdf(report: FixtureReport, path: Path) -> None:
    """A two-page PDF printing tables 三 and 四 at exactly `cell_boxes` (for crop tests and demos)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    t = report.template
    boxes = cell_boxes(t)
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H))
    labels = {1: [(r.label, f"t3.{r.key}") for r in t.t3_rows], 2: [(b.label, f"t4.{b.key}") for b in t.t4_blocks]}
    for page in (1, 2):
        c.setFont("STSong-Light", 12)
        title = t.t3_title if page == 1 else t.t4_title
        c.drawString(40, PAGE_H - 50, f"{report.agency_printed}{report.report_year}年 {title}")
        c.setFont("STSong-Light", 7)
        for label, prefix in labels[page]:
            keys = [k for k in boxes if k.startswith(prefix + ".") and boxes[k][0] == page]
            _, (x0, top, _, bottom) = boxes[keys[0]]
            c.rect(30, PAGE_H - bottom, _LABEL_X1 - 30, bottom - top)
            c.drawString(33, PAGE_H - bottom + 6, label[:34])
            for k in keys:
                _, (x0, top, x1, bottom) = boxes[k]
                c.rect(x0, PAGE_H - bottom, x1 - x0, bottom - top)
                c.drawRightString(x1 - 4, PAGE_H - bottom + 6, str(report.values.get(k, "")))
        c.showPage()
    c.save()


def _split_key(key: str) -> tuple[str, str | None, str | None, str]:
    parts = key.split(".")
    if parts[0] == "t2":
        return parts[0], parts[1], parts[2], parts[3]
    if parts[0] == "t3":
        return parts[0], None, parts[1], parts[2]
    return parts[0], parts[1], None, parts[2]


def insert_reports(
    con: duckdb.DuckDBPyConnection, reports: Iterable[FixtureReport], pdf_dir: Path | None = None
) -> None:
    """Write fixture reports as warehouse rows; with `pdf_dir`, also render their PDFs there as `source`."""
    rep_rows, cell_rows = [], []
    for r in reports:
        source = str(pdf_dir / f"{r.report_id[:16]}.pdf") if pdf_dir else r.source
        if pdf_dir:
            render_pdf(r, Path(source))
        b = r.body
        rep_rows.append(
            (
                r.report_id,
                source,
                Path(source).name,
                "ok",
                "",
                r.template.version,
                "consistent",
                r.agency_printed,
                b.agency_type,
                b.unit,
                b.region_code,
                b.region_name,
                b.prefecture,
                "浙江省",
                r.report_year,
                f"{r.agency_printed}{r.report_year}年政府信息公开工作年度报告",
                r.narrative,
                3,
            )
        )
        boxes = cell_boxes(r.template)
        for key, value in r.values.items():
            table, block, row, col = _split_key(key)
            page, bbox = boxes.get(key, (None, (None, None, None, None)))
            cell_rows.append(
                (
                    r.report_id,
                    r.report_year,
                    b.region_code,
                    r.template.version,
                    table,
                    block,
                    row,
                    col,
                    key,
                    float(value),
                    str(value),
                    page,
                    *bbox,
                )
            )
    rep_cols = [
        "report_id",
        "source",
        "file_name",
        "status",
        "message",
        "template",
        "quality",
        "agency",
        "agency_type",
        "unit",
        "region_code",
        "region_name",
        "prefecture",
        "province",
        "report_year",
        "title",
        "narrative",
        "n_pages",
    ]
    cell_cols = [
        "report_id",
        "report_year",
        "region_code",
        "template",
        "table",
        "block",
        "row",
        "col",
        "key",
        "value",
        "raw",
        "page",
        "x0",
        "top",
        "x1",
        "bottom",
    ]
    # Arrow + INSERT BY NAME: executemany is row-by-row and takes minutes for a few thousand cells.
    for name, cols, rows in (("reports", rep_cols, rep_rows), ("cells", cell_cols, cell_rows)):
        data = pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)})
        con.register("_fixture_rows", data)
        try:
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _fixture_rows")
        finally:
            con.unregister("_fixture_rows")


# --- a demo warehouse for the dashboard ----------------------------------------------------------


def invariant_dq_rows(r: FixtureReport) -> list[DQRecord]:
    """Per-report DQ records for the registry invariants, as the expectations stage stores them (with cells)."""
    boxes = cell_boxes(r.template)
    rows = []
    for ident, lhs, rhs in evaluate(r.template, r.values):
        cells = tuple(CellRef(r.report_id, k, *boxes[k]) for k in ident.lhs + ident.rhs if k in boxes)
        rows.append(
            DQRecord(
                report_id=r.report_id,
                rule=ident.invariant,
                invariant=ident.invariant,
                suite="invariants",
                table_name=ident.table,
                row_key=ident.row,
                col_key=ident.col,
                severity=INVARIANTS[ident.invariant].severity,
                passed=abs(lhs - rhs) <= 1e-9,
                observed=f"{lhs:g}",
                expected=f"{rhs:g}",
                lhs=float(lhs),
                rhs=float(rhs),
                cells=cells,
                description=describe(ident, lhs, rhs),
            )
        )
    return rows


def demo_warehouse(
    con: duckdb.DuckDBPyConnection, pdf_dir: Path | None = None, seed: int = 4, error_every: int = 9
) -> Scenario:
    """The multi-year scenario plus publisher errors (every `error_every`-th report prints 予以公开 one too
    high, breaking two critical invariants), two unread reports, per-report invariant rows and the
    cross-report checks — a small warehouse for the dashboard and `gidar dq`."""
    from gidar.warehouse.crosschecks import run_crosschecks
    from gidar.warehouse.load import dq_table

    s = multi_year_scenario(seed)
    key = f"t3.granted.{T3_APPLICANT_COLUMNS[0]}"
    s.reports = [
        replace(r, values={**r.values, key: r.values[key] + 1}) if i % error_every == 0 else r
        for i, r in enumerate(s.reports)
    ]
    insert_reports(con, s.reports, pdf_dir)
    # validated like any per-report load, inserted in one go (one load_dq per report is ~10x slower)
    dq = dq_table([row for r in s.reports for row in invariant_dq_rows(r)])
    con.register("_fixture_dq", dq)
    try:
        con.execute("INSERT INTO dq_results BY NAME SELECT * FROM _fixture_dq")
    finally:
        con.unregister("_fixture_dq")
    con.execute(
        "INSERT INTO reports (report_id, source, file_name, status, message, region_code, region_name, prefecture,"
        " province, report_year, agency) VALUES"
        " ('unread-scan', 'scan.pdf', 'scan.pdf', 'needs_ocr', 'image-only', '330922', '嵊泗县', '舟山市', '浙江省',"
        "  2023, '嵊泗县某镇人民政府'),"
        " ('unread-html', 'page.pdf', 'page.pdf', 'not_pdf', 'HTML saved as .pdf', '330102', '上城区', '杭州市',"
        "  '浙江省', 2024, NULL)"
    )
    run_crosschecks(con, run_id="demo")
    return s
