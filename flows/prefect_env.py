"""Prefect's environment, set before ``import prefect`` (Prefect reads its settings at import), and
the temporary server of embedded runs.

Two modes (README "Prefect: server or embedded"):

* **server**: ``PREFECT_API_URL`` is set (a long-running ``prefect server start`` or Prefect
  Cloud). Nothing is started; runs, logs and artifacts stay in its UI.
* **embedded**: no ``PREFECT_API_URL``. gidar starts a temporary API server itself, the moment
  the command starts, so the server's start-up (several seconds) overlaps gidar's own imports,
  planning and the reading processes' start. Unlike Prefect's own temporary server it runs in a
  session of its own (Ctrl-C in the terminal does not kill it under the run) and gets a
  parent-death signal: when gidar exits or is killed, even with SIGKILL, the server goes too. Its
  SQLite database lives under ``PREFECT_HOME`` (``<data dir>/prefect``), so a later
  ``prefect server start`` with the same ``PREFECT_HOME`` shows the history of embedded runs.

The console stays quiet (warnings only, ``-v`` for INFO) while the run's logs reach the API at
INFO: the level applies to Prefect's loggers, the quiet to its console handler only.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import MutableMapping
from pathlib import Path

from gidar.settings import Settings

_PR_SET_PDEATHSIG = 1
# Prefect's default wait for its temporary server is 20 s; a first start on a fresh SQLite database
# took 21 s on 2 busy cores.
STARTUP_TIMEOUT = 120.0
STOP_TIMEOUT = 2.0  # seconds the temporary server gets to shut down before it is killed

# The temporary server runs one command's flow run and answers only this process's client: what it does not
# need is switched off (Prefect 3.9 settings, checked against prefect.settings.models.server). Kept on: the
# task-run recorder and the event persister, which turn the client's events into the task runs and the
# event feed the UI shows, and the log and flow-run APIs.
LEAN_SERVER = {
    "PREFECT_UI_ENABLED": "0",  # no UI bundle to copy and serve
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",  # automations' reactive triggers and actions
    "PREFECT_SERVER_EVENTS_STREAM_OUT_ENABLED": "false",  # the websocket event stream (for the UI)
    "PREFECT_SERVER_LOGS_STREAM_OUT_ENABLED": "false",  # the websocket log stream
}
# A database just copied from the template is migrated and holds Prefect's block types already: the
# server's start-up checks of both (~0.5 s of a 3 s start) are skipped for it.
SEEDED_SERVER = {
    "PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
    "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
}


def prefect_defaults(settings: Settings) -> dict[str, str]:
    return {
        "PREFECT_HOME": str(settings.prefect_home.expanduser().resolve()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # offline servers log failed telemetry otherwise
        # INFO reaches the API (the run's Logs tab); the console handler shows warnings unless verbose.
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO" if settings.verbose else "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(int(STARTUP_TIMEOUT)),
    }


def configure_prefect(settings: Settings, env: MutableMapping[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    for key, value in prefect_defaults(settings).items():
        env.setdefault(key, value)
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


def server_mode() -> bool:
    """True when a Prefect server is configured (``PREFECT_API_URL``)."""
    return bool(os.environ.get("PREFECT_API_URL"))


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _template() -> Path:
    """A Prefect database migrated by this Prefect version and holding nothing else: migrating a fresh SQLite
    database (100+ Alembic revisions) costs ~10 s, paid once per machine and version instead of once per
    data dir. Kept in the user's cache folder."""
    from importlib.metadata import version

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gidar"
    return cache / f"prefect-{version('prefect')}.db"


def _database() -> Path | None:
    """The SQLite file the server will use, when it is Prefect's default one under ``PREFECT_HOME``."""
    if os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL") or not os.environ.get("PREFECT_HOME"):
        return None
    return Path(os.environ["PREFECT_HOME"]).expanduser() / "prefect.db"


def _seed(db: Path, template: Path) -> bool:
    """Start a new database as a copy of the template; True if copied."""
    if db.exists() or not template.is_file():
        return False
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(template, tmp)
        os.replace(tmp, db)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


def _save_template(db: Path, template: Path) -> None:
    """Keep a consistent copy (SQLite's backup API: the server may be writing) of a database the server
    has just migrated, before any run was recorded in it."""
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        tmp = template.with_name(f".{template.name}.{os.getpid()}.tmp")
        src, dst = sqlite3.connect(db), sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        os.replace(tmp, template)
    except (OSError, sqlite3.Error):  # best effort: the next fresh database migrates again
        with contextlib.suppress(OSError, UnboundLocalError):
            tmp.unlink(missing_ok=True)


class EmbeddedServer:
    """A temporary Prefect API server owned by this process (see the module doc)."""

    def __init__(self) -> None:
        spec = importlib.util.find_spec("prefect")
        if spec is None or spec.origin is None:
            raise RuntimeError("prefect is not installed")
        self.db = _database()
        self.template: Path | None = None  # where to keep the database once migrated (a fresh one)
        self.seeded = False  # the database is a fresh copy of the template
        if self.db is not None and not self.db.exists():
            template = _template()
            self.seeded = _seed(self.db, template)
            if not self.seeded:
                self.template = template
        self.port = _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        env = {
            **os.environ,
            **LEAN_SERVER,
            **(SEEDED_SERVER if self.seeded else {}),
            "PREFECT__SERVER_EPHEMERAL": "1",  # as Prefect's own temporary server
            "PREFECT__SERVER_FINAL": "1",
        }
        env.pop("PREFECT_API_URL", None)
        # The parent's death signal is bound to the thread that forks: this must be the main thread.
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(Path(spec.origin).parent.parent),
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # from the main thread (see above)
        )
        self.t0 = time.perf_counter()
        self.ready_after: float | None = None

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the temporary Prefect server exited with code {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as r:
                    if r.status == 200:
                        self.ready_after = time.perf_counter() - self.t0
                        if self.template is not None and self.db is not None:
                            _save_template(self.db, self.template)
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the temporary Prefect server did not answer within {timeout:g} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:  # SQLite keeps the run history consistent even if the server must be killed
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_embedded() -> EmbeddedServer | None:
    """Start a temporary server unless a server is configured; points ``PREFECT_API_URL`` at it.
    Call before importing prefect, from the main thread."""
    if server_mode():
        return None
    server = EmbeddedServer()
    os.environ["PREFECT_API_URL"] = server.api_url
    return server


def flow_run_url(flow_run_id: str) -> str | None:
    """The flow run's page in the Prefect UI, when the server has one."""
    try:
        from prefect.settings import PREFECT_UI_URL

        ui = PREFECT_UI_URL.value()
    except Exception:
        return None
    return f"{str(ui).rstrip('/')}/runs/flow-run/{flow_run_id}" if ui else None
