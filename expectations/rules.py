"""Every data-quality rule as data, generated from the template registry. No GX import here.

A `Rule` is one GX expectation of one suite; its `instances` are the concrete places it checks
(one per table-三 row for ``t3_row_total``, one per column for ``t3_result_total`` /
``t3_balance``, one per block for ``t4_block_total`` ...). Rules of the table suites run on a
long *check frame* (``expectations.frames``): one row per report × instance, keyed by
(report_id, row, col), with the residual or observed value in the column named after the rule.
One expectation per rule family keeps GX's per-expectation overhead independent of the
template size; a failure's unexpected index (report_id, row, col) names the instance, and the
instance names the cells.

Suites: ``report_meta`` (reports frame), ``cells`` (long cells frame: value types), and one per
table and template version for the identities and the soft table-二 rules. A table whose rules
are the same in every template gets one suite (``t4``), otherwise one per version
(``t3_v2019``, ``t3_v2021``, ``t2_v2019``, ``t2_v2021``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from gidar.dq import Severity
from gidar.templates import INVARIANTS, SOFT_RULE_KEYS, TEMPLATES, Identity, TableKey, Template

# Frames the suites run on (see expectations.frames).
REPORTS = "reports"
CELLS = "cells"
META_SUITE = "report_meta"
CELLS_SUITE = "cells"
CHECK_INDEX = ("report_id", "row", "col")

# Unit sanity bound for the 2021 fee column (万元). The corpus and real county reports stay below
# ~10⁴ 万元; 10⁵ 万元 is 10 亿元, which a county-level body's fee income does not reach — a value
# that large was almost certainly typed in 元 (docs/domain.md §3.2, T2-E).
FEE_WAN_YUAN_MAX = 100_000


@dataclass(frozen=True)
class Instance:
    """One place a rule checks: row/col as in `gidar.invariants.Violation`, and the cells involved."""

    row: str | None
    col: str | None
    cells: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Rule:
    suite: str
    rule: str  # rule family, e.g. t3_row_total, count_non_negative, t2a_regulations_below_prefecture
    expectation: str  # GX class name in great_expectations.expectations
    kwargs: Mapping[str, Any]  # GX kwargs (column / value_set / bounds ...)
    severity: Severity
    description: str  # shown with each result (dashboard, gidar dq)
    expected: str  # human-readable bound, stored with each result
    table: str | None = None
    invariant: str | None = None  # a gidar.templates.INVARIANTS name for the hard identities
    templates: tuple[str, ...] = ()  # template versions whose reports the suite covers
    frame: str = ""  # REPORTS, CELLS, or the suite name for a check frame
    index: tuple[str, ...] = ("report_id",)  # unexpected_index_column_names
    instances: tuple[Instance, ...] = ()  # empty for the reports / cells rules
    observed_column: str | None = None  # what a result reports as observed (default: the checked column)
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def column(self) -> str:
        return str(self.kwargs.get("column", self.kwargs.get("column_A", "")))


# --- labels for descriptions ------------------------------------------------------------------


def _t3_col_label(t: Template, key: str) -> str:
    return next(c.label for c in t.t3_columns if c.key == key)


def _t4_block_label(t: Template, key: str) -> str:
    b = next(b for b in t.t4_blocks if b.key == key)
    return f"{b.group}/{b.label}" if b.group else b.label


def _where(t: Template, ident: Identity) -> str:
    if ident.invariant == "t3_row_total":
        return f"行「{t.t3_row(ident.row or '').label}」"
    if ident.table == "t4":
        return f"块「{_t4_block_label(t, ident.row or '')}」"
    return f"列「{_t3_col_label(t, ident.col or '')}」"


# --- rules ------------------------------------------------------------------------------------


def identity_rules(t: Template, table: TableKey, suite: str, templates: tuple[str, ...]) -> list[Rule]:
    """One rule per invariant of this table, with one instance per `Identity`."""
    out = []
    for name, inv in INVARIANTS.items():
        idents = [i for i in t.identities() if i.invariant == name and i.table == table]
        if not idents:
            continue
        out.append(
            Rule(
                suite=suite,
                rule=name,
                expectation="ExpectColumnValuesToBeBetween",
                kwargs={"column": name, "min_value": 0, "max_value": 0},
                severity=inv.severity,
                description=f"{inv.description}（残差 = 左边 − 右边 = 0；每个 report_id/row/col 一条）",
                expected="lhs = rhs",
                table=table,
                invariant=name,
                templates=templates,
                frame=suite,
                index=CHECK_INDEX,
                instances=tuple(
                    Instance(i.row, i.col, i.lhs + i.rhs, f"{inv.description}：{_where(t, i)}") for i in idents
                ),
            )
        )
    return out


def _t2_block_row(t: Template, block: str, row: str) -> tuple[str, tuple[str, ...]]:
    """Label and keys of one table-二 row; raises if the registry no longer has it (soft rules anchor here)."""
    b = next(b for b in t.t2_blocks if b.key == block)
    r = next(r for r in b.rows if r.key == row)
    return r.label, tuple(f"t2.{b.key}.{r.key}.{c.key}" for c in b.columns)


# Soft-rule anchors come from the registry and are resolved against it (a rename fails loudly here).
_T2A_ROW = SOFT_RULE_KEYS["t2a_regulations_below_prefecture"]
_T2D_COLS = SOFT_RULE_KEYS["t2d_new_published_le_total"]
(_T2E_COL,) = SOFT_RULE_KEYS["t2e_fee_plausible_wan_yuan"]


def _soft(
    suite: str,
    t: Template,
    rule: str,
    kwargs: dict[str, Any],
    description: str,
    expected: str,
    instances: list[Instance],
) -> Rule:
    return Rule(
        suite=suite,
        rule=rule,
        expectation="ExpectColumnValuesToBeBetween",
        kwargs={"column": rule, **kwargs},
        severity="warning",
        description=description,
        expected=expected,
        table="t2",
        templates=(t.version,),
        frame=suite,
        index=CHECK_INDEX,
        instances=tuple(instances),
    )


def soft_rules(t: Template, suite: str) -> list[Rule]:
    """The table-二 plausibility rules (docs/domain.md §3.2) that apply to this template; all warnings."""
    out: list[Rule] = []
    reg_label, reg_keys = _t2_block_row(t, *_T2A_ROW)
    t2a = (
        f"T2-A 二表「{reg_label}」行应为 0：只有省级和设区的市人民政府能制定{reg_label}，"
        "部门、乡镇（街道）和县级政府不能（观测值 = 该行各列绝对值之和，只对这些机关计算）"
    )
    out.append(
        _soft(
            suite,
            t,
            "t2a_regulations_below_prefecture",
            {"min_value": 0, "max_value": 0},
            t2a,
            "0",
            [Instance(_T2A_ROW[1], None, reg_keys, t2a)],
        )
    )
    t2d: list[Instance] = []
    for b in t.t2_blocks:
        labels = {c.key: c.label for c in b.columns}
        if set(_T2D_COLS) <= set(labels):
            new, total = (labels[c] for c in _T2D_COLS)
            t2d += [
                Instance(
                    r.key,
                    _T2D_COLS[0],
                    tuple(f"t2.{b.key}.{r.key}.{c}" for c in _T2D_COLS),
                    f"T2-D 二表「{r.label}」：{new} ≤ {total}",
                )
                for r in b.rows
            ]
    if t2d:
        out.append(
            _soft(
                suite,
                t,
                "t2d_new_published_le_total",
                {"max_value": 0},
                "T2-D 二表（2019 格式）：本年新公开数量 ≤ 对外公开总数量（观测值 = 前者 − 后者）",
                "≤ 0",
                t2d,
            )
        )
    t2e = [
        Instance(
            r.key, c.key, (f"t2.{b.key}.{r.key}.{c.key}",), f"T2-E 二表「{r.label}」{c.label} ≤ {FEE_WAN_YUAN_MAX}"
        )
        for b in t.t2_blocks
        for c in b.columns
        if c.key == _T2E_COL
        for r in b.rows
    ]
    if t2e:
        out.append(
            _soft(
                suite,
                t,
                "t2e_fee_plausible_wan_yuan",
                {"max_value": FEE_WAN_YUAN_MAX},
                f"T2-E 二表收费金额以万元计；超过 {FEE_WAN_YUAN_MAX} 万元（10 亿元）多半是按元填写的单位错误",
                f"≤ {FEE_WAN_YUAN_MAX}",
                t2e,
            )
        )
    return out


def meta_rules() -> list[Rule]:
    versions = sorted(TEMPLATES)
    first = min(t.years[0] for t in TEMPLATES.values())
    this_year = datetime.now(UTC).year
    spans = "；".join(f"{t.version}: {t.years[0]}–{t.years[1] or ''}" for t in TEMPLATES.values())
    common: dict[str, Any] = {"suite": META_SUITE, "table": None, "frame": REPORTS}
    return [
        Rule(
            rule="report_id_unique",
            expectation="ExpectColumnValuesToBeUnique",
            kwargs={"column": "report_id"},
            severity="critical",
            description="每份报告在一批中只出现一次（report_id 唯一）",
            expected="unique",
            **common,
        ),
        Rule(
            rule="template_known",
            expectation="ExpectColumnValuesToBeInSet",
            kwargs={"column": "template", "value_set": versions},
            severity="critical",
            description=f"报告格式属于已知模板 {{{', '.join(versions)}}}",
            expected="{" + ", ".join(versions) + "}",
            **common,
        ),
        Rule(
            rule="report_year_range",
            expectation="ExpectColumnValuesToBeBetween",
            kwargs={"column": "report_year", "min_value": first, "max_value": this_year},
            severity="critical",
            description=f"统计年度在 {first}–{this_year} 之间（2019 年条例修订后的格式）",
            expected=f"[{first}, {this_year}]",
            **common,
        ),
        Rule(
            rule="template_matches_year",
            expectation="ExpectColumnPairValuesToBeEqual",
            kwargs={
                "column_A": "templates_printed",
                "column_B": "templates_expected",
                "ignore_row_if": "either_value_is_missing",
            },
            observed_column="templates_printed",
            # A warning: real 2022-23 reports print table 二 in the 2019 layout; their numbers are
            # still the publisher's, read with the layout printed and loaded as such.
            severity="warning",
            description=f"每张表都用统计年度的格式印出（{spans}）；"
            "观测值列出每张表实际所用格式，如「二 v2019; 三 v2021; 四 v2021」",
            expected="template_for_year(report_year) for every table",
            **common,
        ),
        Rule(
            rule="region_code_valid",
            expectation="ExpectColumnValuesToBeInSet",
            kwargs={"column": "region_valid", "value_set": [True]},
            observed_column="region_code",
            severity="critical",
            description="行政区划代码在该统计年度有效（gidar.regions.lookup(code, year)；缺代码或缺区划表时不评估）",
            expected="valid for report_year",
            **common,
        ),
    ]


def _money_units() -> dict[str, str]:
    """Column label -> the unit the template asks for it (registry `Column.unit`)."""
    return {c.label: c.unit for t in TEMPLATES.values() for b in t.t2_blocks for c in b.columns if c.unit}


def cell_rules() -> list[Rule]:
    common: dict[str, Any] = {"suite": CELLS_SUITE, "frame": CELLS, "index": ("report_id", "key")}
    return [
        Rule(
            rule="count_non_negative",
            expectation="ExpectColumnValuesToBeBetween",
            kwargs={"column": "count_value", "min_value": 0},
            severity="critical",
            description="件数类单元格（value_type=count）不为负",
            expected="≥ 0",
            **common,
        ),
        Rule(
            rule="count_integer",
            expectation="ExpectColumnValuesToBeBetween",
            kwargs={"column": "fraction", "min_value": 0, "max_value": 0},
            severity="critical",
            description="件数和增减数（count / signed）是整数（观测值 = 小数部分）",
            expected="integer",
            **common,
        ),
        Rule(
            rule="money_non_negative",
            expectation="ExpectColumnValuesToBeBetween",
            kwargs={"column": "money_value", "min_value": 0},
            severity="critical",
            description="金额（value_type=money，可含小数）不为负",
            expected="≥ 0",
            **common,
        ),
        Rule(
            rule="money_unit_as_template",
            expectation="ExpectColumnValuesToBeInSet",
            kwargs={"column": "money_unit", "value_set": sorted(set(_money_units().values()))},
            severity="warning",
            description="金额以模板要求的单位印出（"
            + "，".join(f"{label}：{unit}" for label, unit in _money_units().items())
            + "）；以元等其他单位印出的金额按所印数值存储，不换算（观测值 = 所印单位）",
            expected="/".join(sorted(set(_money_units().values()))),
            **common,
        ),
        Rule(
            rule="cell_present",
            expectation="ExpectColumnValuesToNotBeNull",
            kwargs={"column": "value"},
            severity="warning",
            description="已读出的表中，模板的每个单元格都有数值（空白/—按 0 计；缺失说明没读出来）",
            expected="not null",
            **common,
        ),
    ]


def _table_suites(table: TableKey) -> dict[str, list[Rule]]:
    """Identity rules of one table: one suite if all templates agree, else one per version."""

    def build(t: Template, suite: str, templates: tuple[str, ...]) -> list[Rule]:
        rules = identity_rules(t, table, suite, templates)
        if table == "t2":
            rules += soft_rules(t, suite)
        return rules

    per_version = {v: build(t, f"{table}_{v}", (v,)) for v, t in TEMPLATES.items()}
    shapes = {tuple((r.rule, r.description, r.instances) for r in rules) for rules in per_version.values()}
    if len(shapes) == 1:
        first = next(iter(TEMPLATES.values()))
        rules = build(first, table, tuple(TEMPLATES))
        return {table: rules} if rules else {}
    return {f"{table}_{v}": rules for v, rules in per_version.items() if rules}


def suites() -> dict[str, list[Rule]]:
    """Suite name -> its rules, in a stable order."""
    return {k: list(v) for k, v in _suites().items()}


@cache
def _suites() -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {META_SUITE: meta_rules(), CELLS_SUITE: cell_rules()}
    for table in ("t3", "t4", "t2"):
        out.update(_table_suites(table))  # type: ignore[arg-type]
    return out


def check_suites() -> dict[str, list[Rule]]:
    """The suites that run on per-suite check frames (identities and soft rules)."""
    return {k: v for k, v in suites().items() if k not in (META_SUITE, CELLS_SUITE)}


def suite_catalogue() -> list[dict[str, Any]]:
    """Every expectation, for the README and the dashboard (no GX import)."""
    return [
        {
            "suite": r.suite,
            "expectation": r.expectation,
            "column": r.column,
            "rule": r.rule,
            "invariant": r.invariant,
            "table": r.table,
            "severity": r.severity,
            "description": r.description,
            "expected": r.expected,
            "instances": [{"row": i.row, "col": i.col, "description": i.description} for i in r.instances],
        }
        for rules in suites().values()
        for r in rules
    ]
