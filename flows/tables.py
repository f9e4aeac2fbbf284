"""Terminal tables, CSV and JSON rendering for the CLI (pure functions).

The one text-table helper of gidar: `format_table` counts CJK and full-width characters as two columns,
so Chinese county names line up (`gidar query`, `gidar dq`, `gidar review` all use it)."""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any


def display_width(text: str) -> int:
    """Terminal columns: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer():
            return str(int(value))
        return f"{value:.{FLOAT_DECIMALS}f}".rstrip("0").rstrip(".")
    return str(value)


# Floats are shown with at most 4 decimals (shares, money in 万元); csv/json keep full precision.
FLOAT_DECIMALS = 4


def _is_id(column: str) -> bool:
    """Ids and keys are never cut: a truncated report_id cannot be copied into the next query."""
    c = column.lower()
    return c in ("id", "key", "sha256", "source", "file_name") or c.endswith(("_id", "_ids", "_key"))


def _fit(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    if display_width(text) <= width:
        return text
    out, w = "", 0
    for ch in text:
        cw = display_width(ch)
        if w + cw > width - 1:
            break
        out, w = out + ch, w + cw
    return out + "…"


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def format_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 40, count: bool = True
) -> str:
    """An aligned text table (CJK characters count two columns); numbers right-aligned; floats rounded;
    ids in full; other cells cut at ``max_width``; a row count at the end unless ``count`` is False."""
    widths_cap = [None if _is_id(c) else max_width for c in columns]
    cells = [
        [_cell(v) if cap is None else _fit(_cell(v), cap) for v, cap in zip(r, widths_cap, strict=True)] for r in rows
    ]
    numeric = [all(isinstance(r[i], int | float | Decimal) or r[i] is None for r in rows) for i in range(len(columns))]
    widths = [max([display_width(c), *(display_width(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(_pad(c, widths[i], False) for i, c in enumerate(columns))]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(_pad(v, widths[i], numeric[i]) for i, v in enumerate(r)) for r in cells)
    if count:
        lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(line.rstrip() for line in lines)


def format_vertical(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, start: int = 1) -> str:
    """One block per row, one ``column | value`` line per column (for wide rows)."""
    width = max((display_width(c) for c in columns), default=0)
    out = []
    for n, r in enumerate(rows, start):
        out.append(f"-[ row {n} ]" + "-" * 20)
        out += [f"{_pad(c, width, False)} | {_cell(v)}" for c, v in zip(columns, r, strict=True)]
    return "\n".join(out)


def write_csv(out: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any]], *, header: bool = True) -> None:
    w = csv.writer(out, lineterminator="\n")
    if header:
        w.writerow(columns)
    w.writerows(["" if v is None else v for v in r] for r in rows)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def rows_to_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return json.dumps([dict(zip(columns, r, strict=True)) for r in rows], ensure_ascii=False, default=_json_default)


def json_row(columns: Sequence[str], row: Sequence[Any]) -> str:
    return json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False, default=_json_default)


# --- gidar dq -------------------------------------------------------------------------------


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def format_dq(summary: Any, max_reports: int = 50) -> str:
    """The `warehouse.dq_summary.DQSummary` as aligned text tables (CJK-aware widths)."""
    s = summary
    rate = s.passing / s.reports if s.reports else None
    out = [f"Reports: {s.reports}   checked: {s.checked}   passing critical rules: {s.passing} ({_pct(rate)})", ""]
    out.append("By rule")
    if s.by_rule:
        rows = [(r.rule, r.severity, r.suite or "", r.checked, r.failed, r.reports_failed) for r in s.by_rule]
        out.append(format_table(["rule", "severity", "suites", "checked", "failed", "reports"], rows, count=False))
    else:
        out.append("  (no DQ results)")
    for title, groups, label in (("By county", s.by_county, "county"), ("By year", s.by_year, "year")):
        rows = [
            (
                f"{g.key} {g.name}" if label == "county" else g.key,
                g.reports,
                g.checked,
                _pct(g.pass_rate),
                g.critical,
                g.warnings,
            )
            for g in groups
        ]
        out += [
            "",
            title,
            format_table([label, "reports", "checked", "pass", "critical", "warnings"], rows, count=False),
        ]
    out += ["", f"Failing reports ({len(s.failing_reports)})"]
    failing: list[tuple[Any, ...]] = [
        (
            fr.region_code or "—",
            fr.report_year or "—",
            fr.agency or fr.source or fr.report_id[:12],
            ", ".join(f"{rule}[{sev[0].upper()}]×{n}" for rule, sev, n in fr.rules),
        )
        for fr in s.failing_reports[:max_reports]
    ]
    if failing:
        out.append(format_table(["region", "year", "report", "failing rules"], failing, count=False, max_width=80))
    if len(s.failing_reports) > max_reports:
        out.append(f"… and {len(s.failing_reports) - max_reports} more (see the dashboard or `gidar query`)")
    return "\n".join(out)
