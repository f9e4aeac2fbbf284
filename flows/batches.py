"""The work on one batch, without Prefect: the flow (flows/ingest.py) wraps these in its tasks, and the
command starts the first batches with them while Prefect starts (`read_early`).

    read        (a reading task: a thread of the flow's process, or a Dask worker) download the batch's
                URLs → read each file in a reading process (limits per file; a dead process costs one
                file), which builds its tables and writes them to the Parquet lake → GX on the batch as
                stored, in a checking process → `BatchRead` (outcomes, lake paths, DQ rows)
    commit      (the flow's process, the single writer) ONE warehouse transaction filled by DuckDB from
                the batch's Parquet files → publish
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from gidar.flows import control, stages
from gidar.flows.download import DownloadError, DownloadPolicy, Fetched, fetch_url, is_transient
from gidar.flows.incremental import WorkItem
from gidar.flows.summary import (
    CANCELLED,
    DOWNLOAD_FAILED,
    DUPLICATE,
    ERROR,
    LOAD_FAILED,
    SKIPPED,
    TIMEOUT,
    TOO_LARGE,
    Outcome,
)
from gidar.flows.workers import Failure, Limits, checking_processes, shared_pool
from gidar.settings import Settings

READ_OK = {"ok", "uncertain"}  # statuses whose tables carry values worth validating
# A reading process's failure -> the file's status. Not loaded: the next run tries the file again.
FAILURE_STATUS = {"timeout": TIMEOUT, "memory": TOO_LARGE, "died": ERROR, "error": ERROR, "cancelled": CANCELLED}
# Batches read ahead of the one being committed, per reading slot: keeps the reading processes busy while a
# batch is checked and committed. An in-flight batch holds only outcomes and lake paths (its files' bytes
# on a cluster), so memory stays small.
AHEAD_PER_SLOT = 2
WAIT_SLICE = 0.2  # seconds between looks at the stop flag while waiting for a batch


# --- read ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadConfig:
    """Everything a reading task needs, as plain values (it may run on another machine)."""

    options: stages.ReadOptions
    limits: Limits
    processes: int  # reading processes in the task's process (None on a cluster: its threads)
    cache: str
    policy: DownloadPolicy  # timeouts, deadline, which addresses may be fetched, size limit
    retries: int
    retry_delay: float
    downloads: int  # concurrent downloads within a batch
    lake: str = ""  # the flow's lake, where reading processes on its machine store the tables
    ship: bool = False  # the task runs on another machine: store in a staging folder, ship the files back
    checkers: int = 1  # checking (GX) processes per machine

    @classmethod
    def from_settings(cls, s: Settings) -> ReadConfig:
        return cls(
            options=stages.ReadOptions.from_settings(s),
            limits=Limits(max_seconds=s.max_seconds, max_memory_mb=s.max_memory_mb),
            processes=s.processes,
            cache=str(s.cache),
            policy=DownloadPolicy.from_settings(s),
            retries=s.retries,
            retry_delay=s.retry_delay,
            downloads=s.workers,
            lake=str(s.lake),
            checkers=checking_processes(s.processes),
        )


@dataclass
class BatchRead:
    """A batch read, stored in the lake and checked by GX, where the reading task ran."""

    index: int
    reads: list[tuple[Outcome, stages.Stored | None]]
    dq: pa.Table | None = None  # DQ_RESULTS rows of the stored reports (None: not checked, see check_error)
    check_error: str | None = None
    host: str = ""
    pid: int = 0  # the process that ran the task (a Dask worker with --cluster)
    seconds: float = 0.0  # the whole task
    check_seconds: float = 0.0

    def release(self) -> None:
        """Drop the DQ rows and the read reports once committed. A flow run keeps each task's value (this
        object) until it ends: with them, the flow's process grew by ~110 MB of DQ rows per 2,000 reports."""
        self.dq = None
        self.reads = []


