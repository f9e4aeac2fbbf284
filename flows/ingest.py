"""The ingest flow: reports stream through in batches, each committed when it is done.

    plan        (flow process) sources → local files hashed → skip what is loaded → batches
    read-batch  (a reading task: threads here, or a Dask worker with --cluster) per batch of 25–100:
                download URLs → read, build the tables and store them in the Parquet lake, in the
                reading processes → GX on the batch as stored, in a checking process (flows/batches.py)
    commit      (flow process, the single writer) per batch: ONE short warehouse transaction that
                DuckDB fills from the batch's Parquet files → publish
    finish      cross-report checks, the run row; the dashboard when the warehouse changed

The flow's process holds no tables and, with local reading, never loads GX (GX after corrections runs in the
checking process too; the `gidar` command's process also refuses pandas, flows/cli.py): reading runs ahead of
committing by a few batches, each only outcomes and lake paths, so memory stays flat in the number of reports;
a run killed at any point keeps every committed batch and the next run does only the rest (a report's rows are
what marks it done). Bad input never stops the run: every source item ends with a status (flows/summary.py).
The same body runs without Prefect (`run_ingest` with ``orchestrated=False``) so the benchmark can measure
what orchestration costs.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from gidar.flows import control, stages
from gidar.flows.batches import (  # noqa: F401  (BatchRead, Committed: the tasks' values, for callers)
    AHEAD_PER_SLOT,
    WAIT_SLICE,
    BatchRead,
    Committed,
    ReadConfig,
    commit_items,
    read_items,
    ship_items,
    split_batches,
)
from gidar.flows.download import abort_downloads
from gidar.flows.incremental import WorkItem
from gidar.flows.plan import plan_run
from gidar.flows.summary import (
    CANCELLED,
    ERROR,
    IngestSummary,
    Outcome,
    format_markdown,
    format_summary,
)
from gidar.flows.trace import mark
from gidar.settings import Settings

read_batch = task(name="read-batch", task_run_name="read batch {index}", cache_policy=NO_CACHE)(read_items)


commit_batch = task(name="commit-batch", task_run_name="commit batch {batch.index}", cache_policy=NO_CACHE)(
    commit_items
)


def finish_items(
    writer: Any, run: dict[str, Any], corrections: str | None = None, by: str = ""
) -> tuple[int | None, list[str]]:
    """Cross-report checks over the whole warehouse, the corrections CSV (if any), GX after corrections of the
    reports that need it, then the run row."""
    import json

    errors: list[str] = []
    try:
        cross = stages.with_memory_fallback(writer, lambda con: stages.cross_checks(con, run["run_id"]))
        cross_failed: int | None = cross.failed
    except Exception as e:  # the reports are committed: a failing check must not undo them
        errors.append(f"cross-report checks failed: {type(e).__name__}: {e}")
        cross_failed = None
    elsewhere = stages.validate_in_checking_process()  # GX and pandas stay out of this process when they can
    if corrections:
        try:
            with writer.transaction() as con:
                stages.apply_corrections_csv(con, Path(corrections), by, run["run_id"], elsewhere)
        except Exception as e:
            errors.append(f"corrections not applied: {type(e).__name__}: {e}")

    def revalidate(_: Any) -> None:
        with writer.transaction() as con:
            stages.revalidate_corrections(con, run["run_id"], elsewhere)

    try:  # reports re-loaded with active corrections (or left by a stopped run): GX with the corrected values
        stages.with_memory_fallback(writer, revalidate)
    except Exception as e:
        errors.append(f"corrected reports not re-validated: {type(e).__name__}: {e}")
    row = {**run, "counts": json.dumps(run["counts"]), "finished_at": datetime.now(UTC)}
    stages.record_run(writer.connection(), row)
    return cross_failed, errors


finish_run = task(name="finish-run", cache_policy=NO_CACHE)(finish_items)


def dashboard_items(warehouse: str, site: str, cache: str) -> str:
    return str(stages.build_dashboard(Path(warehouse), Path(site), Path(cache)))


build_dashboard = task(name="build-dashboard", cache_policy=NO_CACHE)(dashboard_items)


# --- the run ---------------------------------------------------------------------------------


@dataclass
class RunHooks:
    """What the command line attaches to a run: console progress, and a time origin (the summary's
    time includes start-up)."""

    progress: Any = None  # flows.progress.ConsoleProgress
    started: float | None = None  # time.time() when the command started
    mode: str = ""
    ui_url: str | None = None
    announce: Callable[[str], None] | None = None  # called with the flow run id as the run starts
    startup: dict[str, float] = field(default_factory=dict)  # seconds of the command's start-up phases


HOOKS = RunHooks()


class _Artifact:
    """The run's progress as a Prefect progress artifact (updated once per batch)."""

    def __init__(self, enabled: bool) -> None:
        self.id: Any = None
        if enabled:
            from prefect.artifacts import create_progress_artifact

            self.id = create_progress_artifact(0.0, key="gidar-ingest-progress", description="files done (%)")

    def update(self, done: int, total: int) -> None:
        if self.id is not None:
            from prefect.artifacts import update_progress_artifact

            update_progress_artifact(self.id, 100.0 * done / max(total, 1))


