"""HTTP downloads into a content-addressed cache, and the transient-error rule for retries.

Files land in ``<cache>/<sha[:2]>/<sha>.pdf``, so the same report published under two URLs is
stored and processed once. Per URL we remember the ETag/Last-Modified and send a
conditional GET next time: an unchanged report is neither downloaded nor re-extracted.
Standard library only (urllib), so downloads work without optional packages.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 200 * 1024 * 1024  # no annual report is this large; stops runaway downloads
CHUNK = 1 << 16


class DownloadError(Exception):
    """A download that failed; ``transient`` says whether trying again may help."""

    def __init__(self, url: str, message: str, *, status: int | None = None, transient: bool = False) -> None:
        super().__init__(f"{message} ({url})")
        self.url = url
        self.status = status
        self.transient = transient


@dataclass(frozen=True)
class Fetched:
    path: str  # the cached file
    sha256: str
    size: int
    from_cache: bool  # True when the server answered 304 Not Modified


def is_transient(exc: BaseException) -> bool:
    """Timeouts, connection errors, HTTP 5xx and 429 may succeed on retry; 4xx and bad content not."""
    if isinstance(exc, DownloadError):
        return exc.transient
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code == 429
    if isinstance(exc, urllib.error.URLError):
        return isinstance(exc.reason, OSError)
    return isinstance(exc, TimeoutError | socket.timeout | ConnectionError | http.client.IncompleteRead)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def cache_path(cache_dir: Path, sha256: str) -> Path:
    return cache_dir / sha256[:2] / f"{sha256}.pdf"


def _meta_path(cache_dir: Path, url: str) -> Path:
    return cache_dir / "urls" / f"{hashlib.sha256(url.encode()).hexdigest()}.json"


def _read_meta(cache_dir: Path, url: str) -> dict[str, str]:
    p = _meta_path(cache_dir, url)
    try:
        meta = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) and cache_path(cache_dir, meta.get("sha256", "xx")).exists() else {}


def _write_meta(cache_dir: Path, url: str, meta: dict[str, str]) -> None:
    p = _meta_path(cache_dir, url)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, p)


def fetch_url(url: str, cache_dir: Path, *, timeout: float = 60.0, user_agent: str = "gidar") -> Fetched:
    """Download ``url`` into the cache (or reuse it on 304); raises `DownloadError`."""
    meta = _read_meta(cache_dir, url)
    headers = {"User-Agent": user_agent, "Accept": "application/pdf,*/*"}
    if meta.get("etag"):
        headers["If-None-Match"] = meta["etag"]
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = meta["last_modified"]
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            sha, size = _store(resp, cache_dir, url)
            new_meta = {"url": url, "sha256": sha}
            for key, header in (("etag", "ETag"), ("last_modified", "Last-Modified")):
                if value := resp.headers.get(header):
                    new_meta[key] = value
    except urllib.error.HTTPError as e:
        if e.code == 304 and meta:
            path = cache_path(cache_dir, meta["sha256"])
            return Fetched(str(path), meta["sha256"], path.stat().st_size, from_cache=True)
        raise DownloadError(url, f"HTTP {e.code} {e.reason}", status=e.code, transient=is_transient(e)) from e
    except DownloadError:
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        raise DownloadError(url, f"{type(reason).__name__}: {reason}", transient=is_transient(e)) from e
    _write_meta(cache_dir, url, new_meta)
    return Fetched(str(cache_path(cache_dir, sha)), sha, size, from_cache=False)


def _store(resp: http.client.HTTPResponse, cache_dir: Path, url: str) -> tuple[str, int]:
    """Stream the body to a temporary file while hashing it, then move it to its content address."""
    expected = resp.headers.get("Content-Length")
    h = hashlib.sha256()
    size = 0
    (cache_dir / "tmp").mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir / "tmp", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := resp.read(CHUNK):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise DownloadError(url, f"larger than {MAX_BYTES} bytes")
                h.update(chunk)
                out.write(chunk)
        if expected is not None and expected.isdigit() and int(expected) != size:
            raise DownloadError(url, f"truncated: {size} of {expected} bytes", transient=True)
        sha = h.hexdigest()
        dest = cache_path(cache_dir, sha)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, dest)
        return sha, size
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
