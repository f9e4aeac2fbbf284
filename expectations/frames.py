"""The input of expectations/: pandas frames built by a pure function from the STORED tables.

`build_frames(reports, cells)` takes the ``reports`` and long ``cells`` Arrow tables exactly as
transform/ builds them, the Parquet lake holds them and the warehouse loads them (`gidar.schema`),
and returns a `Frames`:

``reports``  one row per report (every report, whatever its status):
             report_id, source, status, template, report_year (Int64), region_code, agency_type,
             expected_template (= template_for_year(report_year)), region_valid (True/False, None when
             the code, the year or gidar.regions is missing).
``cells``    one row per registry cell of every table a report printed (a table counts as printed
             when at least one of its cells was stored; missing cells have value NaN):
             report_id, template, table, key, value_type, value, raw, page (Int64), x0, top, x1, bottom,
             and the value-type views the ``cells`` suite checks: count_value (count cells),
             money_value (money cells), fraction (|v − round(v)| of count and signed cells).
``checks``   suite name -> one row per report × evaluable rule instance of that suite:
             report_id, template, rule, row, col (as in `gidar.invariants.Violation`; None where the
             instance has none), lhs, rhs (identities only), and one float column per rule of the
             suite, named after the rule, holding that row's residual (lhs − rhs, exactly 0 when
             |lhs − rhs| ≤ 1e-9 as in `gidar.invariants.check`) or observed value, NaN on the other
             rules' rows. An instance whose cells are missing or in the report's ``review`` (not
             read cleanly: a person's to settle, not a publisher's error), or that does not apply
             (e.g. T2-A for a prefecture government), has no row.

Pure: no I/O, no GX, and nothing of extract/: what is validated is what is stored.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

import pandas as pd
import pyarrow as pa

from gidar.invariants import evaluate
from gidar.keys import Key
from gidar.templates import TEMPLATES, Template, template_for_year

from .rules import Rule, check_suites

Number = int | float
TOLERANCE = 1e-9  # the same as gidar.invariants.check


class StoredCell(NamedTuple):
    value: float | None
    raw: str | None
    page: int | None
    bbox: tuple[float, float, float, float] | None
    unit: str | None = None
    blank_table: bool = False  # its table was printed without one value: no cell of it is a zero


@dataclass(frozen=True)
class StoredReport:
    """One report as the stored tables describe it (a ``reports`` row and its ``cells`` rows)."""

    report_id: str
    source: str | None
    status: str
    template: str | None
    report_year: int | None
    region_code: str | None
    agency_type: str | None
    cells: dict[str, StoredCell]
    # table -> template its cells were stored with (a 2021+ report may print table 二 in the 2019 layout)
    table_templates: Mapping[str, str] = field(default_factory=dict)
    review: frozenset[str] = frozenset()  # cells the extractor could not read cleanly: a person's to settle

    @property
    def values(self) -> dict[str, float]:
        return {k: c.value for k, c in self.cells.items() if c.value is not None}

    def template_of(self, table: str) -> Template | None:
        """The template one table was read with: as stored with its cells, else the report's."""
        return TEMPLATES.get(self.table_templates.get(table) or self.template or "")


@dataclass(frozen=True)
class Frames:
    reports: pd.DataFrame
    cells: pd.DataFrame
    checks: dict[str, pd.DataFrame]

    def __len__(self) -> int:
        return len(self.reports)


RegionLookup = Callable[[str, int], object | None]


def default_region_lookup() -> RegionLookup | None:
    """A code check backed by `gidar.regions`: a county-level unit valid in that year
    (`lookup(code, year)`), or a prefecture / province code, whose governments also report.
    None where gidar.regions is unavailable (the rule is then not evaluated)."""
    try:
        regions = importlib.import_module("gidar.regions")
    except ImportError:
        return None
    lookup = getattr(regions, "lookup", None)
    prefectures = getattr(regions, "prefectures", None)
    if lookup is None:
        return None

    def valid(code: str, year: int) -> object | None:
        found = lookup(code, year)
        if found is None and prefectures is not None and code.endswith("00"):
            codes = {p.code for p in prefectures(code[:2])}
            found = code if code in codes or (codes and code == code[:2] + "0000") else None
        return found

    return valid


_NO_LOOKUP = object()