def run_ingest(
    source: str,
    settings: Settings,
    force: bool = False,
    corrections: str | None = None,
    *,
    orchestrated: bool = True,
) -> IngestSummary:
    """The body of the flow. ``orchestrated``: tasks go through Prefect (inside the flow);
    without, the same functions run on a plain thread pool (the benchmark's baseline).
    SIGTERM and Ctrl-C stop it between batches (control.py)."""
    with control.stop_on_signals():
        return _run(source, settings, force, corrections, orchestrated)


def _run(source: str, settings: Settings, force: bool, corrections: str | None, orchestrated: bool) -> IngestSummary:
    t_body = time.perf_counter()
    mark("flow body start")
    s = settings.resolved()
    run_id = _run_id() if orchestrated else uuid.uuid4().hex
    started_at = datetime.now(UTC)
    log = _logger(orchestrated)
    if orchestrated and HOOKS.announce is not None:
        HOOKS.announce(run_id)
    timings: dict[str, float] = {}
    with control.ingest_lock(s.warehouse):
        with stages.timed(timings, "plan"):
            plan = plan_run(source, s, force)
        outcomes: dict[str, Outcome] = dict(plan.settled)
        total = len(plan.items)
        progress = HOOKS.progress
        if progress is not None:
            progress.start(total, (o.status for o in plan.settled.values()))
        artifact = _Artifact(orchestrated)
        cluster = bool(s.cluster) and orchestrated
        cfg = replace(ReadConfig.from_settings(s), ship=cluster)
        slots = _cluster_slots() if cluster else s.processes
        ahead = max(2, AHEAD_PER_SLOT * slots)
        batches = split_batches(plan.todo, s.batch_size)
        log.info("plan: %d files, %d to read in %d batches", total, len(plan.todo), len(batches))
        submit = _submitter(orchestrated, ahead)
        commit = commit_batch if orchestrated else commit_items
        dq: Counter[str] = Counter()
        dq_checked = committed = n_batches = 0
        step_errors: list[str] = []
        seen: set[str] = set()
        in_flight: deque[tuple[list[WorkItem], Any]] = deque()
        pending = iter(batches)
        read_seconds = check_seconds = 0.0
        read_by: Counter[str] = Counter()

        def settle(items: list[WorkItem], status: str, message: str) -> None:
            for it in items:
                outcomes.setdefault(it.ref, Outcome(it.ref, it.name, status, message, it.sha256))

        crops = stages.CropsAhead(s.site)
        with stages.open_writer(s.warehouse, s.publish_interval) as writer:
            index = 0
            mark("writer open, first batches submitted")
            while True:
                while len(in_flight) < ahead and not control.stop_requested():
                    batch = next(pending, None)
                    if batch is None:
                        break
                    index += 1
                    in_flight.append((batch, submit(index, ship_items(batch) if cluster else batch, cfg)))
                if not in_flight or control.stop_requested():
                    break
                batch, fut = in_flight.popleft()
                with stages.timed(timings, "wait for reads"):
                    read, err = _await(fut)
                if control.stop_requested():
                    in_flight.appendleft((batch, fut))
                    break
                if err is not None:
                    settle(batch, ERROR, f"reading task failed: {type(err).__name__}: {err}")
                    step_errors.append(f"a reading task failed: {type(err).__name__}: {err}")
                    if progress is not None:
                        progress.advance([ERROR for _ in batch], [it.ref for it in batch])
                    continue
                read_seconds += read.seconds
                check_seconds += read.check_seconds
                read_by[f"{read.host}:{read.pid}"] += len(read.reads)
                mark(f"batch {read.index} read")
                done: Committed = commit(read, writer, str(s.lake), run_id, seen)
                read.release()  # Prefect keeps every task's value until the flow ends: keep it small
                mark(f"batch {read.index} committed")
                for k, v in done.timings.items():
                    timings[k] = timings.get(k, 0.0) + v
                dq += done.dq
                dq_checked += done.dq_checked
                step_errors += done.step_errors
                for o in done.outcomes:
                    outcomes[o.source] = o
                committed += done.loaded
                crops.add(writer.con, done.report_ids, s.cache)
                n_batches += 1
                if progress is not None:
                    progress.advance([o.status for o in done.outcomes], [o.source for o in done.outcomes])
                artifact.update(len(outcomes), total)
            stopped = control.stop_signal()
            if stopped is not None:
                _cancel(in_flight, orchestrated)
                for batch, _ in in_flight:
                    settle(batch, CANCELLED, "the run was stopped before this file was committed")
                for batch in pending:
                    settle(batch, CANCELLED, "the run was stopped before this file was read")
            counts = Counter(o.status for o in outcomes.values())
            run = {"run_id": run_id, "started_at": started_at, "source": source, "counts": dict(counts)}
            finish = finish_run if orchestrated else finish_items
            with stages.timed(timings, "finish"):
                cross_failed, errs = finish(writer, run, corrections, s.user or _login())
            mark("finished")
            step_errors += errs
        if progress is not None:
            progress.close()
        with stages.timed(timings, "crops ahead (wait)"):
            crops.wait()
        dashboard = None
        if stopped is None and stages.dashboard_stale(s.warehouse, s.site):
            try:
                with stages.timed(timings, "dashboard"):
                    dashboard = (build_dashboard if orchestrated else dashboard_items)(
                        str(s.warehouse), str(s.site), str(s.cache)
                    )
            except Exception as e:
                step_errors.append(f"dashboard not built: {type(e).__name__}: {e}")
    mark("dashboard done")
    timings.update(HOOKS.startup)
    timings["flow body"] = time.perf_counter() - t_body
    timings["reading tasks (sum over batches)"] = read_seconds
    timings["of which GX (sum over batches)"] = check_seconds
    summary = IngestSummary(
        run_id=run_id,
        source=source,
        warehouse=str(s.warehouse),
        outcomes=tuple(outcomes[it.ref] for it in plan.items if it.ref in outcomes),
        dq_failed=dict(sorted(dq.items())),
        dq_checked=dq_checked,
        cross_failed=cross_failed,
        dashboard=dashboard,
        seconds=time.time() - HOOKS.started if HOOKS.started else timings["flow body"],
        step_errors=tuple(step_errors),
        interrupted=_signal_name(stopped),
        committed=committed,
        batches=n_batches,
        mode=HOOKS.mode or ("cluster " + str(s.cluster) if cluster else f"{s.processes} reading processes"),
        ui_url=HOOKS.ui_url,
        timings={k: round(v, 3) for k, v in timings.items()},
        read_by=dict(read_by),
    )
    if orchestrated:
        _publish(summary)
    return summary


