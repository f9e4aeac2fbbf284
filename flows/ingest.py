"""The ingest flow: source → cached PDFs → one task per report → GX per batch → one DuckDB loader.

    fetch (retries on transient errors)  ─┐ per file, concurrent
    skip if sha256 + parser version loaded │
    process: extract → tables → Parquet  ─┘ returns lake paths, not frames
    validate (GX) per batch of reports
    load: ONE task opens the warehouse (DuckDB has a single writer), one transaction per report
    cross-report checks, dashboard, run summary (artifact + stdout)

Bad input never stops the run: every source item ends with a status (see flows/summary.py).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gidar.dq import DQRecord
from gidar.flows.prefect_env import configure_prefect
from gidar.settings import Settings

# Incremental runs are decided by sha256 + parser version against the warehouse (flows/incremental.py),
# not by Prefect's result cache: the warehouse is the truth and needs no result storage.
configure_prefect(Settings.from_env())  # before importing prefect: it reads settings at import

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import (  # noqa: E402
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.context import get_run_context  # noqa: E402
from prefect.futures import PrefectFuture  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402

from gidar.flows import stages  # noqa: E402
from gidar.flows.download import DownloadError, DownloadPolicy, Fetched, fetch_item, is_transient  # noqa: E402
from gidar.flows.incremental import plan_work  # noqa: E402
from gidar.flows.sources import SourceItem, resolve_source  # noqa: E402
from gidar.flows.summary import (  # noqa: E402
    DOWNLOAD_FAILED,
    ERROR,
    LOAD_FAILED,
    IngestSummary,
    Outcome,
    dq_failures,
    format_markdown,
    format_summary,
)

VALIDATE_BATCH = 50  # reports per GX validation call: bounds memory on large runs
LOAD_BATCH = 50  # reports per warehouse transaction: one commit (and at most one snapshot) per batch
READ_OK = {"ok", "uncertain"}  # statuses whose tables carry values worth validating


def _state_exception(state: Any) -> BaseException | None:
    data = getattr(state, "data", None)
    if isinstance(data, BaseException):
        return data
    result = state.result(raise_on_failure=False)
    return result if isinstance(result, BaseException) else None


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only what may succeed later: timeouts, connection errors, HTTP 5xx/429 — not a 404."""
    exc = _state_exception(state)
    return exc is not None and is_transient(exc)