def stored_reports(reports: pa.Table, cells: pa.Table) -> list[StoredReport]:
    """The reports of a batch of stored tables, in the order of the ``reports`` table."""
    by_report: dict[str, dict[str, StoredCell]] = {}
    tables: dict[str, dict[str, str]] = {}
    names = ["report_id", "key", "value", "raw", "page", "x0", "top", "x1", "bottom", "template", "unit", "flags"]
    cols = cells.select([n for n in names if n in cells.column_names]).to_pydict()
    n = cells.num_rows
    for rid, key, value, raw, page, x0, top, x1, bottom, tpl, unit, flags in zip(
        *(cols.get(name, [None] * n) for name in names), strict=True
    ):
        bbox = None if None in (x0, top, x1, bottom) else (x0, top, x1, bottom)
        by_report.setdefault(rid, {})[key] = StoredCell(value, raw, page, bbox, unit, "table_blank" in (flags or ()))
        k = Key.try_parse(key)
        if tpl and k is not None:
            tables.setdefault(rid, {}).setdefault(k.table, tpl)
    meta = reports.select(
        ["report_id", "source", "status", "template", "report_year", "region_code", "agency_type"]
    ).to_pylist()
    review = reports.column("review").to_pylist() if "review" in reports.column_names else [None] * len(meta)
    return [
        StoredReport(
            **m,
            cells=by_report.get(m["report_id"], {}),
            table_templates=tables.get(m["report_id"], {}),
            review=frozenset(rv or ()),
        )
        for m, rv in zip(meta, review, strict=True)
    ]


def build_frames(
    reports: pa.Table,
    cells: pa.Table,
    *,
    region_lookup: RegionLookup | object | None = _NO_LOOKUP,
) -> Frames:
    """Frames for a batch of stored report tables (pure apart from the region table lookup)."""
    lookup = default_region_lookup() if region_lookup is _NO_LOOKUP else region_lookup
    items = stored_reports(reports, cells)
    report_frame = pd.DataFrame(
        [_report_row(r, lookup) for r in items],  # type: ignore[arg-type]
        columns=list(_REPORT_COLUMNS),
    ).astype(_REPORT_COLUMNS)
    cell_frame = _cells_frame(items)
    observed = [_observe_report(r) for r in items]  # by position: ids may repeat (report_meta flags it)
    checks = {name: _check_frame(rules, items, observed) for name, rules in check_suites().items()}
    return Frames(reports=report_frame, cells=cell_frame, checks=checks)


# --- reports ---------------------------------------------------------------------------------

# Text columns use pandas' string dtype ("str", Arrow-backed in pandas 3): building them as
# object and converting was the slowest step of framing a large batch.
_REPORT_COLUMNS: dict[str, Any] = {
    "report_id": "str",
    "source": "str",
    "status": "str",
    "template": "str",
    "report_year": "Int64",
    "region_code": "str",
    "agency_type": "str",
    "expected_template": "str",
    "templates_printed": "str",
    "templates_expected": "str",
    "region_valid": "object",  # True / False / None,
}


def _report_row(r: StoredReport, lookup: RegionLookup | None) -> dict[str, Any]:
    year = r.report_year
    valid: bool | None = None
    if lookup is not None and r.region_code and year is not None:
        valid = lookup(r.region_code, year) is not None
    return {
        "report_id": r.report_id,
        "source": r.source,
        "status": r.status,
        "template": r.template,
        "report_year": year,
        "region_code": r.region_code,
        "agency_type": r.agency_type,
        "expected_template": template_for_year(year).version if year is not None else None,
        **_template_mix(r),
        "region_valid": valid,
    }


def _template_mix(r: StoredReport) -> dict[str, str | None]:
    """Each table read and its template, and what the report's year asks of them (``二 v2019; 三 v2021;
    四 v2021``), so a mix is named: a 2021+ report may print table 二 in the 2019 layout."""
    names = {"t2": "二", "t3": "三", "t4": "四"}
    stored = r.table_templates or ({t: r.template for t in names} if r.cells and r.template else {})
    read = [(t, stored[t]) for t in names if stored.get(t)]
    if not read or r.report_year is None:
        return {"templates_printed": None, "templates_expected": None}
    want = template_for_year(r.report_year).version
    return {
        "templates_printed": "; ".join(f"{names[t]} {v}" for t, v in read),
        "templates_expected": "; ".join(f"{names[t]} {want}" for t, _ in read),
    }


