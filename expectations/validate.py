"""Run the suites with Great Expectations and flatten the outcome into `DQRecord`s.

One GX validation run per suite over the whole batch (never one per report); GX is imported
lazily here because ``import great_expectations`` costs 3+ s. GX decides pass/fail; the
frames supply what each record reports (observed value, lhs/rhs, and for a failure the cells
with their pages and boxes, so a person can open the evidence).
"""

from __future__ import annotations

import importlib
import math
import os
import sys
import threading
import types
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd
import pyarrow as pa

from gidar.dq import CellRef, DQRecord, as_text
from gidar.keys import Key

from .frames import Frames, build_frames
from .rules import CELLS, REPORTS, Rule, Severity, suites


def validate_tables(reports: pa.Table, cells: pa.Table) -> list[DQRecord]:
    """Validate a batch of stored report tables (`gidar.schema` ``reports`` and ``cells``)."""
    return validate_reports(build_frames(reports, cells))


def validate_reports(frames: Frames) -> list[DQRecord]:
    """Validate a batch; one record per report per evaluable rule instance, pass or fail."""
    if frames.reports.empty:
        return []
    failed = run_gx(frames)
    out: list[DQRecord] = []
    for name, rules in suites().items():
        frame = _frame_of(frames, rules[0])
        if frame.empty:
            continue
        for i, rule in enumerate(rules):
            bad = failed.get((name, i), set())
            if rule.frame == CELLS:
                out += _cell_results(rule, frame, bad)
            else:
                out += _row_results(rule, frame, bad)
    out = _located(frames, out)
    order = {rid: i for i, rid in enumerate(frames.reports["report_id"])}
    out.sort(key=lambda r: order.get(r.report_id, len(order)))  # stable: suite/rule order kept per report
    return out


def _frame_of(frames: Frames, rule: Rule) -> pd.DataFrame:
    if rule.frame == REPORTS:
        return frames.reports
    if rule.frame == CELLS:
        return frames.cells
    return frames.checks[rule.frame]


# --- GX --------------------------------------------------------------------------------------


# Modules GX imports only for expectations the suites never use (KL divergence and KS tests: scipy.stats, and
# altair for their charts). Left as stand-ins that import the real module on first use, they cost nothing here:
# the checking process is ready ~0.8 s of a core sooner and stays ~80 MB smaller (200 MB instead of 280).
DEFERRED_IMPORTS = ("scipy.stats", "altair")


class _Deferred(types.ModuleType):
    """A module that imports itself on its first attribute access. (importlib.util.LazyLoader does not defer:
    Python 3.11's import statement reads ``__spec__`` of a module already imported, which loads it.)"""

    def __getattr__(self, attr: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def defer_imports(names: Sequence[str] = DEFERRED_IMPORTS) -> None:
    """Put a `_Deferred` stand-in in ``sys.modules`` for each module not imported yet (before GX's import)."""
    import importlib.util

    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue  # not installed: GX's own import decides what that means
        module = _Deferred(name)
        module.__spec__ = spec
        module.__file__ = spec.origin  # read by tools that walk sys.modules; needs no import
        sys.modules[name] = module


class _Gx:
    """The GX context and one validation definition per suite, built once per process and reused by
    every batch of a run: building them costs more than validating a batch of 50 reports."""

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        defer_imports()
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx = gx
        self.ctx = gx.get_context(mode="ephemeral")
        self.ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        # Data Docs are not built: the dashboard shows the warehouse's cumulative results instead.
        self.source = self.ctx.data_sources.add_pandas("gidar")
        self.definitions: dict[str, Any] = {}
        self.lock = threading.Lock()

    def forget_results(self) -> None:
        """Drop the results GX keeps of every run (its ephemeral store is in memory): they are flattened into
        `DQRecord`s at once, and kept they grew the process with every batch of a run."""
        store = self.ctx.validation_results_store
        for key in store.list_keys():
            store.remove_key(key)

    def definition(self, name: str, rules: Sequence[Rule]) -> Any:
        if name not in self.definitions:
            import great_expectations.expectations as gxe

            gx = self.gx
            # Built whole: suite.add_expectation re-serialises the suite each time (quadratic).
            expectations = [
                getattr(gxe, rule.expectation)(
                    **rule.kwargs, severity=rule.severity, description=rule.description, meta=_meta(rule, i)
                )
                for i, rule in enumerate(rules)
            ]
            suite = self.ctx.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
            batch = self.source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("batch")
            self.definitions[name] = self.ctx.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite)
            )
        return self.definitions[name]