def fetch_with_retries(url: str, cfg: ReadConfig) -> Fetched:
    """Download with retries on transient errors only (timeouts, 5xx, 429), waiting
    Prefect's `exponential_backoff` schedule between attempts."""
    from prefect.tasks import exponential_backoff  # only when a URL is read (Prefect's import is slow)

    delays = exponential_backoff(backoff_factor=cfg.retry_delay)(cfg.retries)
    for attempt in range(cfg.retries + 1):
        try:
            return fetch_url(url, Path(cfg.cache), cfg.policy)
        except Exception as e:
            if attempt >= cfg.retries or not is_transient(e) or control.stop_requested():
                raise
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")


def _slots() -> int | None:
    """Threads of the Dask worker running this task, if any: one reading process each."""
    try:
        from distributed import get_worker

        return int(get_worker().state.nthreads)
    except Exception:
        return None


# Batches the command started before the flow run (`read_early`): their items' refs -> the future of the read.
_EARLY: dict[tuple[str, ...], Future] = {}
_EARLY_LOCK = threading.Lock()


# Called with a file's ref as soon as it is read, in this process (the console's progress; a cluster's
# reads are seen when their batch arrives).
_ON_READ: Callable[[str], None] | None = None


def on_read(hook: Callable[[str], None] | None) -> None:
    global _ON_READ
    _ON_READ = hook


def _notify_read(ref: str) -> None:
    hook = _ON_READ
    if hook is not None:
        with contextlib.suppress(Exception):  # progress never stops reading
            hook(ref)


def read_early(todo: Sequence[WorkItem], settings: Settings) -> int:
    """Start reading the first batches of ``todo`` in this machine's reading processes now, while Prefect
    starts (its server, its import, the flow run's creation); the flow's read-batch task of each such batch
    takes its result over instead of starting it again. Returns the batches started."""
    s = settings.resolved()
    if s.cluster:
        return 0
    cfg = ReadConfig.from_settings(s)
    first = split_batches(todo, s.batch_size)[: max(2, AHEAD_PER_SLOT * s.processes)]
    ex = ThreadPoolExecutor(max_workers=max(1, len(first)), thread_name_prefix="gidar-early")
    with _EARLY_LOCK:
        for i, batch in enumerate(first, 1):
            _EARLY[_key(batch)] = ex.submit(_read_items, i, batch, cfg)
    ex.shutdown(wait=False)
    return len(first)


def forget_early() -> None:
    with _EARLY_LOCK:
        _EARLY.clear()


def _key(items: Sequence[WorkItem]) -> tuple[str, ...]:
    return tuple(it.ref for it in items)


def read_items(index: int, items: Sequence[WorkItem], cfg: ReadConfig) -> BatchRead:
    """The read-batch task's body: a batch started early (`read_early`) is taken over, any other read now."""
    with _EARLY_LOCK:
        early = _EARLY.pop(_key(items), None) if _EARLY else None
    if early is not None:
        return replace(early.result(), index=index)
    return _read_items(index, items, cfg)


