"""Progress of a run on the console: a live rich bar on a terminal, periodic plain lines otherwise.

Files done / total, reports per second, ETA and the counts by status so far. Written to stderr,
so ``gidar ingest --json`` keeps stdout for its JSON. The same figures go to a Prefect progress
artifact from the flow (flows/ingest.py); this module knows nothing of Prefect.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO, Any

PLAIN_EVERY = 10.0  # seconds between plain progress lines (logs, CI, cron mail)


def rate_eta(done: int, total: int, seconds: float, settled: int = 0) -> tuple[float, float | None]:
    """Reports per second so far, and the seconds left at that rate (None before the first).
    ``settled`` of the ``done`` files needed no work (unchanged since the last run): they are not a rate."""
    rate = max(done - settled, 0) / seconds if seconds > 0 else 0.0
    return rate, ((total - done) / rate if rate > 0 else None)


def describe(done: int, total: int, seconds: float, counts: Counter[str], pending: int = 0, settled: int = 0) -> str:
    """``done`` files with their final status (``counts``), and ``pending`` more read but not committed yet."""
    done += pending
    rate, eta = rate_eta(done, total, seconds, settled)
    pct = 100.0 * done / total if total else 100.0
    by_status = ", ".join([*(f"{k} {v}" for k, v in sorted(counts.items())), *_pending(pending)]) or "—"
    eta_text = f"ETA {eta:.0f} s" if eta is not None and done < total else "ETA —"
    return f"{done}/{total} files ({pct:.0f} %), {rate:.1f} reports/s, {eta_text} — {by_status}"


def _pending(n: int) -> Iterator[str]:
    if n:
        yield f"{n} read, not committed yet"


class ConsoleProgress:
    """``mode``: rich (a live bar), plain (at most a line every `PLAIN_EVERY` s, and one at the end) or none."""

    def __init__(self, mode: str = "auto", stream: IO[str] | None = None, label: str = "gidar ingest") -> None:
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "rich" if self.stream.isatty() else "plain"
        self.mode = mode
        self.label = label
        self.total = 0
        self.done = 0
        self.settled = 0  # of `done`, the files that needed no work
        self.counts: Counter[str] = Counter()
        # Files read on this machine whose batch is not committed yet (their final status comes then):
        # the bar moves as files are read, not only a batch at a time.
        self.pending: set[str] = set()
        self._lock = threading.Lock()  # `read` is called from the reading threads
        self.t0 = time.perf_counter()
        self._last_line = 0.0
        self._bar: Any = None
        self._task: Any = None
        self._started = False  # nothing is shown before `start` gives the total

    def start(self, total: int, already: Iterable[str] = ()) -> None:
        """``total`` files to account for; ``already`` the statuses of those settled without work."""
        # The clock keeps running from construction: reading starts before the plan's total is known.
        self.total = total
        self._started = True
        for status in already:
            self.done += 1
            self.settled += 1
            self.counts[status] += 1
        if self.mode == "rich":
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[counts]}"),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total, completed=self.done, rate="", counts="")
        self._render(force=self.mode == "plain" and total > 0)

    def read(self, ref: str) -> None:
        """A file was read (its batch is committed later, with `advance`)."""
        with self._lock:
            self.pending.add(ref)
            self._render()

    def advance(self, statuses: Iterable[str], refs: Iterable[str] = ()) -> None:
        """Files with their final status (their batch committed); ``refs`` are no longer pending."""
        with self._lock:
            for status in statuses:
                self.done += 1
                self.counts[status] += 1
            self.pending.difference_update(refs)
            self._render()

    def line(self) -> str:
        elapsed = time.perf_counter() - self.t0
        return describe(self.done, self.total, elapsed, self.counts, len(self.pending), self.settled)

    def _render(self, force: bool = False) -> None:
        if not self._started:
            return
        now = time.perf_counter()
        if self.mode == "rich" and self._bar is not None:
            done = self.done + len(self.pending)
            rate, _ = rate_eta(done, self.total, now - self.t0, self.settled)
            counts = ", ".join([*(f"{k} {v}" for k, v in sorted(self.counts.items())), *_pending(len(self.pending))])
            self._bar.update(self._task, completed=done, rate=f"{rate:.1f}/s", counts=counts)
        elif self.mode == "plain" and (force or now - self._last_line >= PLAIN_EVERY):
            self._last_line = now
            print(f"{self.label}: {self.line()}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        elif self.mode == "plain" and self.total:
            print(f"{self.label}: {self.line()}", file=self.stream, flush=True)
