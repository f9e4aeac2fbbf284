"""One writer, many readers: the writer loads a private live file and publishes atomic snapshots.

DuckDB lets one process hold a file read-write, and then no other process can open it even read-only;
while any process holds it read-only, nobody can open it read-write. A user's DuckDB CLI or notebook may
keep the warehouse open for hours, so the writer must never need a lock a reader can hold:

* the writer (`open_writer`) works on ``.<name>.live`` next to the warehouse path, which readers never open;
* after a committed batch it publishes: ``CHECKPOINT`` (the live file then holds every committed row and
  no WAL), copy to a temporary file in the same folder, fsync, and ``os.replace`` onto the warehouse path.
  A reader that opens the path gets either the old snapshot or the new one, both complete; a reader that
  already has it open keeps its old snapshot (its lock is on the replaced file, which the writer never
  needs) until it reconnects;
* publishing is rate-limited (`Writer.publish`): at least ``min_interval`` seconds apart and at most
  ``share`` of the writer's time, so a large warehouse is not copied after every small batch; closing the
  writer always publishes;
* ``.<name>.dirty`` exists from the first write until the next publish, so a writer killed in between
  publishes on its next start: readers never stay behind the committed state for longer than one run.

Readers (`open_reader`) open the published file read-only with external access disabled and the
configuration locked. A second writer fails at once with `WarehouseBusyError`. The cost is disk space (two
copies) and one file copy per publish; see README "Reading while loading".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from .db import SchemaDriftError
from .load import ReportLoad, StoredReport, replace_reports, replace_stored_reports, transaction
from .migrations import ANALYST_MIGRATION, migrate, schema_drift

# Seconds between two publishes during a run (GIDAR_PUBLISH_INTERVAL): readers lag the load by at most this.
PUBLISH_INTERVAL = 30.0
# Largest share of the writer's wall time spent copying snapshots: 10 % keeps publishing a small part of a run
# even when the warehouse is large and batches are quick.
PUBLISH_SHARE = 0.10
# Read-only connections may not touch files, attach databases or load extensions (exports go through
# `gidar export`, which writes only where the user asked).
READER_CONFIG = {"enable_external_access": False, "lock_configuration": True}
# A reader inside an ingest's process (the dashboard's build at the end of a run): one thread and a small memory
# limit, under which DuckDB evicts the blocks it has read instead of keeping them (the dashboard's queries aggregate
# per report; at 2,000 reports the build took 161 MB above the process's base without, 96 MB with, in the same time).
BOUNDED_READER: dict[str, str | int] = {"threads": 1, "memory_limit": "64MB"}
# The writer's DuckDB runs one thread: during an ingest it shares the cores with the reading processes, a
# batch's load is small, and each thread holds buffers of its own (two threads: ~50 MB more in the
# ingest's process, which stays under its memory target).
WRITER_CONFIG = {"threads": 1}
# The writer's DuckDB memory limit during a run. Without one DuckDB keeps every block it has read or written
# (its default limit is 80 % of RAM) and each CHECKPOINT re-compresses the open row group of every table (the
# last one of dq_results holds up to ~100 MB of cells JSON): the ingest's process grew to ~550 MB over 2,000
# reports, with checkpoints peaking ~200 MB above that. Read blocks are evicted under the limit (they are in the
# file) and loads and checkpoints work within it; whole-warehouse work that does not spill runs with it lifted
# (`Writer.unbounded`). 64 MB, not 128: the process's peak at 2,000 reports fell by ~60 MB with the same loads
# (all 2,000 reports of the benchmark load within it).
WRITER_MEMORY_LIMIT = "64MB"


class WarehouseBusyError(RuntimeError):
    """Another process is writing the warehouse."""


class NoWarehouseError(FileNotFoundError):
    """Nothing has been published at this path yet."""


def live_path(path: str | Path) -> Path:
    p = Path(path)
    return p.with_name(f".{p.name}.live")


def _dirty_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.dirty")


def _copy(src: Path, dst: Path) -> None:
    """Copy a file in a child process. DuckDB's lock on the live file is a POSIX record lock, which the kernel
    drops for the whole process as soon as the process closes ANY descriptor of that file: copying it here
    (shutil.copyfile) would silently unlock it and let a second writer in."""
    cp = shutil.which("cp")
    cmd = [cp, "--reflink=auto", str(src), str(dst)] if cp and sys.platform.startswith("linux") else None
    cmd = cmd or [
        sys.executable,
        "-c",
        "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])",
        str(src),
        str(dst),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise OSError(f"copying {src} to {dst} failed: {r.stderr.strip()}")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_reader(path: str | Path, *, bounded: bool = False) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse: no file access, no ATTACH, no extensions.
    ``bounded``: within `BOUNDED_READER` (the dashboard's build inside an ingest's process)."""
    p = Path(path)
    if not p.exists():
        hint = " (a load is running or was interrupted; it publishes shortly)" if live_path(p).exists() else ""
        raise NoWarehouseError(f"no warehouse at {p}{hint}")
    return duckdb.connect(str(p), read_only=True, config={**READER_CONFIG, **(BOUNDED_READER if bounded else {})})


