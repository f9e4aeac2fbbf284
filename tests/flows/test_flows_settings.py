from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gidar.settings import Settings, SettingsError


def test_defaults_live_under_data() -> None:
    s = Settings.from_env({})
    assert s.warehouse == Path("data/gidar.duckdb") and s.lake == Path("data/lake")
    assert s.cache == Path("data/cache") and s.site == Path("data/site")


def test_data_dir_moves_every_path_but_explicit_ones_win() -> None:
    s = Settings.from_env({"GIDAR_DATA_DIR": "/srv/g", "GIDAR_LAKE": "/big/lake", "GIDAR_WORKERS": "8"})
    assert s.warehouse == Path("/srv/g/gidar.duckdb") and s.cache == Path("/srv/g/cache")
    assert s.lake == Path("/big/lake") and s.workers == 8


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("no", False), ("", False)])  # "": unset
def test_booleans(raw: str, value: bool) -> None:
    assert Settings.from_env({"GIDAR_VERBOSE": raw}).verbose is value


def test_bad_values_are_rejected_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="GIDAR_RETRIES='many'"):
        Settings.from_env({"GIDAR_RETRIES": "many"})
    with pytest.raises(SettingsError, match="GIDAR_VERBOSE"):
        Settings.from_env({"GIDAR_VERBOSE": "perhaps"})
    with pytest.raises(SettingsError, match="GIDAR_PROCESSES"):
        Settings.from_env({"GIDAR_PROCESSES": "0"})
    with pytest.raises(SettingsError, match=r"^GIDAR_BACKEND='ocr'"):  # named once, though its alias has the prefix
        Settings.from_env({"GIDAR_BACKEND": "ocr"})


def test_the_process_environment_is_read_by_pydantic_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GIDAR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GIDAR_BACKEND", "pdfplumber")
    monkeypatch.setenv("GIDAR_MAX_SECONDS", "7.5")
    monkeypatch.setenv("GIDAR_CLUSTER", "tcp://10.0.0.1:8786")
    s = Settings.from_env()
    assert s.warehouse == tmp_path / "gidar.duckdb" and s.reader_backend == "pdfplumber"
    assert s.max_seconds == 7.5 and s.cluster == "tcp://10.0.0.1:8786"
    assert Settings.from_env({}).cluster is None  # an explicit mapping ignores the process environment
    with pytest.raises(ValidationError):  # frozen: passed down as a value, never changed on the way
        s.workers = 9  # type: ignore[misc]


def test_reading_gets_the_backend_and_every_budget_of_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """`gidar ingest` (its reading tasks, local or on a cluster) and `gidar extract`/`eval` read with the
    user's GIDAR_BACKEND and every GIDAR_MAX_* budget, not the extractor's defaults."""
    import argparse
    import dataclasses

    from gidar.extract.budget import DEFAULT_BUDGET, Budget
    from gidar.flows.batches import ReadConfig
    from gidar.flows.cli import _budget
    from gidar.flows.stages import ReadOptions

    # A value unlike the default for every field of Budget: a field added there and not passed on fails here.
    env = {"GIDAR_BACKEND": "pdfplumber"}
    for f in dataclasses.fields(Budget):
        env[f"GIDAR_{f.name.upper()}"] = str(getattr(DEFAULT_BUDGET, f.name) * 3 + 1)
    s = Settings.from_env(env)
    want = Budget(**{f.name: getattr(s, f.name) for f in dataclasses.fields(Budget)})
    assert want != DEFAULT_BUDGET

    options = ReadConfig.from_settings(s).options
    assert options == ReadOptions.from_settings(s) and options.backend == "pdfplumber"
    assert options.budget() == want

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _budget(argparse.Namespace(data_dir=None)) == want
