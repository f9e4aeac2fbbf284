"""Prefect environment defaults, applied before ``import prefect`` (Prefect reads settings at import).

Without ``PREFECT_API_URL`` Prefect starts a temporary local server per process (ephemeral
mode, 10–20 s). Its SQLite database lives under ``PREFECT_HOME``; we keep that inside the
project's data dir instead of ``~/.prefect``. Anything the user has set wins (``setdefault``).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from gidar.settings import Settings


def prefect_defaults(settings: Settings) -> dict[str, str]:
    return {
        "PREFECT_HOME": str(settings.prefect_home.resolve()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # offline servers log failed telemetry otherwise
        "PREFECT_LOGGING_LEVEL": "INFO" if settings.verbose else "WARNING",
        # The first start on a fresh SQLite database took 21 s on 2 cores; Prefect's default is 20 s.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }


def configure_prefect(settings: Settings, env: MutableMapping[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    for key, value in prefect_defaults(settings).items():
        env.setdefault(key, value)
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