def _submitter(orchestrated: bool, ahead: int) -> Callable[[int, list[WorkItem], ReadConfig], Any]:
    if orchestrated:
        return lambda i, items, cfg: read_batch.submit(i, items, cfg)
    ex = ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="gidar-read")
    return lambda i, items, cfg: ex.submit(read_items, i, items, cfg)


def _await(fut: Any) -> tuple[Any, BaseException | None]:
    """The batch's value, or its exception; returns early (None, None) when a stop is requested.
    Works for concurrent futures and Prefect's (threads or Dask: their ``result`` fetches the value
    from where the task ran, which the API's copy of the state does not hold)."""
    while True:
        try:
            return fut.result(timeout=WAIT_SLICE), None
        except TimeoutError:
            if getattr(fut, "wrapped_future", fut).done():  # finished: fetch its value (from a worker) in full
                try:
                    return fut.result(), None
                except Exception as e:
                    return None, e
        except Exception as e:
            return None, e
        if control.stop_requested():
            return None, None


def _cancel(in_flight: deque[tuple[list[WorkItem], Any]], orchestrated: bool) -> None:
    """Stop reading now: local workers are killed; cluster futures are cancelled."""
    from gidar.flows.workers import close_shared_pool

    close_shared_pool(cancel=True)
    abort_downloads()  # each ends "download interrupted" and leaves no .part file
    for _, fut in in_flight:
        with contextlib.suppress(Exception):
            fut.cancel()