def _read_items(index: int, items: Sequence[WorkItem], cfg: ReadConfig) -> BatchRead:
    """One batch, everything per report done here and not in the flow's process: download its URLs, read
    every file in the reading pool, which builds the tables and stores them in the lake, then GX on the
    batch as stored (in the checking process). On another machine (``cfg.ship``) the lake is a staging
    folder whose files travel back with the result."""
    t0 = time.perf_counter()
    reads: list[tuple[Outcome, stages.Stored | None]] = []
    paths: dict[str, tuple[WorkItem, str, str]] = {}  # ref -> (item, path, sha)
    urls = [it for it in items if it.kind == "url"]
    if urls:
        with ThreadPoolExecutor(max_workers=max(1, min(cfg.downloads, len(urls)))) as ex:
            got = dict(zip((u.ref for u in urls), ex.map(lambda u: _fetch_one(u, cfg), urls), strict=True))
    for it in items:
        if it.kind == "url":
            fetched = got[it.ref]
            if isinstance(fetched, Outcome):
                reads.append((fetched, None))
            elif it.loaded_sha and fetched.sha256 == it.loaded_sha:
                reads.append((Outcome(it.ref, it.name, SKIPPED, "unchanged since last load", fetched.sha256), None))
            else:
                paths[it.ref] = (it, fetched.path, fetched.sha256)
        else:
            paths[it.ref] = (it, it.ref, it.sha256 or "")
    stage = tempfile.mkdtemp(prefix="gidar-stage-") if cfg.ship else None
    lake = stage or cfg.lake
    try:
        pool = _pool(cfg)
        futures: dict[str, Future] = {}
        for ref, (it, path, _) in paths.items():
            if it.data is not None:
                futures[ref] = pool.submit(stages.read_store_bytes, it.data, it.ref, it.name, cfg.options, lake)
            else:
                futures[ref] = pool.submit(stages.read_store, path, it.ref, it.name, cfg.options, lake)
        for ref, fut in futures.items():
            it, _, sha = paths[ref]
            value = fut.result()
            _notify_read(it.ref)
            if isinstance(value, Failure):
                status = FAILURE_STATUS.get(value.kind, ERROR)
                reads.append((Outcome(it.ref, it.name, status, value.message, sha or None), None))
            else:
                reads.append(value)
        t1 = time.perf_counter()
        dq, check_error = _check(reads, lake, cfg)
        check_seconds = time.perf_counter() - t1
        if stage is not None:
            reads = [(o, stages.ship(Path(stage), st) if st is not None else None) for o, st in reads]
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    return BatchRead(
        index, reads, dq, check_error, socket.gethostname(), os.getpid(), time.perf_counter() - t0, check_seconds
    )


def _check(reads: list[tuple[Outcome, stages.Stored | None]], lake: str, cfg: ReadConfig) -> tuple[Any, str | None]:
    """GX on the batch's stored reports that were read (statuses ``ok``, ``uncertain``), in the checking
    process; a batch without any gets empty DQ rows and never loads GX."""
    ids = list(dict.fromkeys(st.report_id for o, st in reads if st is not None and o.status in READ_OK))
    if not ids:
        return stages.no_dq(), None
    value = _checkers(cfg).submit(stages.check_stored, lake, ids).result()
    if isinstance(value, Failure):
        return None, f"validation failed: {value.message}"
    return value, None


