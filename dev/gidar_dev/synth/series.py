"""Multi-year series of one publishing body (2019–2025), linked by the carry-over identity:
year Y's 四、结转下年度继续办理 = year Y+1's 二、上年结转 (docs/domain.md §3.3 X-1), unless a break,
a copy-pasted year or a narrative mismatch is planted on request."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import Any

from gidar.templates import T3_APPLICANT_COLUMNS, Template, template_for_year
from gidar_dev.synth.metadata import draw_metadata, units_for
from gidar_dev.synth.options import LayoutOptions, draw_options
from gidar_dev.synth.report import SynthReport, make_report
from gidar_dev.synth.values import Values, draw_values, set_carried_over


def _carry_rows(template: Template) -> tuple[str, str]:
    inputs = [r.key for r in template.t3_rows if r.kind == "input"]
    carry = next(r.key for r in template.t3_rows if r.kind == "carry")
    return inputs[1], carry


def carry_breaks(series: Sequence[tuple[int, Template, Values]]) -> list[dict[str, Any]]:
    """Every column where year Y's carried_forward differs from year Y+1's carried_over."""
    out = []
    for (y0, t0, v0), (y1, t1, v1) in itertools.pairwise(series):
        if y1 != y0 + 1:
            continue
        cf = _carry_rows(t0)[1]
        co = _carry_rows(t1)[0]
        for col in (*T3_APPLICANT_COLUMNS, "total"):
            a, b = v0[f"t3.{cf}.{col}"], v1[f"t3.{co}.{col}"]
            if a != b:
                out.append({"from_year": y0, "to_year": y1, "col": col, "carried_forward": a, "carried_over": b})
    return out


def _body(rng: random.Random, years: Sequence[int], agency_type: str | None) -> dict[str, Any]:
    """Metadata of a body whose unit exists in every year of the series."""
    valid = set.intersection(*({u.code for u in units_for(y)} for y in years))
    for _ in range(50):
        meta = draw_metadata(rng, years[0], agency_type=agency_type)
        if meta["region_code"] in valid:
            return meta
    raise ValueError(f"no unit valid in all of {list(years)}")


def make_series(
    seed: int,
    *,
    years: Sequence[int] = tuple(range(2019, 2026)),
    series_id: str | None = None,
    agency_type: str | None = None,
    break_year: int | None = None,
    copy_year: int | None = None,
    mismatch_year: int | None = None,
    error_year: int | None = None,
    error: str | None = None,
    options: LayoutOptions | None = None,
    vary_layout: bool = False,
) -> list[SynthReport]:
    """Reports of one body for consecutive `years`, carry-over linked.

    break_year: that year's 二、上年结转 differs from the previous year's 四 (reports stay
    internally consistent). copy_year: that year's tables are a copy of the previous year's
    (same template needed). mismatch_year: section 一 numbers differ from the table. Every
    report's truth carries ``series`` with the computed carry breaks of the whole series.
    """
    rng = random.Random(seed)
    years = list(years)
    sid = series_id or f"series{seed}"
    meta = _body(rng, years, agency_type)
    if options is None and not vary_layout:
        options = draw_options(rng)
    printed: list[tuple[int, Template, Values]] = []
    for i, year in enumerate(years):
        template = template_for_year(year)
        if copy_year == year:
            if i == 0 or printed[-1][1] is not template:
                raise ValueError(f"copy_year {year} needs a previous year with the same template")
            values = dict(printed[-1][2])
        else:
            values = draw_values(template, rng)
            if i:
                prev_t, prev_v = printed[-1][1], printed[-1][2]
                cf = _carry_rows(prev_t)[1]
                carried = {c: int(prev_v[f"t3.{cf}.{c}"]) for c in T3_APPLICANT_COLUMNS}
                if break_year == year:
                    carried[T3_APPLICANT_COLUMNS[0]] += rng.randint(1, 5)
                values = set_carried_over(template, values, carried)
        printed.append((year, template, values))
    reports = []
    for year, template, values in printed:
        r = make_report(
            rng,
            report_id=f"{sid}-{year}",
            year=year,
            template=template,
            metadata={**meta, "report_year": year},
            values=values,
            error=error if error_year == year else None,
            options=options,
            narrative_mismatch=mismatch_year == year,
        )
        reports.append(r)
    # From the printed values, so a planted in-report error that moves 四 is counted too.
    breaks = carry_breaks([(y, t, r.values) for (y, t, _), r in zip(printed, reports, strict=True)])
    for r in reports:
        r.truth["series"] = {
            "id": sid,
            "years": years,
            "break_year": break_year,
            "copy_year": copy_year,
            "mismatch_year": mismatch_year,
            "carry_breaks": breaks,
        }
    return reports