_GX: list[_Gx] = []
_GX_LOCK = threading.Lock()


def _gx() -> _Gx:
    with _GX_LOCK:
        if not _GX:
            _GX.append(_Gx())
        return _GX[0]


def warm() -> None:
    """Build the context and every suite's validation definition ahead of the first batch."""
    gx = _gx()
    with gx.lock:
        for name, rules in suites().items():
            gx.definition(name, rules)


def run_gx(frames: Frames) -> dict[tuple[str, int], set[tuple[Any, ...]]]:
    """Run every non-empty suite once; (suite, rule position) -> unexpected index tuples."""
    gx = _gx()
    with gx.lock:  # one GX context: batches are validated one at a time
        try:
            return _run_gx(gx, frames)
        finally:
            gx.forget_results()


def _run_gx(gx: _Gx, frames: Frames) -> dict[tuple[str, int], set[tuple[Any, ...]]]:
    failed: dict[tuple[str, int], set[tuple[Any, ...]]] = {}
    for name, rules in suites().items():
        frame = _frame_of(frames, rules[0])
        if frame.empty:
            continue
        vd = gx.definition(name, rules)
        index = list(rules[0].index)
        # Only the columns the suite reads: GX copies the whole batch frame per expectation.
        used = dict.fromkeys([*index, *(c for r in rules for c in _columns(r))])
        res = vd.run(
            batch_parameters={"dataframe": frame[list(used)]},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index},
        )
        for r in res.results:
            _raise_on_exception(name, r)
            config = r.expectation_config
            assert config is not None and config.meta is not None  # set by us above
            pos = int(config.meta["gidar_rule_index"])
            unexpected = r.result.get("unexpected_index_list") or []
            failed[(name, pos)] = {_index_key([u.get(c) for c in index]) for u in unexpected}
            if not r.success and not unexpected:
                raise RuntimeError(f"{name}: {rules[pos].rule} failed without per-row details")
    return failed


def _meta(rule: Rule, i: int) -> dict[str, Any]:
    meta: dict[str, Any] = {"gidar_rule_index": i, "rule": rule.rule}
    if rule.table:
        meta["table"] = rule.table
    if rule.invariant:
        meta["invariant"] = rule.invariant
    if rule.instances:  # the full list would be re-serialised by GX many times per run
        meta["instances"] = len(rule.instances)
    return meta


def _raise_on_exception(suite: str, r: Any) -> None:
    info = r.exception_info or {}
    infos = [info] if "raised_exception" in info else list(info.values())
    for e in infos:
        if isinstance(e, Mapping) and e.get("raised_exception"):
            raise RuntimeError(f"GX suite {suite}: {e.get('exception_message')}")


# --- flattening ------------------------------------------------------------------------------


def _num(v: Any) -> float | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def _columns(rule: Rule) -> list[str]:
    return [rule.kwargs["column_A"], rule.kwargs["column_B"]] if "column_A" in rule.kwargs else [rule.column]


def _present(frame: pd.DataFrame, rule: Rule) -> pd.Series:
    """Rows the rule evaluates: GX skips nulls except where nulls are the point."""
    if rule.expectation == "ExpectColumnValuesToNotBeNull":
        return pd.Series(True, index=frame.index)
    return frame[_columns(rule)].notna().all(axis=1)


def _row_results(rule: Rule, frame: pd.DataFrame, bad: set[tuple[Any, ...]]) -> list[DQRecord]:
    """Reports frame and check frames: one result per frame row the rule evaluates."""
    sub = frame.loc[_present(frame, rule)]
    n = len(sub)
    rows = sub["row"].tolist() if "row" in sub else [None] * n
    cols = sub["col"].tolist() if "col" in sub else [None] * n
    lhs = sub["lhs"].tolist() if "lhs" in sub else [None] * n
    rhs = sub["rhs"].tolist() if "rhs" in sub else [None] * n
    places = {(i.row, i.col): i for i in rule.instances}
    out = []
    for rid, value, row, col, lhs_v, rhs_v in zip(
        sub["report_id"].tolist(), sub[rule.observed_column or rule.column].tolist(), rows, cols, lhs, rhs, strict=True
    ):
        row, col = _none(row), _none(col)
        inst = places.get((row, col))
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        # most rules fail nowhere in a batch: no key to build then (row and col are folded already, the id is text)
        passed = not bad or ((rid, row, col) if rule.frame != REPORTS else (rid,)) not in bad
        out.append(
            DQRecord(
                report_id=rid,
                suite=rule.suite,
                rule=rule.rule,
                invariant=rule.invariant,
                table_name=rule.table,
                row_key=row,
                col_key=col,
                severity=rule.severity,
                passed=passed,
                observed=as_text(_num(value) if numeric else _text(value)),
                expected=rule.expected,
                lhs=_num(lhs_v),
                rhs=_num(rhs_v),
                cells=tuple(CellRef(rid, k) for k in (inst.cells if inst else ())),
                description=inst.description if inst else rule.description,
            )
        )
    return out