class _InProcess:
    """Reading in the task's own process: for a daemonic Dask worker (started by a nanny), which may not
    have child processes. No per-file wall-clock or memory limit there: see README (Dask cluster)."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args))
        except Exception as e:
            fut.set_result(Failure("error", f"reading raised: {type(e).__name__}: {e}"))
        return fut


def _pool(cfg: ReadConfig) -> Any:
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return _InProcess()
    return shared_pool(_slots() or cfg.processes, cfg.limits)


def _checkers(cfg: ReadConfig) -> Any:
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return _InProcess()
    slots = _slots()
    return shared_pool(checking_processes(slots) if slots else cfg.checkers, cfg.limits, role="check")


def _fetch_one(item: WorkItem, cfg: ReadConfig) -> Fetched | Outcome:
    try:
        return fetch_with_retries(item.ref, cfg)
    except Exception as e:
        msg = str(e) if isinstance(e, DownloadError) else f"{type(e).__name__}: {e}"
        return Outcome(item.ref, item.name, DOWNLOAD_FAILED, msg)


# --- commit ----------------------------------------------------------------------------------


@dataclass
class Committed:
    outcomes: list[Outcome]
    dq: Counter[str] = field(default_factory=Counter)  # failed rules by severity
    dq_checked: int = 0
    step_errors: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    loaded: int = 0  # reports committed
    report_ids: list[str] = field(default_factory=list)  # the reports committed


def commit_items(batch: BatchRead, writer: Any, lake: str, run_id: str, seen: set[str]) -> Committed:
    """The single writer's part of a batch stored and checked by its reading task: (shipped files into the
    lake,) then ONE warehouse transaction that DuckDB fills from the batch's Parquet files, and a publish.
    ``seen``: report ids committed earlier in this run (the same content under two URLs is loaded once)."""
    out: list[Outcome] = []
    to_load: list[tuple[Outcome, stages.Stored]] = []
    timings: dict[str, float] = {}
    for outcome, stored in batch.reads:
        rid = str(outcome.report_id or "")
        if stored is None:
            out.append(outcome)
        elif rid in seen:
            out.append(replace(outcome, status=DUPLICATE, message="same content as another file of this run"))
        else:
            seen.add(rid)
            to_load.append((outcome, stored))
    if batch.dq is None:  # no report is marked done without its checks: all retried next run
        msg = batch.check_error or "validation failed"
        out += [replace(o, status=ERROR, message=msg) for o, _ in to_load]
        return Committed(out, step_errors=[f"{msg} ({len(to_load)} reports)"] if to_load else [], timings=timings)
    placed: list[tuple[Outcome, stages.Stored]] = []
    with stages.timed(timings, "lake"):
        for o, st in to_load:
            try:
                placed.append((o, stages.place(Path(lake), st) if st.data else st))
            except Exception as e:
                out.append(replace(o, status=LOAD_FAILED, message=f"not stored: {type(e).__name__}: {e}"))
    to_load = placed
    ids = [st.report_id for _, st in to_load]
    dq = stages.for_run(stages.dq_of(batch.dq, ids), run_id)
    with stages.timed(timings, "load"):
        errors = writer.load_stored([(st.report_id, st.year, st.paths(Path(lake))) for _, st in to_load], dq)
        writer.publish()
    for o, st in to_load:
        err = errors.get(st.report_id)
        out.append(replace(o, status=LOAD_FAILED, message=err) if err else o)
    failed, checked = stages.dq_counts(dq)
    ids = [st.report_id for _, st in to_load if st.report_id not in errors]
    return Committed(out, Counter(failed), checked, timings=timings, loaded=len(ids), report_ids=ids)


# The run's last `size` files go in this many smaller batches: after the last file is read, its batch is still to be
# checked by GX and committed while the reading processes idle, so a smaller last batch shortens that tail. Each
# batch costs fixed CPU besides its per-report time (GX ~0.3 s for its seven suite runs, the commit ~0.2 s), and GX
# now takes ~7 ms a report: quarters of 25 cost ~1 s of CPU more than halves, and GX on 25 reports takes about as
# long as reading them, so in a tail of quarters the checking process fell behind the readers.
TAIL_PARTS = 2
TAIL_MIN = 10  # files per tail batch at least: smaller batches pay GX's fixed cost for little tail


def split_batches(todo: Sequence[WorkItem], size: int) -> list[list[WorkItem]]:
    """Batches of ``size`` in order, the last ``size`` files split into `TAIL_PARTS` (a run of one batch is
    not split: nothing else overlaps with it; nor are batches too small to split, see `TAIL_MIN`)."""
    n = len(todo)
    if n <= size or size < TAIL_PARTS * TAIL_MIN:
        return [list(todo[i : i + size]) for i in range(0, n, size)]
    head = n - size
    out = [list(todo[i : min(i + size, head)]) for i in range(0, head, size)]
    part = -(-size // TAIL_PARTS)
    return out + [list(todo[i : i + part]) for i in range(head, n, part)]


def ship_items(items: list[WorkItem]) -> list[WorkItem]:
    """A cluster worker reads the bytes the flow sends: it needs no shared filesystem."""
    return [it.shipped(Path(it.ref).read_bytes()) if it.kind == "path" else it for it in items]
