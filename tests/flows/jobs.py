"""Jobs for the worker-pool tests (importable by spawned worker processes)."""

from __future__ import annotations

import os
import signal
import time


def pid() -> int:
    return os.getpid()


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def allocate(mb: int) -> int:
    block = bytearray(mb * 1024 * 1024)
    return len(block)


def native_hang(seconds: float) -> str:
    """Blocks SIGALRM like native code that never returns to Python: only the parent can stop it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(seconds)
    return "hung"


def arrow_without_pandas() -> tuple[bool, str, int]:
    """Whether pandas got imported while pyarrow built a table from Python objects, what importing it says,
    and the table's rows."""
    import sys

    import pyarrow as pa

    table = pa.Table.from_pylist([{"a": 1, "b": "x"}, {"a": None, "b": None}])
    loaded = sys.modules.get("pandas") is not None
    try:
        import pandas  # noqa: F401

        said = "imported"
    except ModuleNotFoundError as e:
        said = str(e)
    return loaded, said, table.num_rows
