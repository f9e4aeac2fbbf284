"""Fixtures for flows/. Prefect is pointed at a throw-away PREFECT_HOME before anything imports it."""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_site import FakeSite, serve_site

from gidar.flows.prefect_env import configure_prefect
from gidar.settings import Settings

if "prefect" not in sys.modules:  # Prefect reads its settings once, at import
    _home = Path(tempfile.mkdtemp(prefix="gidar-test-prefect-"))
    configure_prefect(Settings().rebase(_home))
    atexit.register(shutil.rmtree, _home, ignore_errors=True)  # runs after Prefect stopped its server


@pytest.fixture
def site() -> Iterator[FakeSite]:
    with serve_site() as s:
        yield s


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """One real Prefect API server for the in-process ingest tests (server mode: ``PREFECT_API_URL``),
    started once: a server costs 10–40 s to start on 2 busy cores. The embedded mode, where the
    command starts its own, is exercised by the subprocess tests (test_flows_stop.py)."""
    import os

    from gidar.flows.prefect_env import EmbeddedServer

    server = EmbeddedServer()
    server.wait_ready()
    old = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        yield server.api_url
    finally:
        from gidar.flows.runner import _flush_to_api

        _flush_to_api()  # queued logs reach the server before it stops (no "Error logging to API" at exit)
        if old is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = old
        server.stop()
