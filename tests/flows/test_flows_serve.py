"""`gidar serve` needs a Prefect server to run; here we only check the deployment it would serve."""

from __future__ import annotations

from pathlib import Path


def test_deployment_has_schedule_and_parameters(tmp_path: Path) -> None:
    from gidar.flows.serve import build_deployment

    wh = str(tmp_path / "w.duckdb")
    d = build_deployment("/srv/reports/manifest.csv", warehouse=wh, lake="/srv/lake", cron="0 2 * * *")
    assert d.name == "gidar-ingest"
    assert d.parameters == {"source": "/srv/reports/manifest.csv", "warehouse": wh, "lake": "/srv/lake", "force": False}
    (schedule,) = d.schedules
    assert schedule.schedule.cron == "0 2 * * *" and schedule.active
    assert d.entrypoint.endswith("flows/ingest.py:ingest")


def test_interval_schedule() -> None:
    from gidar.flows.serve import build_deployment

    d = build_deployment("src", warehouse="w.duckdb", interval=3600, name="hourly")
    assert d.name == "hourly" and d.schedules[0].schedule.interval.total_seconds() == 3600
