"""``gidar ingest`` from the command line: plan first, then start Prefect only if there is work.

Start-up is most of a small run's time, so the command overlaps it:

1. the plan (hash local files, ask the warehouse what is loaded) needs no Prefect. When nothing
   is left to read the command answers at once without a flow run, and rebuilds the dashboard
   only if the warehouse changed after it was last built (a crash after a load is healed here);
2. otherwise, in embedded mode the temporary Prefect server starts first (a separate process,
   prefect_env.py); while it comes up (and in both modes while Prefect is imported and the flow run
   created), a thread imports Prefect and the flow, the checking process imports GX and builds its
   suites, and the reading processes start on the first batches (`batches.read_early`), whose
   read-batch tasks then take the results over;
3. then the flow runs, stopped cleanly by SIGTERM or Ctrl-C (control.py).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from gidar.flows import control, stages
from gidar.flows.summary import IngestSummary
from gidar.flows.trace import mark
from gidar.settings import Settings


class UsageProblem(ValueError):
    """A source that does not exist, or a malformed manifest: one line, exit code 2."""


def ingest_command(
    source: str,
    settings: Settings,
    *,
    force: bool = False,
    progress: Any = None,
    started: float | None = None,
    on_summary: Callable[[IngestSummary], None] | None = None,
    corrections: str | None = None,
) -> IngestSummary:
    """Plan, then run the flow; ``on_summary`` gets the summary as soon as the flow returns, before the
    reading processes and the temporary server are shut down."""
    from gidar.flows.prefect_env import configure_prefect, server_mode, start_embedded

    t0 = started or time.time()
    mark("runner start")
    plan = _plan(source, settings, force)
    mark("planned")
    if not plan.todo and not corrections:
        summary = _no_work(source, settings, plan, t0)
        if on_summary is not None:
            on_summary(summary)
        return summary
    configure_prefect(settings)
    had_server = server_mode()
    server = start_embedded()
    mark("server spawned")
    warm = threading.Thread(target=_warm, args=(settings, plan), name="gidar-warm", daemon=True)
    warm.start()
    prepare = threading.Thread(target=_prepare_warehouse, args=(settings,), name="gidar-prepare", daemon=True)
    prepare.start()
    try:
        from gidar.flows.batches import on_read
        from gidar.flows.workers import Limits, current_pool, shared_pool

        if progress is not None:  # the bar moves as files are read, before their batch is committed
            on_read(progress.read)

        if not settings.cluster:  # reading and checking processes start and import while the server starts
            limits = Limits(settings.max_seconds, settings.max_memory_mb)
            # No more reading processes than files: a process that would have nothing to read costs a
            # second of a core to start, which a small run spends on its critical path.
            pool = shared_pool(min(settings.processes, len(plan.todo)), limits)
            for _ in range(min(pool.processes, len(plan.todo))):
                pool.submit(stages.warm_reader)
            if current_pool("check") is None:  # the command line started it already (`start_checking`)
                start_checking(settings)
            from gidar.flows.batches import read_early

            read_early(plan.todo, settings)  # the flow's first read-batch tasks take these over
            mark("pools and early reads submitted")
        warm.join()
        mark("prefect imported")
        prepare.join()
        mark("warehouse prepared")
        startup = {"imports (while the server starts)": time.time() - t0}
        if server is not None:
            server.wait_ready()
            mark("server ready")
            startup["embedded server ready"] = server.ready_after or 0.0
        startup["start-up before the flow"] = time.time() - t0
        from gidar.flows import ingest as flow_module
        from gidar.flows.prefect_env import flow_run_url

        hooks = flow_module.HOOKS
        hooks.progress, hooks.started, hooks.startup = progress, t0, startup
        hooks.mode = ("server" if had_server else "embedded Prefect") + (
            f", Dask cluster {settings.cluster}" if settings.cluster else f", {settings.processes} reading processes"
        )

        def announce(run_id: str) -> None:
            url = flow_run_url(run_id) if had_server else None
            hooks.ui_url = url
            if url:
                print(f"gidar ingest: flow run {url}", file=sys.stderr, flush=True)

        hooks.announce = announce
        from prefect.settings import PREFECT_API_URL, temporary_settings

        # Prefect fixed its settings at import; the API chosen here (ours, or the user's) must win.
        with (
            temporary_settings(updates={PREFECT_API_URL: os.environ["PREFECT_API_URL"]}),
            control.stop_on_signals(),
        ):
            summary = flow_module.for_settings(settings)(
                source=source, force=force, settings=settings, corrections=corrections
            )
        mark("flow returned")
        if on_summary is not None:
            on_summary(summary)
        return summary
    except BaseException:
        _stop_reading()
        raise
    finally:
        if "gidar.flows.batches" in sys.modules:
            sys.modules["gidar.flows.batches"].on_read(None)
        if "gidar.flows.ingest" in sys.modules:  # the next run in this process starts with fresh hooks
            mod = sys.modules["gidar.flows.ingest"]
            mod.HOOKS.__dict__.update(mod.RunHooks().__dict__)
        _stop_reading(cancel=control.stop_requested())
        mark("processes stopped")
        if server is not None:
            _flush_to_api()
            mark("flushed to the API")
            server.stop()
            mark("server stopped")


# Seconds to wait for Prefect's queued logs and events to reach the temporary server before it stops
# (otherwise Prefect's exit handler retries against a closed port for a minute).
FLUSH_TIMEOUT = 5.0


def start_checking(settings: Settings) -> None:
    """Start the checking (GX) processes and their import of GX now. That import (~3 s of a core) is the
    longest part of a small run's start-up, so the command line calls this first thing, before it checks
    the warehouse and plans; a run with nothing to read stops them (`stop_processes`)."""
    if settings.cluster:
        return
    from gidar.flows.workers import Limits, checking_processes, shared_pool

    limits = Limits(settings.max_seconds, settings.max_memory_mb)  # as the run's tasks ask (ReadConfig)
    checkers = shared_pool(checking_processes(settings.processes), limits, role="check")
    for _ in range(checkers.processes):
        checkers.submit(stages.warm_validation)


def stop_processes() -> None:
    """Stop this process's reading and checking processes, if any are left (a no-op after a run)."""
    _stop_reading(cancel=True)