@task(name="fetch", task_run_name="fetch {item.name}", retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
def fetch(item: SourceItem, cache_dir: str, policy: DownloadPolicy) -> Fetched:
    return fetch_item(item, Path(cache_dir), policy)


@task(name="process-report", task_run_name="process {name}", cache_policy=NO_CACHE)
def process_report(path: str, source: str, name: str, lake: str, processes: int = 1) -> Outcome:
    """Extract → Arrow tables → Parquet. Returns lake paths and a few facts, never frames."""
    result = stages.extract_file(Path(path), processes)
    result.source = source  # lineage: the URL or path the user gave, not the cache file
    files = stages.write_lake(Path(lake), stages.report_tables(result))
    md = result.metadata
    return Outcome(
        source=source,
        name=name,
        status=result.status,
        message=result.message,
        report_id=result.sha256,
        cached_path=path,
        quality=result.quality,
        template=result.template,
        region_code=md.region_code,
        report_year=md.report_year,
        agency=md.agency,
        n_violations=len(result.violations),
        seconds=round(result.seconds, 3),
        lake_files=tuple(files),
    )


@task(name="validate-batch", cache_policy=NO_CACHE)
def validate_batch(report_ids: list[str], lake: str) -> list[DQRecord]:
    """GX on the batch's tables as stored in the lake: what the loader will load."""
    _quiet_gx()
    return stages.validate(Path(lake), report_ids)


@task(name="load-warehouse", cache_policy=NO_CACHE)
def load_warehouse(
    reports: list[Outcome],
    lake: str,
    dq: list[DQRecord],
    warehouse: str,
    run: dict[str, Any],
    corrections: str | None = None,
) -> tuple[dict[str, str], int | None, list[str]]:
    """The single writer (`warehouse.store`): loads batches into its private live file and publishes
    snapshots to readers, so a reader holding the warehouse open never breaks the load. Then the
    cross-report checks, the corrections CSV and the run row. Returns load errors by report_id, the
    number of failed cross-report checks (None when not run) and failed steps.
    """
    logger = get_run_logger()
    step_errors: list[str] = []
    dq_by_report = stages.dq_by_report(dq, run["run_id"])
    settings = Settings.from_env()
    errors: dict[str, str] = {}
    with stages.open_writer(Path(warehouse), settings.publish_interval) as w:
        for batch in _chunks(reports, LOAD_BATCH):
            items, ids = [], []
            for o in batch:
                rid = str(o.report_id)
                try:
                    items.append((stages.read_report(Path(lake), rid), dq_by_report.get(rid, [])))
                    ids.append(rid)
                except Exception as e:  # one unreadable lake entry must not stop the others
                    errors[rid] = f"{type(e).__name__}: {e}"
            for rid, msg in w.load_batch(items, ids).items():
                logger.warning("load of %s failed: %s", rid, msg)
                errors[rid] = msg
            w.publish()  # rate-limited: readers see each committed batch soon, at a small cost
        # The reports are committed: a failing cross-check must not mark them as failed loads.
        try:
            cross = stages.cross_checks(w.connection(), run["run_id"])
            cross_failed = None if cross is None else sum(not r.passed for r in cross)
        except Exception as e:
            step_errors.append(f"cross-report checks failed: {type(e).__name__}: {e}")
            cross_failed = None
        if corrections:
            try:
                with w.transaction() as con:
                    for line in stages.apply_corrections_csv(con, Path(corrections)):
                        logger.info("correction %s", line)
            except Exception as e:
                step_errors.append(f"corrections not applied: {type(e).__name__}: {e}")
        counts = Counter(json.loads(run["counts"]))
        for o in reports:
            if str(o.report_id) in errors:
                counts[o.status] -= 1
                counts[LOAD_FAILED] += 1
        stages.record_run(
            w.connection(), {**run, "counts": json.dumps(dict(+counts)), "finished_at": datetime.now(UTC)}
        )
    return errors, cross_failed, step_errors


@task(name="build-dashboard", cache_policy=NO_CACHE)
def build_dashboard(warehouse: str, site: str, cache: str) -> str:
    return str(stages.build_dashboard(Path(warehouse), Path(site), Path(cache)))


def _quiet_gx() -> None:
    """GX sets one of its loggers to INFO when imported and then logs temporary docs dirs to
    stderr; lower it after that import unless the run is verbose."""
    import great_expectations.data_context.types.base  # noqa: F401

    if os.environ.get("PREFECT_LOGGING_LEVEL", "").upper() not in {"INFO", "DEBUG"}:
        for name in ("great_expectations", "great_expectations.data_context.types.base"):
            logging.getLogger(name).setLevel(logging.WARNING)


def _run_id() -> str:
    try:
        return str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    except Exception:
        return uuid.uuid4().hex


def _wait(future: PrefectFuture[Any]) -> tuple[Any, BaseException | None]:
    future.wait()
    state = future.state
    if state.is_completed():
        return state.result(), None
    return None, _state_exception(state) or RuntimeError(state.message or state.name)


def _abs(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


def _chunks(seq: Sequence[Any], n: int) -> list[Sequence[Any]]:
    return [seq[i : i + n] for i in range(0, len(seq), n)]


# Threads: downloads are I/O-bound; extraction is GIL-bound but process pools cost more to start
# than a small report takes (20 pdfplumber page tasks on 2 cores: 31 s in a ProcessPoolTaskRunner,
# 4.7 s in one thread). Scale out with more flow runs, not a bigger pool.
_RUNNER: Any = ThreadPoolTaskRunner(max_workers=Settings.from_env().workers)


@flow(name="gidar-ingest", task_runner=_RUNNER)
def ingest(
    source: str,
    warehouse: str,
    lake: str | None = None,
    force: bool = False,
    cache: str | None = None,
    site: str | None = None,
    corrections: str | None = None,
) -> IngestSummary:
    """Ingest a folder of PDFs or a manifest of URLs/paths into the lake and the warehouse.

    Unchanged files (same sha256 and parser version already loaded) are skipped unless ``force``.
    Paths left as None come from `gidar.settings.Settings` (``GIDAR_*`` environment variables).
    """
    t0 = time.perf_counter()
    settings = Settings.from_env()
    # Absolute paths: task runs may not share a cwd.
    warehouse = _abs(warehouse)
    lake = _abs(lake or settings.lake)
    cache = _abs(cache or settings.cache)
    site = _abs(site or settings.site)
    run_id = _run_id()
    started = datetime.now(UTC)
    step_errors: list[str] = []  # failed pipeline steps (not per-file problems)

    items = resolve_source(source)
    outcomes: dict[str, Outcome] = {}

    # 1. fetch everything concurrently (downloads are I/O-bound)
    fetch_t = fetch.with_options(
        retries=settings.retries,
        retry_delay_seconds=[settings.retry_delay * 2**i for i in range(max(settings.retries, 1))],
    )
    futures = {it.ref: fetch_t.submit(it, cache, DownloadPolicy.from_settings(settings)) for it in items}
    fetched: dict[str, Fetched] = {}
    for it in items:
        got, err = _wait(futures[it.ref])
        if err is not None:
            msg = str(err) if isinstance(err, DownloadError) else f"{type(err).__name__}: {err}"
            outcomes[it.ref] = Outcome(it.ref, it.name, DOWNLOAD_FAILED, msg)
        else:
            fetched[it.ref] = got

    # 2. incremental: skip content already loaded with this parser version
    version = stages.parser_version()
    loaded = set() if force else stages.loaded_fingerprints(Path(warehouse))
    todo, unchanged = plan_work(items, fetched, loaded, version, force=force)
    outcomes.update(unchanged)

    # 3. one task per report
    proc = {
        it.ref: process_report.submit(fetched[it.ref].path, it.ref, it.name, lake, settings.processes) for it in todo
    }
    processed: list[Outcome] = []
    progress: Any = create_progress_artifact(0.0, key="gidar-ingest-progress", description="reports processed (%)")
    for n, it in enumerate(todo, 1):
        got, err = _wait(proc[it.ref])
        update_progress_artifact(progress, 100.0 * n / len(todo))
        if err is not None:
            msg = f"{type(err).__name__}: {err}"
            outcomes[it.ref] = Outcome(it.ref, it.name, ERROR, msg, fetched[it.ref].sha256)
        else:
            processed.append(got)

    # 4. GX per batch (only reports whose tables were read)
    dq: list[DQRecord] = []
    to_check = [o for o in processed if o.status in READ_OK]
    if to_check:
        for batch in _chunks(to_check, VALIDATE_BATCH):
            got, err = _wait(validate_batch.submit([str(o.report_id) for o in batch], lake))
            if err is not None:
                step_errors.append(f"validation failed for {len(batch)} reports: {type(err).__name__}: {err}")
            else:
                dq.extend(got)

    # 5. the single loader
    cross_failed: int | None = None
    statuses = Counter(o.status for o in outcomes.values()) + Counter(o.status for o in processed)
    run = {"run_id": run_id, "started_at": started, "source": source, "counts": json.dumps(dict(statuses))}
    # always load, so the run row is written even when every file was skipped
    corr = _abs(corrections) if corrections else None
    got, err = _wait(load_warehouse.submit(processed, lake, dq, warehouse, run, corr))
    if err is not None:
        load_errors = {str(o.report_id): f"{type(err).__name__}: {err}" for o in processed}
        step_errors.append(f"warehouse load failed: {type(err).__name__}: {err}")
    else:
        load_errors, cross_failed, load_step_errors = got
        step_errors.extend(load_step_errors)
    for o in processed:
        if str(o.report_id) in load_errors:
            o = replace(o, status=LOAD_FAILED, message=load_errors[str(o.report_id)])
        outcomes[o.source] = o

    # 6. dashboard (reads the warehouse after the writer closed it)
    dashboard = None
    if processed or corrections:
        got, err = _wait(build_dashboard.submit(warehouse, site, cache))
        if err is not None:
            step_errors.append(f"dashboard not built: {type(err).__name__}: {err}")
        dashboard = got

    summary = IngestSummary(
        run_id=run_id,
        source=source,
        warehouse=warehouse,
        outcomes=tuple(outcomes[it.ref] for it in items),
        dq_failed=dq_failures(dq),
        dq_checked=len(dq),
        cross_failed=cross_failed,
        dashboard=dashboard,
        seconds=time.perf_counter() - t0,
        step_errors=tuple(step_errors),
    )
    _publish(summary)
    return summary


def _publish(summary: IngestSummary) -> None:
    """The run summary as Prefect artifacts (UI) and on stdout."""
    create_markdown_artifact(key="gidar-ingest-summary", markdown=format_markdown(summary))
    rows = [o.row() for o in summary.outcomes]
    if rows:
        create_table_artifact(key="gidar-ingest-files", table=rows, description=f"Files of run {summary.run_id}")
    print(format_summary(summary), flush=True)
