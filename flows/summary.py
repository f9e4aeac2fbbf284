"""Per-file outcomes of an ingest run and their summary (pure; no Prefect, no I/O).

Every source item ends with exactly one status: the extractor's reading status (``ok``,
``not_pdf``, ... see extract/model.py) when its rows were loaded, or one of the pipeline
statuses below when it was not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from gidar.dq import DQRecord

# Statuses set by the flow itself (not by the extractor).
DOWNLOAD_FAILED = "download_failed"  # the URL could not be fetched (HTTP error, timeout) after retries
SKIPPED = "skipped"  # same sha256 and parser version already loaded; nothing re-done
DUPLICATE = "duplicate"  # same content as another item of this run
ERROR = "error"  # extract/transform raised: a bug or an unforeseen input, see message
LOAD_FAILED = "load_failed"  # the warehouse transaction for this report was rolled back
CANCELLED = "cancelled"  # the run was stopped (SIGTERM, Ctrl-C) before this file was committed
# Set by the reading process's limits (see flows/workers.py); the extractor sets them too for its budgets.
TIMEOUT = "timeout"  # over the wall-clock limit per file (GIDAR_MAX_SECONDS)
TOO_LARGE = "too_large"  # over a size budget, or the memory limit per reading process
FAILED = frozenset({DOWNLOAD_FAILED, ERROR, LOAD_FAILED})  # reports that did not reach the warehouse
# Files a run reports but does not load: the next run tries them again.
NOT_LOADED = FAILED | {CANCELLED}


@dataclass(frozen=True)
class Outcome:
    source: str  # URL or path as given
    name: str
    status: str
    message: str = ""
    report_id: str | None = None  # sha256 of the file
    cached_path: str | None = None
    quality: str | None = None
    template: str | None = None
    region_code: str | None = None
    report_year: int | None = None
    agency: str | None = None
    n_violations: int | None = None
    seconds: float | None = None
    lake_files: tuple[str, ...] = ()  # Parquet files written for this report

    def row(self) -> dict[str, Any]:
        """A flat row for the status table (no lake paths)."""
        d = asdict(self)
        d.pop("lake_files")
        d.pop("cached_path")
        return d


@dataclass(frozen=True)
class IngestSummary:
    run_id: str
    source: str
    warehouse: str
    outcomes: tuple[Outcome, ...]
    dq_failed: dict[str, int] = field(default_factory=dict)  # severity -> failed rules
    dq_checked: int = 0
    cross_failed: int | None = None  # failed cross-report checks; None when not run
    dashboard: str | None = None
    seconds: float = 0.0  # wall time of the command, start-up included
    step_errors: tuple[str, ...] = ()  # a pipeline step that failed (validation, dashboard, ...)
    interrupted: str | None = None  # the signal that stopped the run (SIGTERM, SIGINT)
    committed: int = 0  # reports committed to the warehouse by this run
    batches: int = 0  # batches committed
    mode: str = ""  # how it ran: "embedded", "server", "no work" ...; and on what (processes, cluster)
    ui_url: str | None = None  # the flow run in the Prefect UI (server mode)
    timings: dict[str, float] = field(default_factory=dict)  # seconds by phase (plan, read, validate, load ...)
    read_by: dict[str, int] = field(default_factory=dict)  # "host:pid" of the process that ran a reading task -> files

    @property
    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(o.status for o in self.outcomes).items()))

    @property
    def n_failed(self) -> int:
        return sum(o.status in FAILED for o in self.outcomes)

    @property
    def ok(self) -> bool:
        """Every report reached the warehouse and every step ran (bad input alone is fine)."""
        return self.n_failed == 0 and not self.step_errors and not self.interrupted

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outcomes"] = [o.row() for o in self.outcomes]
        d["counts"] = self.counts
        d["n_failed"] = self.n_failed
        d["ok"] = self.ok
        return d


def dq_failures(results: Iterable[DQRecord]) -> dict[str, int]:
    return dict(sorted(Counter(r.severity for r in results if not r.passed).items()))


def format_summary(s: IngestSummary, *, max_rows: int = 40) -> str:
    """Plain-text summary for stdout: counts, DQ, outputs, then the files that need attention."""
    counts = ", ".join(f"{k} {v}" for k, v in s.counts.items()) or "nothing to do"
    lines = [f"gidar ingest {s.source}: {len(s.outcomes)} files in {s.seconds:.1f} s — {counts}"]
    if s.interrupted:
        left = sum(o.status == CANCELLED for o in s.outcomes)
        lines.append(
            f"interrupted by {s.interrupted}: {s.committed} reports committed in {s.batches} batches are kept;"
            f" {left} not done (the next run does them)"
        )
    if s.mode:
        lines.append(f"ran: {s.mode}" + (f" — {s.ui_url}" if s.ui_url else ""))
    dq = ", ".join(f"{k} {v}" for k, v in s.dq_failed.items()) or "none"
    lines.append(f"data quality: {s.dq_checked} rule results, failed: {dq}")
    if s.cross_failed is not None:
        lines.append(f"cross-report checks failed: {s.cross_failed}")
    lines.append(f"warehouse: {s.warehouse}")
    for label, value in (("dashboard", s.dashboard),):
        if value:
            lines.append(f"{label}: {value}")
    lines.extend(f"error: {e}" for e in s.step_errors)
    attention = [o for o in s.outcomes if o.status not in {"ok", SKIPPED, CANCELLED}]
    for o in attention[:max_rows]:
        lines.append(f"  {o.status:<16} {o.name}  {o.message}".rstrip())
    if len(attention) > max_rows:
        lines.append(f"  … and {len(attention) - max_rows} more")
    return "\n".join(lines)


def format_markdown(s: IngestSummary) -> str:
    """The same summary as a Prefect markdown artifact."""
    rows = "\n".join(f"| {k} | {v} |" for k, v in s.counts.items())
    dq = "\n".join(f"| {k} | {v} |" for k, v in s.dq_failed.items()) or "| — | 0 |"
    parts = [
        f"# gidar ingest `{s.source}`",
        f"{len(s.outcomes)} files, {s.seconds:.1f} s, run `{s.run_id}`, warehouse `{s.warehouse}`",
        *([f"**Interrupted by {s.interrupted}**: {s.committed} reports committed"] if s.interrupted else []),
        "## Files by status\n\n| status | files |\n|---|---|\n" + rows,
        f"## Data quality ({s.dq_checked} rule results)\n\n| severity | failed |\n|---|---|\n" + dq,
    ]
    if s.cross_failed is not None:
        parts.append(f"Cross-report checks failed: **{s.cross_failed}**")
    return "\n\n".join(parts) + "\n"