def _flush_to_api() -> None:
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        for service in (APILogWorker, EventsWorker):
            service.drain_all(timeout=FLUSH_TIMEOUT)
    except Exception:  # best effort: the run is over and its results are stored
        pass


def _stop_reading(cancel: bool = True) -> None:
    from gidar.flows.batches import forget_early
    from gidar.flows.workers import close_shared_pool

    close_shared_pool(cancel=cancel)
    forget_early()


def _plan(source: str, settings: Settings, force: bool) -> Any:
    from gidar.flows.plan import plan_run

    try:
        return plan_run(source, settings, force)
    except (FileNotFoundError, ValueError, UnicodeDecodeError) as e:
        raise UsageProblem(str(e)) from None


def _warm(settings: Settings, plan: Any) -> None:
    """Imports the run needs, done while the server starts (that wait is I/O for this process). GX is
    not one of them: it runs in the checking processes."""
    # Beside the flow, what Prefect imports only as a flow is called (its engines; FastAPI's encoder for the
    # parameters; the visualisation tracker, which pulls graphviz): the run starts sooner once the server is up.
    import fastapi.encoders  # noqa: F401
    import prefect.flow_engine
    import prefect.task_engine
    import prefect.utilities.visualization  # noqa: F401

    import gidar.flows.ingest  # noqa: F401  (Prefect, the flow)


# Creates or migrates the warehouse in a child process (see `_prepare_warehouse`), which never needs pandas (see
# workers.READER_BLOCKED: pyarrow would import it for nothing, ~0.3 s of a core).
PREPARE = (
    "import sys; from pathlib import Path; from gidar.flows.workers import READER_BLOCKED, refuse_imports; "
    "refuse_imports(READER_BLOCKED); from gidar.flows.stages import open_writer; "
    "open_writer(Path(sys.argv[1]), float(sys.argv[2])).close()"
)


def _prepare_warehouse(settings: Settings) -> None:
    """Create or migrate the warehouse while the server starts (a new one costs a second of DuckDB DDL),
    so that the flow's writer opens at once. In a child process: creating a warehouse left ~90 MB with the
    allocator of the process that did it (a migration that refreshes every report, more), which the flow's
    process, the single writer, then carried through the run. A failure here is left for the flow to meet
    and report."""
    import subprocess

    with contextlib.suppress(Exception):  # the flow's own writer meets the same problem and reports it
        subprocess.run(
            [sys.executable, "-c", PREPARE, str(settings.warehouse), str(settings.publish_interval)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )


def _no_work(source: str, settings: Settings, plan: Any, t0: float) -> IngestSummary:
    """Every file is unchanged (or failed before reading): no flow run; heal a stale dashboard."""
    dashboard = None
    errors: list[str] = []
    if stages.dashboard_stale(settings.warehouse, settings.site):
        try:
            dashboard = str(stages.build_dashboard(settings.warehouse, settings.site, settings.cache))
        except Exception as e:
            errors.append(f"dashboard not built: {type(e).__name__}: {e}")
    return IngestSummary(
        run_id="",
        source=source,
        warehouse=str(settings.warehouse),
        outcomes=tuple(plan.settled[it.ref] for it in plan.items if it.ref in plan.settled),
        dashboard=dashboard,
        seconds=time.time() - t0,
        step_errors=tuple(errors),
        mode="nothing to read: no flow run" + ("; dashboard rebuilt (older than the warehouse)" if dashboard else ""),
        timings={"plan": round(plan.seconds, 3)},
    )
