"""A start-up trace across processes: with ``GIDAR_TRACE=FILE`` set, every process of a run (the command,
its reading and checking processes) appends ``<unix time> <pid> <event>`` lines to FILE, so the critical
path of a run can be read off one timeline. Off, it costs one dictionary look-up per mark."""

from __future__ import annotations

import os
import time

ENV = "GIDAR_TRACE"


def mark(event: str) -> None:
    path = os.environ.get(ENV)
    if not path:
        return
    line = f"{time.time():.3f} {os.getpid()} {event} (cpu {time.process_time():.2f} s, rss {_rss_mb():.0f} MB)\n"
    try:  # one write of one short line in append mode: lines of concurrent processes do not interleave
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError:
        pass


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0
