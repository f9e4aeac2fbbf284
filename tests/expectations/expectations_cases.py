"""Planted cases for the expectations tests: consistent reports drawn by the one value generator
(`gidar_dev.synth.values.draw_values`) and named cases that plant exactly one kind of error into a
copy of one."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from gidar.contract import ExtractionResult, Metadata, Status
from gidar.templates import TEMPLATES, Template
from gidar.transform import build_tables
from gidar_dev.sample import Placement, result_from_truth, result_from_values
from gidar_dev.synth.values import Values, draw_values

PLANTED_AT: Placement = (2, (310.5, 402.0, 338.0, 414.5))  # page, bbox of the planted cell of "t3-row-total"


def consistent_values(t: Template, seed: int = 1) -> Values:
    """Values that satisfy every identity and soft rule of the template."""
    return draw_values(t, random.Random(seed))


def make_result(
    report_id: str,
    template: str | None,
    values: Values,
    *,
    year: int | None = None,
    agency_type: str = "department",
    region_code: str = "330922",
    status: Status = "ok",
    locations: dict[str, Placement] | None = None,
) -> ExtractionResult:
    t = TEMPLATES.get(template or "")
    if year is None and t is not None:
        year = t.years[0] + 1
    meta = Metadata(agency_type=agency_type, region_code=region_code, report_year=year)
    return result_from_values(values, template, report_id=report_id, metadata=meta, status=status, placements=locations)


@dataclass
class Case:
    """One report of the planted batch and the non-identity failures it must (only) produce.

    Identity failures are not listed: the tests take them from `gidar.invariants.check`."""

    report_id: str
    result: ExtractionResult
    expect: set[tuple[str, str | None, str | None]] = field(default_factory=set)  # (rule, row, col)


def _case(name: str, version: str, change: Callable[[Values], None] | None = None, expect=(), **kw: object) -> Case:
    v = consistent_values(TEMPLATES[version], seed=len(name))
    if change:
        change(v)
    return Case(name, make_result(name, version, v, **kw), set(expect))  # type: ignore[arg-type]


def _add(key: str, delta: int | float) -> Callable[[Values], None]:
    def f(v: Values) -> None:
        v[key] += delta

    return f


def _all(*fs: Callable[[Values], None]) -> Callable[[Values], None]:
    def f(v: Values) -> None:
        for g in fs:
            g(v)

    return f


def _set(key: str, x: int | float) -> Callable[[Values], None]:
    def f(v: Values) -> None:
        v[key] = x

    return f


def _negative(key: str, other: str) -> Callable[[Values], None]:
    """Make ``key`` negative and move the difference to ``other`` so every total still holds."""

    def f(v: Values) -> None:
        v[other] += v[key] + 2
        v[key] = -2

    return f


def _exceed(key: str, bound: str) -> Callable[[Values], None]:
    """Make ``key`` one more than ``bound``."""

    def f(v: Values) -> None:
        v[key] = v[bound] + 1

    return f


def _drop(key: str) -> Callable[[Values], None]:
    def f(v: Values) -> None:
        del v[key]

    return f


def planted_cases() -> list[Case]:
    """Clean reports and one planted error per rule (positive and negative side of each rule)."""
    return [
        _case("clean-2019", "v2019"),
        _case("clean-2021", "v2021", region_code="330900", agency_type="government"),
        # hard identities (expected failures come from gidar.invariants.check)
        _case("t3-row-total", "v2019", _add("t3.granted.total", 1), locations={"t3.granted.total": PLANTED_AT}),
        _case("t3-result-total", "v2021", _add("t3.result_total.commercial", 2)),
        _case("t3-balance", "v2021", _all(_add("t3.carried_forward.research", 1), _add("t3.carried_forward.total", 1))),
        _case("t3-balance-2019", "v2019", _all(_add("t3.new_received.other_org", 1), _add("t3.new_received.total", 1))),
        _case("t4-block-total", "v2019", _add("t4.review.total", 1)),
        # value types: a negative count / a fraction, each keeping the identities balanced
        _case(
            "negative-count",
            "v2021",
            _negative("t4.review.upheld", "t4.review.other"),
            expect={("count_non_negative", "review", "upheld")},
        ),
        # a fraction cannot balance with integer totals: t4_block_total fails too (taken from check)
        _case(
            "fractional-count",
            "v2021",
            _add("t4.litigation_direct.pending", 0.5),
            expect={("count_integer", "litigation_direct", "pending")},
        ),
        _case(
            "negative-money",
            "v2021",
            _set("t2.art20_8.admin_fees.fee_amount", -3.5),
            expect={("money_non_negative", "admin_fees", "fee_amount")},
        ),
        _case("signed-negative-ok", "v2019", _set("t2.art20_5.admin_license.change", -40)),
        _case(
            "missing-cell", "v2021", _drop("t3.granted.commercial"), expect={("cell_present", "granted", "commercial")}
        ),
        # report metadata
        _unknown_template(),
        _case("template-year-mismatch", "v2021", year=2020, expect={("template_matches_year", None, None)}),
        _case("year-too-early", "v2019", year=2018, expect={("report_year_range", None, None)}),
        _case("region-invalid", "v2019", region_code="339999", expect={("region_code_valid", None, None)}),
        # soft table-二 rules (warnings)
        _case(
            "t2a-department-regulations",
            "v2021",
            _set("t2.art20_1.regulations.issued", 1),
            expect={("t2a_regulations_below_prefecture", "regulations", None)},
        ),
        _case(
            "t2a-township-regulations-2019",
            "v2019",
            _set("t2.art20_1.regulations.new_made", 1),
            agency_type="township",
            expect={("t2a_regulations_below_prefecture", "regulations", None)},
        ),
        _case(
            "t2a-prefecture-government-ok",
            "v2021",
            _set("t2.art20_1.regulations.issued", 2),
            agency_type="government",
            region_code="330900",
        ),
        _case(
            "t2d-new-above-total",
            "v2019",
            _exceed("t2.art20_1.normative_docs.new_published", "t2.art20_1.normative_docs.total_published"),
            expect={("t2d_new_published_le_total", "normative_docs", "new_published")},
        ),
        _case(
            "t2e-fee-in-yuan",
            "v2021",
            _set("t2.art20_8.admin_fees.fee_amount", 2_500_000.0),
            expect={("t2e_fee_plausible_wan_yuan", "admin_fees", "fee_amount")},
        ),
        Case("unread", make_result("unread", None, {}, status="needs_ocr", year=2021)),
        # reports that bend the template
        _unit_case("fee-in-wan-yuan", "万元"),
        _unit_case("fee-in-yuan", "元", expect={("money_unit_as_template", "admin_fees", "fee_amount")}),
        _mixed_case(),
        _blank_case(),
    ]


FEE = "t2.art20_8.admin_fees.fee_amount"


def _unit_case(name: str, unit: str, expect=()) -> Case:
    """The 2021 fee printed with a unit (as read from its cell or header)."""
    c = _case(name, "v2021", expect=expect)
    next(x for x in c.result.cells if x.key == FEE).unit = unit
    return c


def _mixed_case() -> Case:
    """A 2023 report printing table 二 in the 2019 layout: loaded as printed, the mix a warning."""
    v21, v19 = TEMPLATES["v2021"], TEMPLATES["v2019"]
    values = {k: x for k, x in consistent_values(v19, seed=3).items() if k.startswith("t2.")}
    values |= {k: x for k, x in consistent_values(v21, seed=3).items() if not k.startswith("t2.")}
    c = Case("mixed-formats", make_result("mixed-formats", "v2021", values, year=2023))
    c.result.table_templates = {"t2": "v2019", "t3": "v2021", "t4": "v2021"}
    c.expect = {("template_matches_year", None, None)}
    return c


def _blank_case() -> Case:
    """Table 四 printed without a value: its cells are no zeros (stored null), nothing is missing."""
    c = _case("blank-table-four", "v2019")
    for x in c.result.cells:
        if x.key.startswith("t4."):
            x.value, x.raw, x.flags = 0, "", ["blank_as_zero", "table_blank"]
    c.result.blank_tables = ["t4"]
    return c


def _unknown_template() -> Case:
    c = _case(
        "unknown-template", "v2021", expect={("template_known", None, None), ("template_matches_year", None, None)}
    )
    c.result.template = c.result.metadata.template = "v2030"
    return c


def fake_region_lookup(code: str, year: int) -> object | None:
    """Stands in for gidar.regions in the planted batch: every code but the planted one is valid."""
    return None if code == "339999" else code


def truth_results(corpus_dir: Path) -> list[tuple[dict, ExtractionResult]]:
    """Every disclosure report of the shared corpus as the result a perfect reading gives."""
    out = []
    for path in sorted(corpus_dir.glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        if truth.get("document_kind") == "disclosure_report":
            out.append((truth, result_from_truth(truth)))
    return out


def stored(results: list[ExtractionResult]) -> tuple[pa.Table, pa.Table]:
    """The ``reports`` and ``cells`` tables of a batch as transform/ stores them (what GX validates).

    transform/ stores a template it does not know as null; the reports table keeps the printed
    version here, so that the rule checking it can fail (a newer parser's or a hand-edited row)."""
    tables = [build_tables(r) for r in results]
    reports = pa.concat_tables([t["reports"] for t in tables])
    cells = pa.concat_tables([t["cells"] for t in tables])
    i = reports.schema.get_field_index("template")
    reports = reports.set_column(i, reports.schema.field(i), pa.array([r.template for r in results], pa.string()))
    return reports, cells


def review_case() -> Case:
    """A broken identity whose cell the extractor put in review: no failure is blamed on the publisher."""
    c = _case("in-review", "v2021", _add("t3.granted.total", 1))
    c.result.status, c.result.review = "uncertain", ["t3.granted.total"]
    return c