# --- cells -----------------------------------------------------------------------------------

_CELL_COLUMNS: dict[str, Any] = {
    "report_id": "str",
    "template": "str",
    "table": "str",
    "key": "str",
    "value_type": "str",
    "value": "float64",
    "raw": "str",
    "page": "Int64",
    "x0": "float64",
    "top": "float64",
    "x1": "float64",
    "bottom": "float64",
    "count_value": "float64",
    "money_value": "float64",
    "fraction": "float64",
    "money_unit": "str",
}


def _template_of(r: StoredReport) -> Template | None:
    return TEMPLATES.get(r.template or "")


@cache
def _layout(version: str, printed: frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Keys, tables and value types of the template's cells in the printed tables, in order."""
    cells = [(key, Key.parse(key).table, vtype) for key, vtype in TEMPLATES[version].cells()]
    keys, tables, vtypes = zip(*(c for c in cells if c[1] in printed), strict=True) if printed else ((), (), ())
    return keys, tables, vtypes


def _cells_frame(items: Sequence[StoredReport]) -> pd.DataFrame:
    cols: dict[str, list[Any]] = {c: [] for c in ("report_id", "template", "table", "key", "value_type")}
    found: list[StoredCell | None] = []
    for r in items:
        by_key = r.cells
        # a table printed blank holds no values to check (the report is uncertain for it)
        printed = {k.table for key, c in by_key.items() if (k := Key.try_parse(key)) and not c.blank_table}
        for table in sorted(printed):
            t = r.template_of(table)
            if t is None:
                continue
            keys, tables, vtypes = _layout(t.version, frozenset({table}))
            cols["report_id"] += [r.report_id] * len(keys)
            cols["template"] += [t.version] * len(keys)
            cols["table"] += tables
            cols["key"] += keys
            cols["value_type"] += vtypes
            found += [by_key.get(k) for k in keys]
    cols["value"] = [None if c is None or c.value is None else float(c.value) for c in found]
    cols["raw"] = [None if c is None else c.raw for c in found]
    cols["page"] = [None if c is None else c.page for c in found]
    boxes = [c.bbox if c is not None and c.bbox else (None, None, None, None) for c in found]
    for i, name in enumerate(("x0", "top", "x1", "bottom")):
        cols[name] = [b[i] for b in boxes]
    frame = pd.DataFrame(cols).astype({k: v for k, v in _CELL_COLUMNS.items() if k in cols and v != "str"})
    vtype, value = frame["value_type"], frame["value"]
    frame["count_value"] = value.where(vtype == "count")
    frame["money_value"] = value.where(vtype == "money")
    frame["fraction"] = (value - value.round()).abs().where(vtype.isin(["count", "signed"]))
    # the unit printed for a money cell whose template column names one (本年收费金额 in 万元)
    asks = _unit_asked()
    frame["money_unit"] = [
        c.unit if c is not None and c.unit and (t, k) in asks else None
        for c, t, k in zip(found, frame["template"], frame["key"], strict=True)
    ]
    return frame[list(_CELL_COLUMNS)].astype(_CELL_COLUMNS)


@cache
def _unit_asked() -> dict[tuple[str, str], str]:
    """(template, key) -> the unit the template asks for that money cell (registry `Column.unit`)."""
    return {
        (t.version, f"t2.{b.key}.{r.key}.{c.key}"): c.unit
        for t in TEMPLATES.values()
        for b in t.t2_blocks
        for c in b.columns
        if c.unit
        for r in b.rows
    }


# --- check frames ----------------------------------------------------------------------------

Observation = tuple[str, str | None, str | None, float, float | None, float | None]  # rule, row, col, value, lhs, rhs


def _check_frame(
    rules: Sequence[Rule], items: Sequence[StoredReport], observed: Sequence[list[Observation]]
) -> pd.DataFrame:
    names = [r.rule for r in rules]
    templates = set(rules[0].templates) if rules else set()
    table = rules[0].table if rules else None
    columns = ["report_id", "template", "rule", "row", "col", "lhs", "rhs", *names]
    rows = []
    for r, obs in zip(items, observed, strict=True):
        t = r.template_of(table) if table else _template_of(r)  # the suite's table as it was printed
        if t is None or t.version not in templates:
            continue
        for rule, row, col, value, lhs, rhs in obs:
            if rule in names:
                rows.append(
                    {
                        "report_id": r.report_id,
                        "template": t.version,
                        "rule": rule,
                        "row": row,
                        "col": col,
                        "lhs": lhs,
                        "rhs": rhs,
                        rule: value,
                    }
                )
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({c: "float64" for c in columns[5:]})


def _observe_report(r: StoredReport) -> list[Observation]:
    """The identities of tables 三/四 with their template, the table-二 rules with table 二's."""
    t, t2 = r.template_of("t3"), r.template_of("t2")
    # an identity over a cell in review is a person's to settle, not a publisher's error to report
    values = {k: v for k, v in r.values.items() if k not in r.review}
    out = [] if t is None else observe(t, values, r.agency_type, r.region_code, soft=False)
    return out + ([] if t2 is None else observe(t2, values, r.agency_type, r.region_code, identities=False))


def _resid(lhs: Number, rhs: Number) -> float:
    return 0.0 if abs(lhs - rhs) <= TOLERANCE else float(lhs - rhs)


def observe(
    t: Template,
    values: Mapping[str, Number | None],
    agency_type: str | None,
    region_code: str | None,
    *,
    identities: bool = True,
    soft: bool = True,
) -> list[Observation]:
    """Every evaluable rule instance of one report: (rule, row, col, value, lhs, rhs)."""
    out: list[Observation] = [
        (ident.invariant, ident.row, ident.col, _resid(lhs, rhs), float(lhs), float(rhs))
        for ident, lhs, rhs in (evaluate(t, values) if identities else [])
    ]
    for rule in _soft_rules(t.version) if soft else ():
        for inst in rule.instances:
            v = _soft_value(rule.rule, inst.cells, values, agency_type, region_code)
            if v is not None:
                out.append((rule.rule, inst.row, inst.col, v, None, None))
    return out


def _soft_rules(version: str) -> list[Rule]:
    return [r for rules in check_suites().values() for r in rules if not r.invariant and version in r.templates]


def below_prefecture_government(agency_type: str | None, region_code: str | None) -> bool | None:
    """True for bodies that cannot make 规章 (立法法): every department and township, and governments
    whose region code is county level; False for province / prefecture governments; None if unknown."""
    if agency_type in ("department", "township"):
        return True
    if agency_type == "government" and region_code and len(region_code) == 6:
        return not region_code.endswith("00")
    return None


def _soft_value(
    rule: str,
    cells: Sequence[str],
    values: Mapping[str, Number | None],
    agency_type: str | None,
    region_code: str | None,
) -> float | None:
    present = [values.get(k) for k in cells]
    if rule == "t2a_regulations_below_prefecture":
        nums = [abs(v) for v in present if v is not None]
        if not nums or not below_prefecture_government(agency_type, region_code):
            return None
        return float(sum(nums))
    if any(v is None for v in present):
        return None
    nums = [float(v) for v in present if v is not None]
    if rule == "t2d_new_published_le_total":
        return nums[0] - nums[1]
    if rule == "t2e_fee_plausible_wan_yuan":
        return nums[0]
    raise ValueError(f"no observation defined for rule {rule}")


# --- from failures back to cells -------------------------------------------------------------


def locate(frames: Frames, report_id: str, keys: Iterable[str]) -> list[dict[str, Any]]:
    """Value, printed text, page and bbox of the given cells of one report (for review UIs)."""
    wanted = list(keys)
    sub = frames.cells[(frames.cells["report_id"] == report_id) & frames.cells["key"].isin(wanted)]
    order = {k: i for i, k in enumerate(wanted)}
    out = []
    for row in sorted(sub.itertuples(index=False), key=lambda x: order[x.key]):
        bbox = None if pd.isna(row.x0) else (row.x0, row.top, row.x1, row.bottom)
        out.append(
            {
                "key": row.key,
                "value": None if math.isnan(row.value) else row.value,
                "raw": row.raw,
                "page": None if pd.isna(row.page) else int(row.page),
                "bbox": bbox,
            }
        )
    return out
