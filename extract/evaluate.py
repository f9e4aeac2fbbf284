"""``gidar eval TRUTH_DIR``: extract every PDF of a truth folder and score it.

A truth folder holds ``<id>.json`` files in the truth format (docs/truth-format.md)
next to the PDFs they name. Scores: exact cells per renderer/variant, reports fully exact,
violation precision/recall, metadata accuracy, statuses of the bad files and seconds per page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gidar.contract import ExtractionResult
from gidar.extract.api import extract_file, write_json
from gidar.extract.budget import DEFAULT_BUDGET, Budget
from gidar.extract.pdf import DEFAULT_BACKEND


@dataclass
class Tally:
    reports: int = 0
    exact_reports: int = 0
    cells: int = 0
    exact_cells: int = 0
    extra_keys: int = 0

    @property
    def cell_pct(self) -> float:
        return 100.0 * self.exact_cells / self.cells if self.cells else math.nan


@dataclass
class EvalReport:
    by_variant: dict[str, Tally] = field(default_factory=dict)  # "renderer/variant" → tally
    by_deviation: dict[str, Tally] = field(default_factory=dict)  # generator deviation → tally
    violations_expected: int = 0
    violations_found: int = 0  # expected and reported
    violations_false: int = 0  # reported, not expected
    metadata_hits: dict[str, int] = field(default_factory=dict)  # field → correct count
    metadata_n: int = 0
    bad_files: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, kind, status, message
    seconds: dict[str, float] = field(default_factory=dict)  # text / scanned → total seconds
    pages: dict[str, int] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)  # first wrong cells, for a look
    statuses: dict[str, int] = field(default_factory=dict)  # status → count, reports only
    quality: dict[str, int] = field(default_factory=dict)  # quality verdict → count, reports only
    # template bends as recorded (truths that name them): "name" → [right, of]
    bends: dict[str, list[int]] = field(default_factory=dict)
    backends: dict[str, int] = field(default_factory=dict)  # PDF reader that read each file → count

    @property
    def total(self) -> Tally:
        t = Tally()
        for v in self.by_variant.values():
            t.reports += v.reports
            t.exact_reports += v.exact_reports
            t.cells += v.cells
            t.exact_cells += v.exact_cells
            t.extra_keys += v.extra_keys
        return t

    @property
    def precision(self) -> float:
        got = self.violations_found + self.violations_false
        return self.violations_found / got if got else 1.0

    @property
    def recall(self) -> float:
        return self.violations_found / self.violations_expected if self.violations_expected else 1.0


def _close(a: object, b: object) -> bool:
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return False
    return abs(float(a) - float(b)) <= 1e-6


def _vkeys(items: list[dict[str, Any]]) -> set[tuple[Any, Any, Any]]:
    return {(v.get("invariant"), v.get("row"), v.get("col")) for v in items}


META_FIELDS = ("region_code", "report_year", "template", "agency")


def score_one(report: EvalReport, truth: dict[str, Any], res: ExtractionResult) -> None:
    """Add one extraction to the report (pure: no I/O)."""
    kind = truth.get("document_kind")
    if res.backend:
        report.backends[res.backend] = report.backends.get(res.backend, 0) + 1
    if kind != "disclosure_report":
        report.bad_files.append((str(truth.get("id")), str(kind), res.status, res.message))
        return
    report.statuses[res.status] = report.statuses.get(res.status, 0) + 1
    report.quality[res.quality] = report.quality.get(res.quality, 0) + 1
    render = truth.get("render") or {}
    name = f"{render.get('renderer', '?')}/{render.get('variant', '?')}"
    tally = report.by_variant.setdefault(name, Tally())
    values = res.values
    tv: dict[str, Any] = truth["values"]
    exact = sum(_close(values.get(k), v) for k, v in tv.items())
    for k, v in tv.items():
        if not _close(values.get(k), v) and len(report.wrong) < 30:
            report.wrong.append(f"{truth.get('id')} {k}: truth={v} got={values.get(k)!r}")
    extra = len(set(values) - set(tv))
    tally.reports += 1
    tally.cells += len(tv)
    tally.exact_cells += exact
    tally.extra_keys += extra
    tally.exact_reports += exact == len(tv) and not extra
    for dev in render.get("deviations") or ():  # the template bends and number forms a report shows
        d = report.by_deviation.setdefault(dev, Tally())
        d.reports += 1
        d.cells += len(tv)
        d.exact_cells += exact
        d.extra_keys += extra
        d.exact_reports += exact == len(tv) and not extra
    _score_bends(report, truth, res)
    exp = _vkeys(truth.get("expected_violations") or [])
    got = _vkeys([v.to_dict() for v in res.violations])
    report.violations_expected += len(exp)
    report.violations_found += len(exp & got)
    report.violations_false += len(got - exp)
    tm = truth.get("metadata") or {}
    md = res.metadata.to_json()
    report.metadata_n += 1
    for f in META_FIELDS:
        want = truth.get("template") if f == "template" else tm.get(f)
        have = (res.template or md.get("template")) if f == "template" else md.get(f)
        report.metadata_hits[f] = report.metadata_hits.get(f, 0) + (str(have) == str(want))
    cls = "text" if render.get("has_text_layer", True) else "scanned"
    report.seconds[cls] = report.seconds.get(cls, 0.0) + res.seconds
    report.pages[cls] = report.pages.get(cls, 0) + (res.n_pages or 0)


def truths(truth_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """(PDF, truth) for every truth JSON of a folder. Raises `FileNotFoundError` for a missing
    folder and `ValueError` for a folder without truth files: a score of nothing is no score."""
    folder = Path(truth_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    out = []
    for tp in sorted(folder.glob("*.json")):
        try:
            truth = json.loads(tp.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue  # not a truth file (extracted output, notes)
        if isinstance(truth, dict) and "document_kind" in truth:
            out.append((tp.parent / (truth.get("file") or tp.with_suffix(".pdf").name), truth))
    if not out:
        raise ValueError(f"no truth files in {folder} (<id>.json with a document_kind, next to <id>.pdf)")
    return out


def _tally(report: EvalReport, name: str, right: int, of: int) -> None:
    t = report.bends.setdefault(name, [0, 0])
    t[0] += right
    t[1] += of


def _score_bends(report: EvalReport, truth: dict[str, Any], res: ExtractionResult) -> None:
    """Per table template, extra cells, units and blank tables, where the truth records them."""
    from gidar.labels import normalise

    if "table_templates" in truth:
        want = truth["table_templates"]
        _tally(report, "table templates", sum(res.table_templates.get(t) == v for t, v in want.items()), len(want))
    if "extra_cells" in truth:
        want_x = {
            (x["block"], normalise(x["label"]), c, float(v))
            for x in truth["extra_cells"]
            for c, v in x["values"].items()
        }
        have_x = {(x.block, normalise(x.label), x.col, float(x.value or 0)) for x in res.extra_cells}
        _tally(report, "extra cells found", len(want_x & have_x), len(want_x))
        _tally(report, "extra cells not printed", len(have_x - want_x), 0)
    if "units" in truth:
        units = {c.key: c.unit for c in res.cells}
        want_u = truth["units"]
        _tally(report, "units as printed", sum(units.get(k) == u for k, u in want_u.items()), len(want_u))
        _tally(report, "units not printed", sum(1 for k, u in units.items() if u and k not in want_u), 0)
    if "blank_tables" in truth:
        want_b, have_b = set(truth["blank_tables"]), set(res.blank_tables)
        _tally(report, "blank tables flagged", len(want_b & have_b), len(want_b))
        _tally(report, "tables wrongly called blank", len(have_b - want_b), 0)


def run_eval(
    truth_dir: Path,
    out_dir: Path | None = None,
    include: Callable[[dict[str, Any]], bool] | None = None,
    backend: str = DEFAULT_BACKEND,
    budget: Budget = DEFAULT_BUDGET,
) -> EvalReport:
    """Extract and score every truth file's PDF; ``include`` filters truths (e.g. skip scanned)."""
    report = EvalReport()
    cases = truths(truth_dir)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    for pdf, truth in cases:
        if include is not None and not include(truth):
            continue
        res = extract_file(pdf, backend=backend, budget=budget)
        if out_dir is not None:
            write_json(res, out_dir / f"{pdf.stem}.json")
        score_one(report, truth, res)
    return report