def _none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def _index_key(values: Sequence[Any]) -> tuple[Any, ...]:
    """Unexpected-index tuples with NaN/None folded to None so both sides compare equal."""
    return tuple(_none(v) for v in values)


def _text(v: Any) -> str | None:
    return None if v is None or v is pd.NA else str(v)


def _row_col(key: str) -> tuple[str | None, str | None]:
    """The row (or block) and column a failing cell is reported under."""
    k = Key.parse(key)
    return k.line, k.col


def _cell_results(rule: Rule, frame: pd.DataFrame, bad: set[tuple[Any, ...]]) -> list[DQRecord]:
    """Cells frame: one row per report per table that has cells of the rule's kind."""
    sub = frame.loc[_present(frame, rule), ["report_id", "table", "key", rule.column]]
    groups = sub[["report_id", "table"]].drop_duplicates().itertuples(index=False, name=None)
    failing_by: dict[tuple[str, str], list[tuple[str, Any]]] = defaultdict(list)
    if bad:
        hit = pd.MultiIndex.from_frame(sub[["report_id", "key"]]).isin(list(bad))  # keys never null
        for rid, table, key, value in sub[hit].itertuples(index=False, name=None):
            failing_by[(rid, table)].append((key, value))
    out = []
    for rid, table in groups:
        failing = failing_by.get((rid, table), [])
        row, col = _row_col(failing[0][0]) if len(failing) == 1 else (None, None)
        out.append(
            DQRecord(
                report_id=rid,
                suite=rule.suite,
                rule=rule.rule,
                invariant=None,
                table_name=table,
                row_key=row,
                col_key=col,
                severity=rule.severity,
                passed=not failing,
                observed="; ".join(f"{k}={_fmt(v)}" for k, v in failing) or None,
                expected=rule.expected,
                cells=tuple(CellRef(rid, k) for k, _ in failing),
                description=rule.description,
            )
        )
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, str):  # a printed unit
        return v
    f = _num(v)
    return "null" if f is None else (str(int(f)) if f.is_integer() else repr(f))


def _located(frames: Frames, records: list[DQRecord]) -> list[DQRecord]:
    """Failures' cells with their page and box, read from the stored cells (one lookup for the batch)."""
    wanted = {(r.report_id, c.key) for r in records if not r.passed and r.report_id is not None for c in r.cells}
    if not wanted:
        return records
    cells = frames.cells
    hit = cells[pd.MultiIndex.from_frame(cells[["report_id", "key"]]).isin(list(wanted))]
    found: dict[tuple[str, str | None], tuple[int | None, Any]] = {}
    columns = ["report_id", "key", "page", "x0", "top", "x1", "bottom"]
    for rid, key, page, x0, top, x1, bottom in hit[columns].itertuples(index=False, name=None):
        bbox = None if pd.isna(x0) else (x0, top, x1, bottom)
        found.setdefault((rid, key), (None if pd.isna(page) else int(page), bbox))
    out = []
    for r in records:
        if r.passed or not r.cells or r.report_id is None:
            out.append(r)
            continue
        located = tuple(
            CellRef(c.report_id, c.key, *found[(r.report_id, c.key)]) if (r.report_id, c.key) in found else c
            for c in r.cells
        )
        out.append(replace(r, cells=located))
    return out


def failures(results: Sequence[DQRecord], severity: Severity | None = None) -> list[DQRecord]:
    """The failed rows, optionally of one severity."""
    return [r for r in results if not r.passed and (severity is None or r.severity == severity)]
