"""The reading pool: a worker that dies, hangs or bloats costs only its own job; workers die with gidar."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import jobs
import pytest

from gidar.flows.workers import Failure, Limits, WorkerPool, close_shared_pool, shared_pool

pytestmark = pytest.mark.slow  # spawns worker processes: ~15 s on 2 busy cores

LIMITS = Limits(max_seconds=2.0, max_memory_mb=1024)


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool(2, LIMITS)
    yield p
    p.close()


def test_a_killed_worker_costs_only_its_own_job(pool: WorkerPool) -> None:
    futures = [pool.submit(jobs.sleep, 0.2) for _ in range(3)] + [pool.submit(jobs.die)]
    futures += [pool.submit(jobs.sleep, 0.2) for _ in range(3)]
    results = [f.result(timeout=60) for f in futures]
    dead = results[3]
    assert isinstance(dead, Failure) and dead.kind == "died" and "SIGKILL" in dead.message
    assert results[:3] + results[4:] == ["slept"] * 6  # the pool was rebuilt and went on


def test_a_file_over_the_time_limit_ends_timeout_naming_the_setting(pool: WorkerPool) -> None:
    t0 = time.monotonic()
    late = pool.submit(jobs.sleep, 30)
    fine = pool.submit(jobs.sleep, 0.1)
    got = late.result(timeout=60)
    assert isinstance(got, Failure) and got.kind == "timeout"
    assert "2 s" in got.message and "GIDAR_MAX_SECONDS" in got.message
    assert time.monotonic() - t0 < 10 and fine.result(timeout=60) == "slept"
    assert pool.submit(jobs.sleep, 0.1).result(timeout=60) == "slept"


def test_native_code_that_ignores_the_timer_is_killed_by_the_parent(pool: WorkerPool) -> None:
    got = pool.submit(jobs.native_hang, 60).result(timeout=60)
    assert isinstance(got, Failure) and got.kind == "timeout"
    assert pool.submit(jobs.sleep, 0.1).result(timeout=60) == "slept"


def test_memory_over_the_limit_fails_the_job_not_the_pool() -> None:
    small = WorkerPool(1, Limits(max_seconds=30, max_memory_mb=400))
    try:
        got = small.submit(jobs.allocate, 2000).result(timeout=60)
        assert isinstance(got, Failure) and got.kind == "memory" and "GIDAR_MAX_MEMORY_MB" in got.message
        assert small.submit(jobs.allocate, 10).result(timeout=60) == 10 * 1024 * 1024
    finally:
        small.close()


def test_the_shared_pool_is_created_once_under_a_lock() -> None:
    close_shared_pool()
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(shared_pool(2, LIMITS))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len({id(p) for p in got}) == 1
        pids = {got[0].submit(jobs.pid).result(timeout=60) for _ in range(8)}  # type: ignore[attr-defined]
        assert len(pids) <= 2 and got[0].started <= 2  # type: ignore[attr-defined]
    finally:
        close_shared_pool()


def test_workers_die_with_their_parent_even_on_sigkill(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(Path(jobs.__file__).parent)!r})
        import jobs
        from gidar.flows.workers import Limits, WorkerPool
        if __name__ == "__main__":
            pool = WorkerPool(2, Limits(60, 1024))
            futs = [pool.submit(jobs.sleep, 0.5) for _ in range(2)]
            [f.result() for f in futs]
            print(*pool.pids(), flush=True)
            time.sleep(120)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    pids = [int(x) for x in p.stdout.readline().split()]
    assert len(pids) == 2 and all(_alive(x) for x in pids)
    p.kill()
    p.wait()
    deadline = time.monotonic() + 10
    while any(_alive(x) for x in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(x) for x in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead: it only waits to be reaped by init
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_reading_processes_never_import_pandas() -> None:
    """pyarrow imports pandas on its first array from Python objects; the shared reading pool refuses it (the
    tables come out the same), the checking pool (GX) does not."""
    close_shared_pool()
    try:
        read = shared_pool(1, LIMITS).submit(jobs.arrow_without_pandas).result(timeout=60)
        check = shared_pool(1, LIMITS, role="check").submit(jobs.arrow_without_pandas).result(timeout=60)
    finally:
        close_shared_pool()
    assert read[0] is False and "not imported in this gidar process" in read[1] and read[2] == 2
    assert check == (True, "imported", 2)
