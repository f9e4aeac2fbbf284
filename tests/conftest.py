"""Shared fixtures. Tests that need ../shared skip with a message where it is absent."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GIDAR_SHARED", ROOT.parent / "shared"))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared test data only exists on the team's machines and in CI")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _need(SHARED)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return _need(SHARED / "corpus")


@pytest.fixture(scope="session")
def real_dir() -> Path:
    return _need(SHARED / "real")


@pytest.fixture(scope="session")
def new_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Empty warehouse files at the current schema, each a copy of one migrated once per session (a
    fresh migration costs about half a second of CPU; opening an up-to-date file still runs its checks)."""
    from gidar.warehouse import connect

    template = tmp_path_factory.mktemp("warehouse-template") / "gidar.duckdb"
    connect(template).close()

    def make(name: str = "gidar.duckdb") -> Path:
        path = tmp_path_factory.mktemp("warehouse") / name
        shutil.copyfile(template, path)
        return path

    return make
