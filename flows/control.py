"""Run control: one ingest per warehouse at a time, and a clean stop on SIGTERM or Ctrl-C.

* `ingest_lock` takes an advisory lock (``flock``) on ``.<warehouse>.ingest-lock`` for the whole
  run. A second ingest of the same warehouse is refused at once with `WarehouseBusy` (one line,
  exit code 3), before it starts Prefect or reads anything. The kernel drops the lock when the
  process dies, so a killed run never leaves a stale lock behind.
* `stop_on_signals` turns SIGTERM and SIGINT into a request: the flow stops submitting work,
  cancels what is being read, keeps every committed batch and prints its summary (exit code
  128 + the signal). A second signal exits at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


class WarehouseBusy(RuntimeError):
    """Another gidar ingest is writing this warehouse."""


_held: dict[Path, tuple[int, int]] = {}  # lock path -> (fd, depth): re-entrant within the process
_held_lock = threading.Lock()


def lock_path(warehouse: Path) -> Path:
    w = Path(warehouse).expanduser().resolve()
    return w.with_name(f".{w.name}.ingest-lock")


@contextlib.contextmanager
def ingest_lock(warehouse: Path) -> Iterator[None]:
    path = lock_path(warehouse)
    with _held_lock:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise WarehouseBusy(
                    f"another gidar ingest or correct{holder} is writing {Path(warehouse)};"
                    " try again when it has finished"
                ) from None
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            _held[path] = (fd, 1)
    try:
        yield
    finally:
        with _held_lock:
            fd, depth = _held[path]
            if depth > 1:
                _held[path] = (fd, depth - 1)
            else:
                del _held[path]
                os.close(fd)  # releases the flock


def _read_holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode().strip() or 0)
        if pid:
            return f" (process {pid})"
    return ""


# --- stopping ----------------------------------------------------------------------------------

_stop = threading.Event()
_stop_signal: list[int] = []
_depth = 0  # nesting of stop_on_signals: the command and, inside it, the flow (Prefect installs its own handler)


def stop_requested() -> bool:
    return _stop.is_set()


def stop_signal() -> int | None:
    return _stop_signal[0] if _stop_signal else None


def request_stop(signum: int = signal.SIGTERM) -> None:
    if not _stop_signal:
        _stop_signal.append(signum)
    _stop.set()


def reset() -> None:
    _stop.clear()
    _stop_signal.clear()


@contextlib.contextmanager
def stop_on_signals(on_stop: Callable[[], None] | None = None) -> Iterator[None]:
    """Within the block, SIGTERM/SIGINT request a stop (``on_stop`` runs in the handler: keep it short);
    a second signal ends the process at once. Only from the main thread. The flow's body enters it
    again: Prefect's flow engine replaces the SIGTERM handler with one that aborts the run mid-batch."""
    global _depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _depth == 0:
        reset()

    def handler(signum: int, frame: Any) -> None:
        if _stop.is_set():
            os._exit(128 + signum)  # asked twice: go now (workers and server die with us)
        request_stop(signum)
        if on_stop is not None:
            on_stop()

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        for s, h in old.items():
            signal.signal(s, h)
