from __future__ import annotations

from pathlib import Path

import pytest

from gidar.flows.prefect_env import configure_prefect
from gidar.settings import Settings


def test_defaults_live_under_data() -> None:
    s = Settings.from_env({})
    assert s.warehouse == Path("data/gidar.duckdb") and s.lake == Path("data/lake")
    assert s.cache == Path("data/cache") and s.site == Path("data/site")


def test_data_dir_moves_every_path_but_explicit_ones_win() -> None:
    s = Settings.from_env({"GIDAR_DATA_DIR": "/srv/g", "GIDAR_LAKE": "/big/lake", "GIDAR_WORKERS": "8"})
    assert s.warehouse == Path("/srv/g/gidar.duckdb") and s.cache == Path("/srv/g/cache")
    assert s.lake == Path("/big/lake") and s.workers == 8


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("no", False), ("", False)])
def test_booleans(raw: str, value: bool) -> None:
    assert Settings.from_env({"GIDAR_VERBOSE": raw}).verbose is value


def test_bad_values_are_rejected() -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"GIDAR_RETRIES": "many"})
    with pytest.raises(ValueError):
        Settings.from_env({"GIDAR_VERBOSE": "perhaps"})


def test_prefect_defaults_never_override_the_user(tmp_path: Path) -> None:
    env = {"PREFECT_HOME": str(tmp_path / "mine")}
    configure_prefect(Settings().rebase(tmp_path / "data"), env)
    assert env["PREFECT_HOME"] == str(tmp_path / "mine")
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert env["PREFECT_LOGGING_LEVEL"] == "WARNING"
    env2: dict[str, str] = {}
    configure_prefect(Settings().rebase(tmp_path / "data"), env2)
    assert Path(env2["PREFECT_HOME"]) == (tmp_path / "data" / "prefect").resolve()
    assert Path(env2["PREFECT_HOME"]).is_dir()
