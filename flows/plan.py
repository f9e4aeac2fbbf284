"""The plan of a run, without Prefect: what to read, and what is settled before reading.

The command line plans before it starts Prefect (a run with nothing to read needs no flow run);
the flow plans again at its start (the hashes are remembered per file, so that costs little).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from gidar.flows import stages
from gidar.flows.download import DownloadError, fetch_path
from gidar.flows.incremental import WorkItem, plan_work
from gidar.flows.sources import SourceItem, resolve_source
from gidar.flows.summary import DOWNLOAD_FAILED, Outcome
from gidar.settings import Settings


@dataclass(frozen=True)
class Plan:
    items: list[SourceItem]
    todo: list[WorkItem]
    settled: dict[str, Outcome]  # ref -> outcome of the items that need no reading
    seconds: float = 0.0


_hash_memo: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> sha256: the CLI and the flow plan once


def _hash(path: str, max_bytes: int) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return fetch_path(Path(path), max_bytes=max_bytes).sha256  # raises the DownloadError that says why
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _hash_memo:
        _hash_memo[key] = fetch_path(Path(path), max_bytes=max_bytes).sha256
    return _hash_memo[key]


def plan_run(source: str, settings: Settings, force: bool = False) -> Plan:
    """What this run must read (pure planning: no Prefect). Raises FileNotFoundError/ValueError
    for a source that does not exist or a malformed manifest."""
    t0 = time.perf_counter()
    items = resolve_source(source)
    stages.settle_warehouse(settings.warehouse)
    loaded = stages.loaded_state(settings.warehouse, stages.parser_version())
    hashes: dict[str, str] = {}
    settled: dict[str, Outcome] = {}
    for it in items:
        if it.kind != "path":
            continue
        try:  # only regular files within the size limit: a device or FIFO would hang the hash
            hashes[it.ref] = _hash(it.ref, settings.max_file_bytes)
        except DownloadError as e:
            settled[it.ref] = Outcome(it.ref, it.name, DOWNLOAD_FAILED, str(e))
    todo, done = plan_work(items, hashes, loaded.report_ids, loaded.by_source, force=force)
    settled.update(done)
    return Plan(items, todo, settled, time.perf_counter() - t0)
