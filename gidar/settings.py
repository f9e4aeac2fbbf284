"""Run-time settings: one frozen, typed object read from ``GIDAR_*`` environment variables.

They are read ONCE, at the edge (the CLI, or the flow's entry for a scheduled run), and passed
down as typed values: extract/, transform/, expectations/ and warehouse/ read no environment.
Paths default to folders under ``GIDAR_DATA_DIR`` (``./data``); each can be set on its own
(``GIDAR_WAREHOUSE``, ``GIDAR_LAKE`` ...). pydantic-settings does the reading and the type checks,
so ``GIDAR_PROCESSES=many`` is refused with a message naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PREFIX = "GIDAR_"
# Data paths that follow data_dir unless set on their own.
_UNDER_DATA = {
    "warehouse": "gidar.duckdb",
    "lake": "lake",
    "cache": "cache",
    "site": "site",
    "prefect_home": "prefect",
}


# Set while `from_env` validates an explicit mapping: the process environment is then not consulted.
_MAPPING_ONLY: ContextVar[bool] = ContextVar("gidar_settings_mapping_only", default=False)


def _cpus() -> int:
    return os.cpu_count() or 1


class SettingsError(ValueError):
    """A ``GIDAR_*`` variable has a value that does not fit its type: one line, naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, frozen=True, extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    # --- where things live ------------------------------------------------------------------
    data_dir: Path = Path("data")
    warehouse: Path = Path("data/gidar.duckdb")
    lake: Path = Path("data/lake")
    cache: Path = Path("data/cache")  # content-addressed downloads: <sha256[:2]>/<sha256>.pdf
    site: Path = Path("data/site")  # dashboard
    prefect_home: Path = Path("data/prefect")  # used only when PREFECT_HOME is not set

    # --- how the work is spread -------------------------------------------------------------
    processes: int = Field(default_factory=_cpus, ge=1)  # reading processes on this machine
    # Reports per read/validate/load batch: each GX run of a batch has a fixed cost of about a second on
    # 2 cores, so larger batches spread it; up to 100 keeps progress lines and commits frequent.
    batch_size: int = Field(default=100, ge=1, le=1000)
    workers: int = Field(default=4, ge=1)  # concurrent downloads within a batch
    cluster: str | None = None  # tcp://HOST:8786: read on this Dask cluster instead of local processes

    # --- downloads --------------------------------------------------------------------------
    retries: int = Field(default=3, ge=0)  # download retries on transient errors
    retry_delay: float = Field(default=2.0, ge=0)  # backoff factor: 2, 4, 8 ... seconds
    timeout: float = Field(default=60.0, gt=0)  # seconds per HTTP read
    download_deadline: float = Field(default=300.0, gt=0)  # seconds for a whole download (redirects included)
    allow_private_urls: bool = False  # fetch URLs at loopback/private/link-local/metadata addresses too
    allow_url_hosts: str = ""  # comma-separated hosts or host:port fetched even at private addresses
    user_agent: str = "gidar/0.1 (+https://github.com/gidar; government report archiver)"

    # --- reading ----------------------------------------------------------------------------
    reader_backend: Literal["pdfium", "pdfplumber"] = Field(  # GIDAR_BACKEND
        default="pdfium", validation_alias=AliasChoices("GIDAR_BACKEND", "backend", "reader_backend")
    )
    # Budgets per file (extract.budget.Budget); the defaults are Budget's.
    max_pages: int = Field(default=500, ge=1)
    max_page_area: float = Field(default=4_000_000.0, gt=0)
    max_ocr_pages: int = Field(default=16, ge=0)
    max_file_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    max_page_objects: int = Field(default=100_000, ge=1)  # glyphs and drawings per page
    ocr_threads: int = Field(default=1, ge=0)  # onnxruntime threads per reading process (0: its choice)
    # Wall-clock seconds one file may take in a reading process; then it ends `timeout`.
    max_seconds: float = Field(default=300.0, gt=0)
    # Address space of one reading process (MiB); a file that needs more ends `too_large` or `error`.
    # OCR (onnxruntime) maps about 1 GiB of address space before it reads anything.
    max_memory_mb: int = Field(default=4096, ge=256)

    # --- warehouse and output ---------------------------------------------------------------
    publish_interval: float = Field(default=30.0, ge=0)  # seconds between snapshots published to readers
    verbose: bool = False  # Prefect INFO logs on the console (they always reach a server)
    user: str | None = None  # who records human corrections (default: the login name)

    @model_validator(mode="before")
    @classmethod
    def _paths_follow_data_dir(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            base = Path(data.get("data_dir") or "data")
            for name, sub in _UNDER_DATA.items():
                if data.get(name) in (None, ""):
                    data[name] = base / sub
        return data

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if _MAPPING_ONLY.get():
            return (init_settings,)
        return (init_settings, env_settings)  # no .env or secrets files: the environment is the interface

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``GIDAR_<FIELD>`` from the process environment (or ``env``, for tests).

        Raises `SettingsError` with the variable's name when a value does not fit."""
        try:
            if env is None:
                return cls()
            values = {k[len(PREFIX) :].lower(): v for k, v in env.items() if k.upper().startswith(PREFIX) and v != ""}
            token = _MAPPING_ONLY.set(True)
            try:
                return cls.model_validate(values)
            finally:
                _MAPPING_ONLY.reset(token)
        except ValidationError as e:
            raise SettingsError(_one_line(e)) from None

    def rebase(self, data_dir: Path) -> Settings:
        """The same settings with every data path moved under ``data_dir``."""
        d = Path(data_dir)
        return self.model_copy(update={"data_dir": d, **{k: d / sub for k, sub in _UNDER_DATA.items()}})

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated)."""
        return type(self).model_validate({**self.model_dump(), **changes})

    def resolved(self) -> Settings:
        """Every path absolute: task runs and scheduled runs must not depend on a working directory."""
        return self.model_copy(
            update={k: Path(getattr(self, k)).expanduser().resolve() for k in ("data_dir", *_UNDER_DATA)}
        )


def _one_line(e: ValidationError) -> str:
    parts = []
    for err in e.errors():
        field = str(err["loc"][0]).upper() if err["loc"] else "*"
        name = field if field.startswith(PREFIX) else PREFIX + field  # an alias may carry the prefix already
        parts.append(f"{name}={err.get('input')!r}: {err['msg']}")
    return "; ".join(parts)