def _cluster_slots() -> int:
    """Threads on the Dask cluster the flow's task runner is connected to."""
    try:
        from prefect.context import FlowRunContext

        ctx = FlowRunContext.get()
        client = ctx.task_runner._client  # type: ignore[union-attr]
        return max(1, sum(client.nthreads().values()))
    except Exception:
        return 2


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "gidar"


def _signal_name(signum: int | None) -> str | None:
    if signum is None:
        return None
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _run_id() -> str:
    try:
        from prefect.context import get_run_context

        return str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    except Exception:
        return uuid.uuid4().hex


class _NoLog:
    def info(self, *a: Any, **k: Any) -> None: ...

    def warning(self, *a: Any, **k: Any) -> None: ...


def _logger(orchestrated: bool) -> Any:
    if not orchestrated:
        return _NoLog()
    try:
        return get_run_logger()
    except Exception:
        return _NoLog()


def _publish(summary: IngestSummary) -> None:
    """The run summary as Prefect artifacts (UI) and in the run's log."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(key="gidar-ingest-summary", markdown=format_markdown(summary))
    rows = [o.row() for o in summary.outcomes]
    if rows:
        create_table_artifact(key="gidar-ingest-files", table=rows, description=f"Files of run {summary.run_id}")
    get_run_logger().info("%s", format_summary(summary))


def task_runner(settings: Settings) -> Any:
    """Dask (``--cluster``) for the reading tasks, else threads that feed the local worker pool."""
    if settings.cluster:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=settings.cluster)
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=max(2, AHEAD_PER_SLOT * settings.processes) + 1)


@flow(name="gidar-ingest")
def ingest(
    source: str, force: bool = False, settings: Settings | None = None, corrections: str | None = None
) -> IngestSummary:
    """Ingest a folder of PDFs, a PDF, a URL or a manifest into the lake and the warehouse.

    ``settings`` come from the command line; a scheduled run without them reads ``GIDAR_*`` here,
    at its entry. Unchanged files (same sha256 and parser version already loaded) are skipped
    unless ``force``. ``corrections``: a CSV of human corrections applied after the load."""
    return run_ingest(source, settings if settings is not None else Settings.from_env(), force, corrections)


def for_settings(settings: Settings) -> Any:
    """The flow with the task runner these settings ask for."""
    return ingest.with_options(task_runner=task_runner(settings))


def iter_statuses(summary: IngestSummary) -> Iterator[str]:
    return (o.status for o in summary.outcomes)
