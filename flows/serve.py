"""Scheduled ingest: a deployment of the ingest flow served by this process.

``gidar serve --cron "0 2 * * *" SOURCE`` polls a Prefect server for scheduled runs and runs
them here. It needs a running server (``prefect server start`` and ``PREFECT_API_URL``); an
ephemeral server would die with the process and its schedule with it.
"""

from __future__ import annotations

from typing import Any


def build_deployment(
    source: str,
    *,
    warehouse: str,
    lake: str | None = None,
    cron: str | None = None,
    interval: float | None = None,
    force: bool = False,
    name: str = "gidar-ingest",
) -> Any:
    """A `RunnerDeployment` of `flows.ingest.ingest` with a cron or interval schedule."""
    from gidar.flows.ingest import ingest

    return ingest.to_deployment(
        name=name,
        cron=cron,
        interval=interval,
        parameters={"source": source, "warehouse": warehouse, "lake": lake, "force": force},
        description=f"Ingest {source} into {warehouse}",
        tags=["gidar"],
    )


def serve(deployment: Any) -> None:
    """Block, running the deployment's scheduled runs until interrupted."""
    from prefect import serve as prefect_serve

    prefect_serve(deployment)
