"""Run-time settings: one frozen object read from ``GIDAR_*`` environment variables.

Only flows/ and the CLI read settings; the stages below them take explicit arguments, so they
stay testable without an environment. Paths default to folders under ``GIDAR_DATA_DIR``
(``./data``); each can be set on its own (``GIDAR_WAREHOUSE``, ``GIDAR_LAKE`` ...).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PREFIX = "GIDAR_"
_ENV_NAMES = {"reader_backend": "BACKEND"}  # fields whose variable is not GIDAR_<FIELD>


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    warehouse: Path = Path("data/gidar.duckdb")
    lake: Path = Path("data/lake")
    cache: Path = Path("data/cache")  # content-addressed downloads: <sha256[:2]>/<sha256>.pdf
    site: Path = Path("data/site")  # dashboard
    prefect_home: Path = Path("data/prefect")  # used only when PREFECT_HOME is not set
    workers: int = 4  # concurrent downloads / report tasks
    processes: int = field(default_factory=lambda: os.cpu_count() or 1)  # extraction processes
    retries: int = 3  # download retries on transient errors
    retry_delay: float = 2.0  # seconds before the first retry; doubles each time
    timeout: float = 60.0  # seconds per HTTP request
    download_deadline: float = 300.0  # seconds for a whole download (flows.download.DEFAULT_DEADLINE)
    allow_private_urls: bool = False  # fetch URLs at loopback/private/link-local/metadata addresses
    allow_url_hosts: str = ""  # comma-separated hosts or host:port fetched even at private addresses
    user_agent: str = "gidar/0.1 (+https://github.com/gidar; government report archiver)"
    verbose: bool = False  # Prefect INFO logs instead of warnings only
    publish_interval: float = 30.0  # seconds between warehouse snapshots published to readers during a load
    reader_backend: str = "pdfium"  # PDF reader tried first: pdfium | pdfplumber (GIDAR_BACKEND)
    max_pages: int = 500  # pages per file (extract.budget.Budget)
    max_file_bytes: int = 200 * 1024 * 1024  # bytes per file (extract.budget.Budget)
    max_page_objects: int = 100_000  # glyphs and drawings per page (extract.budget.Budget)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``GIDAR_<FIELD>``; path fields not set explicitly follow ``GIDAR_DATA_DIR``."""
        env = os.environ if env is None else env
        data_dir = Path(env.get(PREFIX + "DATA_DIR", str(cls.data_dir)))
        base = cls().rebase(data_dir)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + _ENV_NAMES.get(f.name, f.name.upper()))
            if raw is None or f.name == "data_dir":
                continue
            values[f.name] = _coerce(getattr(base, f.name), raw, f.name)
        return replace(base, **values)

    def rebase(self, data_dir: Path) -> Settings:
        """The same settings with every data path moved under ``data_dir``."""
        d = Path(data_dir)
        return replace(
            self,
            data_dir=d,
            warehouse=d / "gidar.duckdb",
            lake=d / "lake",
            cache=d / "cache",
            site=d / "site",
            prefect_home=d / "prefect",
        )


def _coerce(default: object, raw: str, name: str) -> object:
    if isinstance(default, bool):
        if raw.strip().lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.strip().lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"{PREFIX}{name.upper()}={raw!r} is not a boolean")
    if isinstance(default, Path):
        return Path(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw
