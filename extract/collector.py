"""Python's cyclic garbage collector paused while a report is read.

Reading a report allocates some 100,000 objects (glyphs, words, lines, pieces) that live until
the report is done and hold no reference cycles: plain reference counting frees them. As they
pile up the collector runs anyway (every 700 net allocations) and traverses them again and
again, a twentieth of `gidar extract`'s time (measured with `gc.callbacks`). It is paused while
a report is read and resumed after; whatever cyclic garbage the report left is then collected
as usual, at the next allocation.

Reports read at once in threads (the ingest flow's task runner) share one pause: the collector
resumes when the last of them is done, and only if it was running when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_readers = 0  # reports being read under the pause
_resume = False  # the collector was enabled when the pause began


@contextmanager
def collector_paused() -> Iterator[None]:
    global _readers, _resume
    with _LOCK:
        if _readers == 0:
            _resume = gc.isenabled()
            gc.disable()
        _readers += 1
    try:
        yield
    finally:
        with _LOCK:
            _readers -= 1
            if _readers == 0 and _resume:
                gc.enable()
