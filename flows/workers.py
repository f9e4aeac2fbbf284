"""Reading processes that fail alone: a pool where a dead, hung or bloated worker costs one file.

`concurrent.futures.ProcessPoolExecutor` marks the whole pool broken when one worker dies (one
killed worker failed 15 of 20 reports), and cannot stop a file that runs too long. Here each
worker process has its own dispatcher thread and pipe in the parent, so

* a worker that dies (killed, segfault, out of memory) ends only its current job, with a
  `Failure` saying how it died; the dispatcher starts a fresh process for the next job;
* the wall-clock limit per job is enforced in the worker (``setitimer``: the job raises
  `JobTimeout` and returns), and backed by the parent, which kills a worker that does not answer
  `KILL_GRACE` seconds after the limit (native code that never returns to Python);
* the memory limit is ``RLIMIT_AS`` in the worker: an allocation over it fails inside the job
  (`MemoryError`, or an abort in native code), never the parent or the other workers;
* workers die with the parent: ``PR_SET_PDEATHSIG`` on Linux, and a thread that exits when the
  parent process is gone (the death signal follows the thread that spawned the worker, so it alone
  is not enough); they ignore Ctrl-C, which the parent handles for them.

Processes are spawned, not forked: the parent runs Prefect's threads and event loop.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from gidar.flows.trace import mark

# Seconds the parent waits past the limit before it kills a worker that did not answer: the
# worker's own timer fires first unless native code holds it.
KILL_GRACE = 5.0
# How often a waiting dispatcher looks at the pool's stop flag and a worker at its parent.
POLL = 0.2

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    max_seconds: float  # wall clock per job
    max_memory_mb: int  # address space per worker process
    seconds_setting: str = "GIDAR_MAX_SECONDS"
    memory_setting: str = "GIDAR_MAX_MEMORY_MB"


@dataclass(frozen=True)
class Failure:
    """A job that returned nothing: ``kind`` is timeout | memory | died | error | cancelled."""

    kind: str
    message: str


class JobTimeout(BaseException):
    """Raised inside a job when its wall-clock limit passes. A BaseException, so that the
    extractor's ``except Exception`` (which turns bugs into a status) does not swallow it."""


# --- the worker process --------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL * 5)
        os._exit(1)

    threading.Thread(target=watch, name="gidar-parent-watch", daemon=True).start()


def _limit_memory(mb: int) -> None:
    import resource

    limit = mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _on_alarm(signum: int, frame: Any) -> None:
    raise JobTimeout


