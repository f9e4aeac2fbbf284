"""`gidar serve` needs a Prefect server to run; here we only check the deployment it would serve."""

from __future__ import annotations

from pathlib import Path

from gidar.settings import Settings


def test_deployment_has_schedule_and_the_commands_settings(tmp_path: Path) -> None:
    from gidar.flows.serve import build_deployment

    s = Settings.from_env({}).rebase(tmp_path / "d")
    d = build_deployment("/srv/reports/manifest.csv", settings=s, cron="0 2 * * *")
    assert d.name == "gidar-ingest"
    params = d.parameters
    assert params["source"] == "/srv/reports/manifest.csv" and params["force"] is False
    # --data-dir D puts every output of a scheduled run under D, as absolute paths
    assert params["settings"]["warehouse"] == str((tmp_path / "d" / "gidar.duckdb").resolve())
    assert params["settings"]["site"] == str((tmp_path / "d" / "site").resolve())
    assert Settings.model_validate(params["settings"]).lake == (tmp_path / "d" / "lake").resolve()
    (schedule,) = d.schedules
    assert schedule.schedule.cron == "0 2 * * *" and schedule.active
    assert d.entrypoint.endswith("flows/ingest.py:ingest")


def test_interval_schedule() -> None:
    from gidar.flows.serve import build_deployment

    d = build_deployment("src", settings=Settings.from_env({}), interval=3600, name="hourly")
    assert d.name == "hourly" and d.schedules[0].schedule.interval.total_seconds() == 3600
