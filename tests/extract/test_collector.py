"""The cyclic collector is paused while a report is read, and only then."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gidar.extract.api import extract_file
from gidar.extract.collector import collector_paused

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "county-2023.pdf"


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_while_reading_resumed_after_even_on_error() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a bug in a reader")
    assert gc.isenabled()


def test_a_collector_disabled_by_the_caller_stays_disabled() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_threads_share_one_pause_that_ends_with_the_last() -> None:
    gc.enable()
    inside, release = threading.Barrier(3), threading.Event()

    def read() -> None:
        with collector_paused():
            inside.wait()
            release.wait()

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert not gc.isenabled()
    release.set()
    for t in threads:
        t.join()
    assert gc.isenabled()


def test_extract_file_reads_with_the_collector_paused_and_resumes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from gidar.extract import api

    gc.enable()
    reading = [False]
    during: list[str] = []  # collections while the report's tables were read
    read = api._extract_doc

    def watched(*args: object, **kwargs: object) -> None:
        reading[0] = True
        try:
            read(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            reading[0] = False

    def callback(phase: str, info: dict[str, int]) -> None:
        if reading[0]:
            during.append(phase)

    monkeypatch.setattr(api, "_extract_doc", watched)
    gc.callbacks.append(callback)
    try:
        result = extract_file(SAMPLE)
    finally:
        gc.callbacks.remove(callback)
    assert result.status == "ok" and result.cells
    assert not during
    assert gc.isenabled()
    # a file that fails still resumes it
    assert extract_file(SAMPLE.with_name("no-such-file.pdf")).status != "ok"
    assert gc.isenabled()