class Writer:
    """The single writer of a warehouse. Use as a context manager; `close` publishes the final state."""

    def __init__(
        self, path: str | Path, *, min_interval: float = PUBLISH_INTERVAL, share: float = PUBLISH_SHARE
    ) -> None:
        self.path = Path(path).expanduser().resolve()
        self.live = live_path(self.path)
        self.min_interval = min_interval
        self.share = share
        self.publishes = 0
        self.publish_seconds = 0.0
        self._last_end = 0.0
        self._last_cost = 0.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.live.exists() and self.path.exists():
            self._adopt()
        try:
            self.con = duckdb.connect(str(self.live), config=dict(WRITER_CONFIG))
        except duckdb.IOException as e:
            if "lock" in str(e).lower():
                raise WarehouseBusyError(
                    f"another process is writing the warehouse {self.path} (a gidar ingest or correct); "
                    "try again when it has finished"
                ) from None
            raise
        try:
            (self._default_memory,) = self.con.execute("SELECT current_setting('memory_limit')").fetchone() or ("",)
            self.con.execute(f"SET memory_limit = '{WRITER_MEMORY_LIMIT}'")
            applied = migrate(self.con)
            drift = schema_drift(self.con)
            if drift:
                raise SchemaDriftError("warehouse schema drifted; add a migration: " + "; ".join(drift))
            self._hooks()
            if ANALYST_MIGRATION in applied or "R_dim_region" in applied:
                with self.transaction() as con:  # existing reports get their bodies and facts
                    self._refresh(con, None)
            if applied or _dirty_path(self.path).exists() or not self.path.exists():
                self._mark_dirty()
                self.publish(force=True)
        except BaseException:
            self.con.close()
            raise

    def _adopt(self) -> None:
        """A warehouse written before snapshots (or copied in by a user) becomes the live file."""
        tmp = self.live.with_name(self.live.name + ".tmp")
        shutil.copyfile(self.path, tmp)
        wal = self.path.with_name(self.path.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, tmp.with_name(tmp.name + ".wal"))
            os.replace(tmp.with_name(tmp.name + ".wal"), self.live.with_name(self.live.name + ".wal"))
        os.replace(tmp, self.live)

    def _hooks(self) -> None:
        """Derived tables (bodies, facts, correction checks) follow every load in the same transaction."""
        from .derived import refresh

        self._refresh = refresh

    # --- writing -----------------------------------------------------------------------------

    def _mark_dirty(self) -> None:
        _dirty_path(self.path).touch()

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The live connection, for APIs that run their own transactions (cross-report checks, run rows);
        the next `publish` includes what they write."""
        self._mark_dirty()
        return self.con

    @contextmanager
    def unbounded(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The live connection with DuckDB's memory limit lifted (its default), for whole-warehouse work that
        ran out of memory under `WRITER_MEMORY_LIMIT` (aggregates that cannot spill grow with the warehouse)."""
        self.con.execute(f"SET memory_limit = '{self._default_memory}'")
        try:
            yield self.connection()
        finally:
            self.con.execute(f"SET memory_limit = '{WRITER_MEMORY_LIMIT}'")

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction on the live file (committed on success, rolled back on error)."""
        self._mark_dirty()
        with transaction(self.con):
            yield self.con

    def load_batch(self, batch: Sequence[ReportLoad], ids: Sequence[str] | None = None) -> dict[str, str]:
        """Load a batch of reports (tables + DQ rows or None) in one transaction, with their derived rows.

        If the batch fails as a whole, its reports are loaded one by one, so a bad report costs only
        itself. Returns load errors by report id (``ids``, the caller's ids of the items, when the tables
        may be too broken to name their report), empty when everything loaded."""
        names = list(ids) if ids is not None else [_report_id(item) for item in batch]
        return self._load(names, lambda con, idx: replace_reports(con, [batch[i] for i in idx]))

    def load_stored(self, batch: Sequence[StoredReport], dq: pa.Table | None = None) -> dict[str, str]:
        """`load_batch` from the reports' Parquet files in the lake (`load.replace_stored_reports`: DuckDB
        reads them itself) with ``dq``, the batch's `DQ_RESULTS` rows."""
        ids = [rid for rid, _, _ in batch]

        def load(con: duckdb.DuckDBPyConnection, idx: Sequence[int]) -> None:
            mine = [ids[i] for i in idx]
            rows = dq if dq is None or len(idx) == len(batch) else dq.filter(pc.is_in(dq["report_id"], pa.array(mine)))
            replace_stored_reports(con, [batch[i] for i in idx], rows)

        return self._load(ids, load)

    def _load(self, ids: Sequence[str], load: Any) -> dict[str, str]:
        """``load(con, positions)`` for the whole batch in one transaction; if that fails, position by position."""
        if not ids:
            return {}
        try:
            with self.transaction() as con:
                load(con, range(len(ids)))
            return {}
        except Exception:
            pass
        errors: dict[str, str] = {}
        for i, rid in enumerate(ids):
            try:
                with self.transaction() as con:
                    load(con, [i])
            except Exception as e:
                errors[rid] = f"{type(e).__name__}: {e}"
        return errors

    # --- publishing --------------------------------------------------------------------------

    def publish(self, force: bool = False) -> bool:
        """Publish the committed state to readers; rate-limited unless ``force``. True if published."""
        if not _dirty_path(self.path).exists():
            return False
        now = time.monotonic()
        if not force and self._last_end:
            wait = max(self.min_interval, self._last_cost * (1 - self.share) / self.share)
            if now - self._last_end < wait:
                return False
        t0 = time.monotonic()
        self.con.execute("CHECKPOINT")
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.publish")
        try:
            _copy(self.live, tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)
        _dirty_path(self.path).unlink(missing_ok=True)
        self._last_end = time.monotonic()
        self._last_cost = self._last_end - t0
        self.publishes += 1
        self.publish_seconds += self._last_cost
        return True

    def close(self) -> None:
        try:
            self.publish(force=True)
        finally:
            self.con.close()

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _report_id(item: ReportLoad) -> str:
    tables: Any = item[0]
    try:
        return str(tables["reports"].column("report_id")[0].as_py())
    except Exception:
        return "?"


def open_writer(path: str | Path, **kw: Any) -> Writer:
    """The warehouse's single writer (see `Writer`); raises `WarehouseBusyError` if another one is open."""
    return Writer(path, **kw)