def format_report(report: EvalReport) -> str:
    lines = ["cell accuracy by renderer/variant:"]
    for name, t in sorted(report.by_variant.items()):
        lines.append(
            f"  {name:<22} reports {t.exact_reports}/{t.reports} exact   cells {t.exact_cells}/{t.cells}"
            f" ({t.cell_pct:.2f}%)" + (f"  extra keys {t.extra_keys}" if t.extra_keys else "")
        )
    if report.by_deviation:
        lines.append("cell accuracy by deviation (reports showing it):")
        for name, t in sorted(report.by_deviation.items()):
            lines.append(
                f"  {name:<28} reports {t.exact_reports}/{t.reports} exact   cells {t.exact_cells}/{t.cells}"
                f" ({t.cell_pct:.2f}%)" + (f"  extra keys {t.extra_keys}" if t.extra_keys else "")
            )
    tot = report.total
    lines.append(
        f"  {'all':<22} reports {tot.exact_reports}/{tot.reports} exact   cells {tot.exact_cells}/{tot.cells}"
        f" ({tot.cell_pct:.2f}%)"
    )
    lines.append(
        f"violations: {report.violations_found}/{report.violations_expected} found, {report.violations_false} false"
        f"  precision {report.precision:.3f} recall {report.recall:.3f}"
    )
    if report.statuses:
        st = ", ".join(f"{k} {v}" for k, v in sorted(report.statuses.items()))
        qu = ", ".join(f"{k} {v}" for k, v in sorted(report.quality.items()))
        lines.append(f"report statuses: {st};  quality: {qu}")
    if report.bends:
        lines.append(
            "template bends: " + "  ".join(f"{name} {right}/{of}" for name, (right, of) in sorted(report.bends.items()))
        )
    if report.metadata_n:
        meta = "  ".join(f"{f} {report.metadata_hits.get(f, 0)}/{report.metadata_n}" for f in META_FIELDS)
        lines.append(f"metadata: {meta}")
    if report.bad_files:
        lines.append("bad files:")
        for ident, kind, status, msg in report.bad_files:
            flag = "flagged" if status != "ok" else "MISSED"
            lines.append(f"  {ident:<12} {kind:<16} → {status:<14} {flag}  {msg}")
    if report.backends:
        lines.append("read by: " + ", ".join(f"{k} {v}" for k, v in sorted(report.backends.items())))
    for cls in ("text", "scanned"):
        if report.pages.get(cls):
            s, n = report.seconds[cls], report.pages[cls]
            lines.append(f"seconds per page ({cls}): {s / n:.3f}  ({s:.1f} s / {n} pages)")
    for w in report.wrong[:10]:
        lines.append(f"wrong: {w}")
    return "\n".join(lines)
