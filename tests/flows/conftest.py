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