class _NotHere:
    """An import finder that refuses some top-level packages in this process (`worker_main`'s ``blocked``)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"{name} is not imported in this gidar process", name=name)
        return None


# Packages the reading processes never import. pyarrow imports pandas (when installed) on its first array built from
# Python objects only to recognise pandas objects, which a reading process never holds: ~0.3 s of a core and ~43 MB
# in each reading process (160 -> 115 MB after 60 reports). pyarrow treats a refused import as pandas being absent.
READER_BLOCKED = ("pandas",)


def refuse_imports(names: Sequence[str]) -> None:
    """This process refuses to import these top-level packages from now on (`ModuleNotFoundError`)."""
    if names:
        sys.meta_path.insert(0, _NotHere(names))


def worker_main(conn: Any, limits: Limits, parent: int, blocked: Sequence[str] = ()) -> None:
    """Serve jobs from ``conn`` until it closes: (fn, args) in, (kind, value, restart) out. ``blocked``: top-level
    packages this process refuses to import."""
    refuse_imports(blocked)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; Ctrl-C reaches the whole group
    _die_with_parent(parent)
    _limit_memory(limits.max_memory_mb)
    signal.signal(signal.SIGALRM, _on_alarm)
    mark("worker ready")
    try:
        _serve(conn, limits)
    finally:
        # Every result was sent and nothing else is kept: skip the interpreter's clean-up (a second or more
        # with GX's modules loaded), which every run would wait for.
        with contextlib.suppress(Exception):
            from multiprocessing import util

            util._exit_function()  # type: ignore[attr-defined]  # multiprocessing's own finalizers (semaphores), as a normal exit runs them
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(0)


def _serve(conn: Any, limits: Limits) -> None:
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        fn, args = msg
        name = getattr(fn, "__name__", "job")
        mark(f"{name} start")
        restart = False
        try:
            signal.setitimer(signal.ITIMER_REAL, limits.max_seconds)
            try:
                out: tuple[str, Any] = ("ok", fn(*args))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except JobTimeout:
            out, restart = ("timeout", limits.max_seconds), True  # the job's state is unknown: start afresh
        except MemoryError:
            out, restart = ("memory", limits.max_memory_mb), True
        except BaseException as e:
            out = ("error", "".join(traceback.format_exception_only(type(e), e)).strip())
        mark(f"{name} end")
        try:
            conn.send((*out, restart))
        except (OSError, ValueError):
            return
        except Exception as e:  # an unpicklable result
            conn.send(("error", f"result could not be sent back: {type(e).__name__}: {e}", False))
        if restart:
            return


# --- the parent side -----------------------------------------------------------------------


def describe_exit(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (killed: by a user, or by the system when memory ran out)" if -code == signal.SIGKILL else ""
        hint = hint or (" (a crash in native code, or an allocation over the memory limit)" if -code in (6, 11) else "")
        return f"{name}{hint}"
    return f"exit code {code}"


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, limits: Limits, blocked: Sequence[str] = ()) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=worker_main, args=(child, limits, os.getpid(), tuple(blocked)), name="gidar-reader", daemon=True
        )
        self.proc.start()
        child.close()

    @property
    def pid(self) -> int | None:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.is_alive()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.kill()
        self.proc.join(timeout=5)
        with contextlib.suppress(Exception):
            self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.kill()
        with contextlib.suppress(Exception):
            self.conn.close()


_Job = tuple[Future, Callable[..., Any], tuple[Any, ...]]


class WorkerPool:
    """``processes`` reading processes; `submit` returns a Future of the job's value or a `Failure`. ``blocked``:
    top-level packages its processes refuse to import (`READER_BLOCKED`)."""

    def __init__(self, processes: int, limits: Limits, blocked: Sequence[str] = ()) -> None:
        self.processes = max(1, processes)
        self.limits = limits
        self.blocked = tuple(blocked)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._workers: dict[int, _Worker] = {}
        self.started = 0  # worker processes started over the pool's life (replacements included)
        self._threads = [
            threading.Thread(target=self._dispatch, args=(i,), name=f"gidar-dispatch-{i}", daemon=True)
            for i in range(self.processes)
        ]
        for t in self._threads:
            t.start()

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._workers.values() if w.pid is not None and w.alive()]

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        fut: Future = Future()
        if self._stopping.is_set():
            fut.set_result(Failure("cancelled", "the run was stopped before this file was read"))
        else:
            self._jobs.put((fut, fn, args))
        return fut

    def _worker(self, slot: int) -> _Worker:
        with self._lock:
            w = self._workers.get(slot)
            if w is None or not w.alive():
                if w is not None:
                    w.kill()
                w = self._workers[slot] = _Worker(self.limits, self.blocked)
                self.started += 1
            return w

    def _drop(self, slot: int, kill: bool = True) -> None:
        with self._lock:
            w = self._workers.pop(slot, None)
        if w is not None:
            w.kill() if kill else w.stop()

    def _dispatch(self, slot: int) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                self._drop(slot, kill=False)
                return
            fut, fn, args = job
            if not fut.set_running_or_notify_cancel():
                continue
            if self._stopping.is_set():
                fut.set_result(Failure("cancelled", "the run was stopped before this file was read"))
                continue
            try:
                fut.set_result(self._run(slot, fn, args))
            except BaseException as e:  # never lose a dispatcher: the job fails, the pool goes on
                self._drop(slot)
                fut.set_result(Failure("error", f"{type(e).__name__}: {e}"))

    def _run(self, slot: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        w = self._worker(slot)
        try:
            w.conn.send((fn, args))
        except (OSError, ValueError) as e:
            self._drop(slot)
            return Failure("died", f"the reading process could not take the job ({type(e).__name__}: {e})")
        deadline = time.monotonic() + self.limits.max_seconds + KILL_GRACE
        while not w.conn.poll(POLL):
            if self._stopping.is_set():
                self._drop(slot)
                return Failure("cancelled", "the run was stopped while this file was being read")
            if time.monotonic() > deadline:
                self._drop(slot)
                return self._timeout()
        try:
            kind, value, restart = w.conn.recv()
        except (EOFError, OSError):
            w.proc.join(timeout=2)
            code = w.proc.exitcode
            self._drop(slot)
            return Failure(
                "died",
                f"the reading process died ({describe_exit(code)}); the pool goes on "
                f"(memory limit {self.limits.max_memory_mb} MiB per process, {self.limits.memory_setting})",
            )
        if restart:
            self._drop(slot, kill=False)
        if kind == "ok":
            return value
        if kind == "timeout":
            return self._timeout()
        if kind == "memory":
            return Failure(
                "memory",
                f"over the memory limit of {self.limits.max_memory_mb} MiB per reading process "
                f"(raise it with {self.limits.memory_setting})",
            )
        return Failure("error", f"reading raised: {value}")

    def _timeout(self) -> Failure:
        return Failure(
            "timeout",
            f"over the wall-clock limit of {self.limits.max_seconds:g} s per file "
            f"(raise it with {self.limits.seconds_setting})",
        )

    def cancel(self) -> None:
        """Stop now: queued jobs end `cancelled`, busy workers are killed. The pool cannot be reused."""
        self._stopping.set()
        with contextlib.suppress(queue.Empty):
            while True:
                job = self._jobs.get_nowait()
                if job is not None and job[0].set_running_or_notify_cancel():
                    job[0].set_result(Failure("cancelled", "the run was stopped before this file was read"))
        self.close()

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join(timeout=KILL_GRACE if not self._stopping.is_set() else 2)
        with self._lock:
            slots = list(self._workers)
        for slot in slots:
            self._drop(slot)


# Reading processes per checking (GX) process: with the PDFium reader, GX on batches of 100 costs less CPU
# per report than reading, so one checker keeps up with a few readers.
READERS_PER_CHECKER = 4


def checking_processes(readers: int) -> int:
    """GX processes to run beside ``readers`` reading processes."""
    return max(1, -(-readers // READERS_PER_CHECKER))


# The process's pools by role: "read" (reading processes) and "check" (the GX process: GX's import and
# context cost seconds and ~270 MB, paid once per machine rather than in every reading process).
_POOLS: dict[str, WorkerPool] = {}
_POOL_LOCK = threading.Lock()


def shared_pool(processes: int, limits: Limits, role: str = "read") -> WorkerPool:
    """The process's one pool for ``role``, created once under a lock (concurrent batch tasks share it)."""
    with _POOL_LOCK:
        pool = _POOLS.get(role)
        if pool is None or pool._stopping.is_set() or pool.limits != limits:
            if pool is not None:
                pool.close()
            # The checking process imports GX and pandas; the reading processes never need pandas.
            pool = _POOLS[role] = WorkerPool(processes, limits, READER_BLOCKED if role == "read" else ())
        return pool


def current_pool(role: str = "read") -> WorkerPool | None:
    """The shared pool of ``role`` if this process has a running one."""
    with _POOL_LOCK:
        pool = _POOLS.get(role)
        return pool if pool is not None and not pool._stopping.is_set() else None


def close_shared_pool(cancel: bool = False) -> None:
    """Close every shared pool (cancel: kill busy workers, queued jobs end `cancelled`)."""
    with _POOL_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    threads = [threading.Thread(target=pool.cancel if cancel else pool.close) for pool in pools]
    for t in threads:  # the pools' processes stop side by side
        t.start()
    for t in threads:
        t.join()
