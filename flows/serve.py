"""Scheduled ingest: a deployment of the ingest flow served by this process.

``gidar serve --cron "0 2 * * *" SOURCE`` polls a Prefect server for scheduled runs and runs
them here. It needs a running server (``prefect server start`` and ``PREFECT_API_URL``); a
temporary server would die with the process and its schedule with it. The settings read by the
command (``--data-dir`` and ``GIDAR_*``, paths made absolute) travel as the deployment's
``settings`` parameter, so every run writes where the command said.
"""

from __future__ import annotations

from typing import Any

from gidar.settings import Settings


def deployment_parameters(source: str, settings: Settings, force: bool = False) -> dict[str, Any]:
    return {"source": source, "force": force, "settings": settings.resolved().model_dump(mode="json")}


def build_deployment(
    source: str,
    *,
    settings: Settings,
    cron: str | None = None,
    interval: float | None = None,
    force: bool = False,
    name: str = "gidar-ingest",
) -> Any:
    """A `RunnerDeployment` of the ingest flow with a cron or interval schedule."""
    from gidar.flows.ingest import for_settings

    s = settings.resolved()
    return for_settings(s).to_deployment(
        name=name,
        cron=cron,
        interval=interval,
        parameters=deployment_parameters(source, s, force),
        description=f"Ingest {source} into {s.warehouse}",
        tags=["gidar"],
    )


def serve(deployment: Any) -> None:
    """Block, running the deployment's scheduled runs until interrupted."""
    from prefect import serve as prefect_serve

    prefect_serve(deployment)
