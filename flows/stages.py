"""The flow's only contact surface with extract/, transform/, expectations/ and warehouse/.

Each function is a thin call into a stage package, imported lazily so that the CLI's help and
light commands do not pay for pdfplumber, GX or DuckDB. If a stage's API changes, this is the
one file in flows/ to adapt; in particular every warehouse write goes through `open_writer`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from gidar.dq import DQRecord
from gidar.extract.budget import Budget  # a plain dataclass: importing it loads no reader
from gidar.flows.summary import Outcome

T = TypeVar("T")

if TYPE_CHECKING:  # not imported at run time: reading processes load this module and need no pydantic
    from gidar.settings import Settings
    from gidar.warehouse.crosschecks import CrossCounts

# --- extract ---------------------------------------------------------------------------------


def parser_version() -> str:
    """The extractor's version; a report is re-extracted when it changes. Read from the extractor's source
    when it is a plain string constant, so that planning (and a run with nothing to read) does not import
    the whole reading stack into the flow's process; imported otherwise."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec("gidar.extract")  # finding the package does not import it
    try:
        assert spec is not None and spec.submodule_search_locations
        source = Path(next(iter(spec.submodule_search_locations))) / "api.py"
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == "PARSER_VERSION" and isinstance(node.value, ast.Constant):
                return str(node.value.value)
    except (AssertionError, OSError, SyntaxError):
        pass
    from gidar.extract.api import PARSER_VERSION

    return str(PARSER_VERSION)


@dataclass(frozen=True)
class ReadOptions:
    """What reading one file needs, as plain values (it travels to worker processes and machines)."""

    backend: str = "pdfium"
    limits: Budget = field(default_factory=Budget)

    @classmethod
    def from_settings(cls, s: Settings) -> ReadOptions:
        """The user's reading backend and every per-file budget (GIDAR_BACKEND, GIDAR_MAX_*)."""
        limits = Budget(**{f.name: getattr(s, f.name) for f in fields(Budget)})
        return cls(backend=s.reader_backend, limits=limits)

    def budget(self) -> Budget:
        return self.limits


def _extract(path: Path, options: ReadOptions) -> Any:
    from gidar.extract.api import extract_file

    return extract_file(path, backend=options.backend, budget=options.budget())


# A MemoryError inside the extractor is turned into status `error` by its catch-all; the
# message keeps the exception's name, which is how a worker tells memory from a bug.
_MEMORY_ERROR = "MemoryError"


def read_file(path: str, source: str, name: str, options: ReadOptions) -> tuple[Outcome, dict[str, pa.Table]]:
    """Read one report and build its tables (runs in a reading process). Returns the outcome
    (status as read) and the Arrow tables the lake and the warehouse store."""
    result = _extract(Path(path), options)
    if result.status == "error" and _MEMORY_ERROR in (result.message or ""):
        raise MemoryError(result.message)  # the worker reports the memory limit and restarts
    result.source = source  # lineage: the URL or path the user gave, not a cache or temporary file
    tables = report_tables(result)
    md = result.metadata
    outcome = Outcome(
        source=source,
        name=name,
        status=result.status,
        message=result.message,
        report_id=result.sha256,
        quality=result.quality,
        template=result.template,
        region_code=md.region_code,
        report_year=md.report_year,
        agency=md.agency,
        n_violations=len(result.violations),
        seconds=round(result.seconds, 3),
    )
    return outcome, tables


def read_bytes(data: bytes, source: str, name: str, options: ReadOptions) -> tuple[Outcome, dict[str, pa.Table]]:
    """`read_file` on file content shipped from the flow (a cluster worker without the file)."""
    fd, tmp = tempfile.mkstemp(prefix="gidar-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return read_file(tmp, source, name, options)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@dataclass(frozen=True)
class Stored:
    """A report's tables as a reading process stored them in the lake (`read_store`)."""

    report_id: str
    year: int | None
    files: tuple[str, ...]  # lake-relative paths: <table>/report_year=<y>/<report_id>.parquet
    data: tuple[bytes, ...] = ()  # the files' bytes, shipped when the lake is on another machine

    def paths(self, lake: Path) -> dict[str, Path]:
        """Table -> file in ``lake``."""
        return {Path(f).parts[0]: Path(lake) / f for f in self.files}


def read_store(path: str, source: str, name: str, options: ReadOptions, lake: str) -> tuple[Outcome, Stored | None]:
    """Read one report, build its tables and write them to the lake at ``lake`` (runs in a reading
    process, so neither the tables nor their encoding pass through the flow's process). A report whose
    tables cannot be stored ends `load_failed` and costs only itself."""
    outcome, tables = read_file(path, source, name, options)
    return _store(outcome, tables, Path(lake))


def read_store_bytes(
    data: bytes, source: str, name: str, options: ReadOptions, lake: str
) -> tuple[Outcome, Stored | None]:
    """`read_store` on file content shipped from the flow (a cluster worker without the file)."""
    outcome, tables = read_bytes(data, source, name, options)
    return _store(outcome, tables, Path(lake))


def _store(outcome: Outcome, tables: Mapping[str, pa.Table], lake: Path) -> tuple[Outcome, Stored | None]:
    from dataclasses import replace

    from gidar.flows.summary import LOAD_FAILED

    try:
        files = write_lake(lake, tables)
        year = tables["reports"].column("report_year")[0].as_py()
    except Exception as e:  # one report's bad tables must not stop its batch
        return replace(outcome, status=LOAD_FAILED, message=f"not stored: {type(e).__name__}: {e}"), None
    rel = tuple(str(Path(f).relative_to(lake)) for f in files)
    return outcome, Stored(str(outcome.report_id), year, rel)


def ship(lake: Path, stored: Stored) -> Stored:
    """``stored`` with its files' bytes, to travel to the flow's machine."""
    return Stored(stored.report_id, stored.year, stored.files, tuple((lake / f).read_bytes() for f in stored.files))


def place(lake: Path, stored: Stored) -> Stored:
    """Store shipped files (`ship`) in the flow's lake, as `write_lake` would have; the bytes are dropped."""
    from gidar.transform.lake import place_files

    place_files(lake, stored.report_id, dict(zip(stored.files, stored.data, strict=True)))
    return Stored(stored.report_id, stored.year, stored.files)


# --- transform -------------------------------------------------------------------------------


def report_tables(result: Any) -> dict[str, pa.Table]:
    """Arrow tables of one report: reports, cells, t2_<version>, t3, t4 (see gidar.schema)."""
    from gidar.transform.build import build_tables

    return build_tables(result)


def write_lake(lake: Path, tables: Mapping[str, pa.Table]) -> list[str]:
    """Write one report's tables to the Parquet lake (idempotent per report); returns the files."""
    from gidar.transform.lake import write_report

    return [str(p) for p in write_report(lake, tables)]


def read_report(lake: Path, report_id: str) -> dict[str, pa.Table]:
    """Every table of one report, read back from the lake."""
    from gidar.transform.lake import read_report as _read

    return _read(lake, report_id)


# --- expectations ----------------------------------------------------------------------------


def validate(lake: Path, report_ids: Sequence[str]) -> list[DQRecord]:
    """GX validation of a batch of reports as STORED in the Parquet lake (the tables the warehouse
    loads), as `DQRecord`s; failing records carry their cells' pages and boxes."""
    from gidar.expectations import validate_tables
    from gidar.transform.lake import read_table

    ids = list(report_ids)
    return validate_tables(read_table(lake, "reports", ids), read_table(lake, "cells", ids))


# Reports GX validates at once in the checking process: GX's cost per suite run is mostly fixed, so larger chunks
# cost less per report (500 reports: 12.5 ms each in chunks of 50, 9.9 ms in chunks of 100), and the frames and
# results they hold grow with them (+~25 MB from 50 to 100; the process peaks near 330 MB with 100).
CHECK_CHUNK = 100


def check_stored(lake: str, report_ids: Sequence[str]) -> pa.Table:
    """`validate` a batch as stored in the lake, as `dq_results` rows (runs in the checking process: GX and
    pandas never load in the flow's process), `CHECK_CHUNK` reports at a time (each report's checks see
    only its own rows). The run that loads them stamps its id (`for_run`)."""
    from gidar.warehouse.load import dq_table

    ids = list(report_ids)
    records: list[DQRecord] = []
    for i in range(0, len(ids), CHECK_CHUNK):
        records += validate(Path(lake), ids[i : i + CHECK_CHUNK])
    return dq_table(records)


def for_run(dq: pa.Table, run_id: str) -> pa.Table:
    """DQ rows stamped with the run that loads them."""
    i = dq.schema.get_field_index("run_id")
    return dq.set_column(i, dq.schema.field(i), pa.array([run_id] * dq.num_rows, pa.string()))


def no_dq() -> pa.Table:
    """The DQ rows of a batch with nothing to check."""
    from gidar.schema import DQ_RESULTS

    return DQ_RESULTS.empty_table()


def dq_of(dq: pa.Table, report_ids: Sequence[str]) -> pa.Table:
    """The rows of these reports."""
    import pyarrow.compute as pc

    return dq.filter(pc.is_in(dq["report_id"], pa.array(list(report_ids), pa.string())))


def dq_counts(dq: pa.Table) -> tuple[dict[str, int], int]:
    """Failed rows by severity, and all rows (passed or not)."""
    import pyarrow.compute as pc

    failed = dq.filter(pc.invert(dq["passed"]))["severity"].value_counts().to_pylist()
    return dict(sorted((str(c["values"]), int(c["counts"])) for c in failed)), dq.num_rows


def warm_reader() -> None:
    """Import the extractor and transform in a reading process before its first file."""
    import gidar.extract.api
    import gidar.transform.build  # noqa: F401


def warm_validation() -> None:
    """Import GX, its context and the suites' validation definitions in the checking process before
    its first batch (while the run starts)."""
    from gidar.expectations.validate import warm

    warm()
    import gidar.warehouse.load  # noqa: F401


# --- warehouse -------------------------------------------------------------------------------


def connect(warehouse: Path, *, read_only: bool = False) -> Any:
    from gidar.warehouse import connect as _connect

    return _connect(warehouse, read_only=read_only)


@dataclass(frozen=True)
class Loaded:
    """What the warehouse already holds for the current parser version."""

    report_ids: frozenset[str]  # sha256 of every report loaded with this parser version
    by_source: Mapping[str, str]  # source (URL or path as given) -> report_id, for those reports


def settle_warehouse(warehouse: Path) -> None:
    """Publish what a killed run committed but did not publish yet (opening the writer does that), so
    that the plan sees every committed report. Skipped while another process writes."""
    from gidar.warehouse.store import WarehouseBusyError, live_path

    if live_path(warehouse).exists():
        with contextlib.suppress(WarehouseBusyError):
            open_writer(warehouse).close()


def check_writer(warehouse: Path) -> None:
    """Raise `WarehouseBusyError` at once if another process holds the warehouse's writer (a script, or a
    command that does not take the ingest lock), before a run starts its flow; publishes what a killed run
    left, like `settle_warehouse`."""
    from gidar.warehouse.store import live_path

    if warehouse.exists() or live_path(warehouse).exists():
        open_writer(warehouse).close()


def loaded_state(warehouse: Path, version: str) -> Loaded:
    """The reports already loaded with parser ``version`` (none when there is no warehouse)."""
    if not warehouse.exists():
        return Loaded(frozenset(), {})
    con = open_reader(warehouse)
    try:
        has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'reports'").fetchone()
        if not has or not has[0]:
            return Loaded(frozenset(), {})
        rows = con.execute(
            "SELECT report_id, source FROM reports WHERE coalesce(parser_version, '') = ?", [version]
        ).fetchall()
    finally:
        con.close()
    return Loaded(frozenset(str(r) for r, _ in rows), {str(s): str(r) for r, s in rows if s})


def dq_by_report(records: Sequence[DQRecord], run_id: str) -> dict[str, list[DQRecord]]:
    """Records (from `validate`) stamped with the run, grouped by report_id."""
    out: dict[str, list[DQRecord]] = {}
    now = datetime.now(UTC)
    for rec in records:
        out.setdefault(str(rec.report_id), []).append(rec.stamped(run_id, now))
    return out


ReportLoad = tuple[Mapping[str, pa.Table], Sequence[DQRecord] | None]


def open_writer(warehouse: Path, publish_interval: float = 30.0) -> Any:
    """The warehouse's single writer for one run (`warehouse.store.Writer`): ``load_batch`` (one short
    transaction per batch), ``transaction``, ``connection`` (cross-report checks, the run row),
    ``publish`` (a snapshot for readers, rate-limited), ``close``. Raises `WarehouseBusyError` when
    another process writes the warehouse."""
    from gidar.warehouse.store import open_writer as _open

    return _open(warehouse, min_interval=publish_interval)


def open_reader(warehouse: Path) -> Any:
    """A locked read-only connection to the published warehouse (never blocks the writer)."""
    from gidar.warehouse.store import open_reader as _open

    return _open(warehouse)


def apply_corrections_csv(
    con: Any, path: Path, by: str, run_id: str | None = None, validate: Validator | None = None
) -> list[str]:
    """Record the corrections of a CSV (report_id, key, value, reason[, by]) in the writer's transaction and
    re-validate their reports with GX (`revalidate_corrections`, ``validate`` as there); ``by`` names who, for
    rows without a ``by``."""
    from gidar.warehouse.corrections import apply, describe, read_csv, with_gx

    applied = apply(con, read_csv(path, by))
    revalidate_corrections(con, run_id, validate)
    return describe(with_gx(con, applied))


def correct(warehouse: Path, items: Sequence[Any], publish_interval: float) -> list[str]:
    """`gidar correct`: record corrections (`warehouse.corrections.Correction`) through the single writer,
    re-validate their reports with GX in the same transaction, publish; one line per correction. Raises
    `CorrectionError` (nothing recorded) and `WarehouseBusyError`."""
    from gidar.warehouse.corrections import apply, describe, with_gx

    run_id = f"correct-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    with open_writer(warehouse, publish_interval) as w, w.transaction() as con:
        applied = apply(con, items)
        revalidate_corrections(con, run_id)
        return describe(with_gx(con, applied))


REVALIDATE_BATCH = 200  # reports per GX batch after corrections: the suites' frames of a batch stay small


Validator = Callable[[pa.Table, pa.Table], list[DQRecord]]


def revalidate_corrections(con: Any, run_id: str | None = None, validate: Validator | None = None) -> list[str]:
    """GX after human corrections, in the caller's transaction: every report whose active corrections have no
    GX results yet (just corrected, or re-loaded: `warehouse.corrections.pending_gx`) goes through the same
    suites as at ingest, on its stored cells with the corrected values, and the records are stored with
    ``basis = 'corrected'``. Cheap when there is nothing to do (GX is imported only when there is).
    ``validate``: where GX runs (`validate_in_checking_process`); by default in this process."""
    from gidar.warehouse.corrections import corrected_tables, pending_gx, store_corrected_dq

    ids = pending_gx(con)
    if not ids:
        return []
    check = validate if validate is not None else validate_tables_job
    for i in range(0, len(ids), REVALIDATE_BATCH):
        part = ids[i : i + REVALIDATE_BATCH]
        store_corrected_dq(con, part, check(*corrected_tables(con, part)), run_id)
    return ids


def validate_tables_job(reports: pa.Table, cells: pa.Table) -> list[DQRecord]:
    """GX on these tables (a job of the checking process)."""
    from gidar.expectations import validate_tables

    return validate_tables(reports, cells)


def validate_in_checking_process() -> Validator | None:
    """GX in this run's checking process, when it has one (local reading): the flow's process, the single
    writer, then never imports GX nor pandas. None otherwise (a Dask cluster): GX runs in the caller's process."""
    from gidar.flows.workers import Failure, current_pool

    pool = current_pool("check")
    if pool is None:
        return None

    def validate(reports: pa.Table, cells: pa.Table) -> list[DQRecord]:
        value = pool.submit(validate_tables_job, reports, cells).result()
        if isinstance(value, Failure):
            raise RuntimeError(f"GX in the checking process: {value.kind}: {value.message}")
        return list(value)

    return validate


def with_memory_fallback(writer: Any, work: Callable[[Any], T]) -> T:
    """``work(con)`` on the writer's connection within its memory limit (`warehouse.store.WRITER_MEMORY_LIMIT`);
    once more with the limit lifted if DuckDB runs out of memory: the whole-warehouse checks hold aggregates
    that cannot spill and grow with the warehouse. ``work`` must leave nothing behind when it fails (its own
    transactions roll back)."""
    import duckdb

    try:
        return work(writer.connection())
    except duckdb.OutOfMemoryException:
        pass
    with writer.unbounded() as con:
        return work(con)


def record_run(con: Any, run: Mapping[str, Any]) -> None:
    """One ``runs`` row (run_id, started_at, finished_at, source, counts JSON)."""
    from gidar.warehouse import record_run as _record

    _record(con, run)


def cross_checks(con: Any, run_id: str) -> CrossCounts:
    """Cross-report SQL checks, replacing their previous rows in ``dq_results``; their counts
    (the rows are stored, not returned)."""
    from gidar.warehouse.crosschecks import store_crosschecks

    return store_crosschecks(con, run_id=run_id)


# --- dashboard -------------------------------------------------------------------------------

STAMP = ".gidar-built-from"  # in the site folder: which state of the warehouse the dashboard shows


def warehouse_state(warehouse: Path) -> str:
    """A fingerprint of the warehouse file as readers see it (changes with every committed write)."""
    try:
        st = warehouse.stat()
    except FileNotFoundError:
        return ""
    wal = warehouse.with_name(warehouse.name + ".wal")
    extra = f"-{wal.stat().st_mtime_ns}" if wal.exists() else ""
    return f"{st.st_mtime_ns}-{st.st_size}{extra}"


def dashboard_stale(warehouse: Path, site: Path) -> bool:
    """True when the warehouse changed after the dashboard in ``site`` was last built (or never was)."""
    state = warehouse_state(warehouse)
    if not state:
        return False
    try:
        return (site / STAMP).read_text(encoding="utf-8").strip() != state
    except OSError:
        return True


def build_dashboard(warehouse: Path, out: Path, cache: Path | None = None) -> Path:
    """The static DQ dashboard; `cache` is the download cache, where downloaded PDFs are found
    for the cropped evidence images (their ``reports.source`` is a URL). Crops already rendered
    are reused, so a rebuild after a batch costs the new reports' crops only."""
    import duckdb

    from gidar.flows.workers import current_pool
    from gidar.warehouse.dashboard import build_dashboard as _build
    from gidar.warehouse.store import open_reader as _open

    state = warehouse_state(warehouse)
    pool = current_pool("read")  # a run's reading processes render the crops side by side
    for bounded in (True, False):  # within a small memory limit; without, if a warehouse outgrows it
        con = _open(warehouse, bounded=bounded)
        try:
            built = Path(_build(con, out, cache_dirs=(cache,) if cache else (), submit=pool.submit if pool else None))
            break
        except duckdb.OutOfMemoryException:
            if not bounded:
                raise
        finally:
            con.close()
    (out / STAMP).write_text(state, encoding="utf-8")
    return built


class CropsAhead:
    """The dashboard's crops of each committed batch's failed checks, rendered while the run goes on (in the
    run's reading processes, queued behind the reads), so that the dashboard built after the last batch
    finds them done instead of rendering them all at the end while the other cores idle. Only with local
    reading processes; at most the dashboard's crop budget in all."""

    def __init__(self, site: Path) -> None:
        from gidar.warehouse.dashboard.build import CROPS_DIR, MAX_CROPS

        self.out = Path(site) / CROPS_DIR
        self._budget: int | None = None
        self._max = MAX_CROPS
        self._ex: Any = None

    def add(self, con: Any, report_ids: Sequence[str], cache: Path) -> None:
        """Queue the crops of ``report_ids`` (just committed through ``con``; a query, not a write). Never
        raises: a crop not rendered ahead is rendered by the dashboard's build."""
        with contextlib.suppress(Exception):
            self._add(con, report_ids, cache)

    def _add(self, con: Any, report_ids: Sequence[str], cache: Path) -> None:
        from gidar.flows.workers import current_pool

        pool = current_pool("read")
        if pool is None or not report_ids:
            return
        if self._budget is None:
            self._budget = self._max - (sum(1 for _ in self.out.glob("*.jpg")) if self.out.is_dir() else 0)
        if self._budget <= 0:
            return
        from gidar.warehouse.dashboard.build import report_crop_requests
        from gidar.warehouse.dashboard.crops import render_crops

        requests = report_crop_requests(con, report_ids)[: self._budget]
        if not requests:
            return
        self._budget -= len(requests)
        if self._ex is None:
            from concurrent.futures import ThreadPoolExecutor

            self._ex = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gidar-crops")
        self._ex.submit(render_crops, requests, self.out, (), len(requests), (cache,), pool.submit)

    def wait(self) -> None:
        """Until every queued crop is rendered (or failed: the dashboard renders what is missing)."""
        if self._ex is not None:
            self._ex.shutdown(wait=True)
            self._ex = None


@contextlib.contextmanager
def timed(into: dict[str, float], key: str) -> Iterator[None]:
    t0 = time.perf_counter()
    try:
        yield
    finally:
        into[key] = into.get(key, 0.0) + time.perf_counter() - t0
