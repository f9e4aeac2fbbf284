"""Bring each source item to a local, hashed file; the transient-error rule for retries.

URLs are downloaded into a content-addressed cache, ``<cache>/<sha[:2]>/<sha>.pdf``, so the same
report published under two URLs is stored and processed once. Per URL we remember the
ETag/Last-Modified and send a conditional GET next time: an unchanged report is neither
downloaded nor re-extracted. Local paths are hashed where they are.

A source is untrusted (hundreds of websites, manifests written by hand), so this module bounds
what one item can do to a run:

- local paths: only regular files are read. ``/dev/zero`` would make the hash loop endless and a
  FIFO would block it for ever, so the kind is checked before opening (which has side effects
  for some devices) and again on the open descriptor;
- URLs: a deadline for the whole download besides the per-read timeout (a server sending one
  byte every few seconds never trips a per-read timeout); the body is streamed, never held whole;
- URLs and every redirect hop that lead to loopback, private, link-local or cloud-metadata
  addresses are refused unless allowed (`DownloadPolicy`), checked on the address actually
  connected to as well, so a DNS answer cannot slip an internal address past the name check;
- ``.part`` files of a download are removed when it fails, at exit, and, after a kill, by the
  next download into the same cache.

Standard library only (urllib), so downloads work without optional packages.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import http.client
import ipaddress
import json
import os
import socket
import stat
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from gidar.flows.sources import SourceItem
    from gidar.settings import Settings

MAX_BYTES = 200 * 1024 * 1024  # no annual report is this large; stops runaway downloads
CHUNK = 1 << 16
# A report is 0.2–20 MB; 20 MB at 100 KB/s (a slow provincial server) takes 200 s.
DEFAULT_DEADLINE = 300.0
MESSAGE_CHARS = 160  # server-supplied text (reason phrases) is cut to this in messages
ALLOW_HINT = "pass --allow-private-urls or set GIDAR_ALLOW_PRIVATE_URLS=1 (or GIDAR_ALLOW_URL_HOSTS) to allow it"
# Cloud instance-metadata endpoints: credentials live there. All are non-public anyway; named
# so the message says why the address matters.
_METADATA = frozenset(map(ipaddress.ip_address, ["169.254.169.254", "100.100.100.200", "fd00:ec2::254"]))


class DownloadError(Exception):
    """A source that could not be fetched; ``transient`` says whether trying again may help."""

    def __init__(self, url: str, message: str, *, status: int | None = None, transient: bool = False) -> None:
        super().__init__(f"{message} ({url})")
        self.url = url
        self.reason = message
        self.status = status
        self.transient = transient


class _Refused(Exception):
    """Raised deep in urllib (a redirect or a connection); `fetch_url` adds the URL.
    Not an OSError on purpose: urllib would wrap that into a (transient) URLError."""


@dataclass(frozen=True)
class Fetched:
    path: str  # the cached file
    sha256: str
    size: int
    from_cache: bool  # True when the server answered 304 Not Modified


@dataclass(frozen=True)
class DownloadPolicy:
    """How far a download may go. The defaults are the safe ones: public addresses only."""

    timeout: float = 60.0  # seconds per connect and per read
    deadline: float = DEFAULT_DEADLINE  # seconds for the whole download, redirects included
    user_agent: str = "gidar"
    allow_private: bool = False  # loopback, private, link-local and metadata addresses too
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)  # "host" or "host:port", even if private
    max_bytes: int = MAX_BYTES

    @classmethod
    def from_settings(cls, s: Settings) -> DownloadPolicy:
        return cls(
            timeout=s.timeout,
            deadline=s.download_deadline,
            user_agent=s.user_agent,
            allow_private=s.allow_private_urls,
            allowed_hosts=parse_hosts(s.allow_url_hosts),
            max_bytes=s.max_file_bytes,  # the reading budget's limit: a larger file would not be read
        )

    def trusts(self, host: str, port: int | None) -> bool:
        """Whether ``host`` may be reached whatever its address is."""
        host = host.strip("[]").lower()
        return self.allow_private or host in self.allowed_hosts or f"{host}:{port}" in self.allowed_hosts


def parse_hosts(text: str) -> frozenset[str]:
    """``"mirror.local, 10.0.0.5:8080"`` → the set of allowed ``host`` / ``host:port`` entries."""
    return frozenset(h.strip().lower().replace("[", "").replace("]", "") for h in text.split(",") if h.strip())


def is_transient(exc: BaseException) -> bool:
    """Timeouts, connection errors, HTTP 5xx and 429 may succeed on retry; 4xx and bad content not."""
    if isinstance(exc, DownloadError):
        return exc.transient
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code == 429
    if isinstance(exc, urllib.error.URLError):
        return isinstance(exc.reason, OSError)
    return isinstance(exc, TimeoutError | socket.timeout | ConnectionError | http.client.IncompleteRead)


def fetch_item(item: SourceItem, cache_dir: Path, policy: DownloadPolicy) -> Fetched:
    """The local file of a source item: a checked local path, or a download into the cache."""
    if item.kind == "path":
        return fetch_path(Path(item.ref), max_bytes=policy.max_bytes)
    return fetch_url(item.ref, cache_dir, policy)


# --- local paths ---------------------------------------------------------------------------------


def _file_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def _not_regular(path: Path, mode: int) -> DownloadError:
    return DownloadError(str(path), f"not a regular file: it is {_file_kind(mode)}; only regular files are read")


def fetch_path(path: Path, *, max_bytes: int = MAX_BYTES) -> Fetched:
    """Hash a local file in place. Anything but a regular file of at most ``max_bytes`` is refused."""
    ref = str(path)
    try:
        st = os.stat(path)  # before opening: opening some devices has side effects (tapes, ttys)
    except FileNotFoundError:
        raise DownloadError(ref, "no such file") from None
    except OSError as e:
        raise DownloadError(ref, f"cannot read the file: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path, st.st_mode)
    try:
        # O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise DownloadError(ref, f"cannot read the file: {e.strerror}") from None
    with os.fdopen(fd, "rb", buffering=0) as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(path, st.st_mode)
        if st.st_size > max_bytes:
            raise _too_large(ref, max_bytes)
        h = hashlib.sha256()
        size = 0
        try:
            while chunk := f.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:  # a file that grows while we read it
                    raise _too_large(ref, max_bytes)
                h.update(chunk)
        except OSError as e:  # e.g. EAGAIN from a regular-looking file that would block (/proc)
            raise DownloadError(ref, f"cannot read the file: {e.strerror}") from None
    return Fetched(ref, h.hexdigest(), size, from_cache=False)


def _too_large(ref: str, max_bytes: int) -> DownloadError:
    return DownloadError(ref, f"larger than the limit of {max_bytes} bytes")


def sha256_file(path: Path) -> str:
    return fetch_path(Path(path)).sha256


# --- addresses -----------------------------------------------------------------------------------


def address_refusal(address: str) -> str | None:
    """Why connecting to ``address`` (an IP) is refused by default, or None for a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip in _METADATA:
        return f"{ip} is a cloud metadata address"
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_unspecified:
        return f"{ip} is the unspecified address (it reaches this machine)"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private:
        return f"{ip} is a private address"
    if not ip.is_global or ip.is_multicast:
        return f"{ip} is not a public address"
    return None


def _resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _addresses_refusal(host: str, infos: list[tuple[Any, ...]]) -> str | None:
    """Why ``host`` may not be reached when it resolved to ``infos`` (every address must be public)."""
    for info in infos:
        if why := address_refusal(str(info[4][0])):
            named = "" if host.strip("[]") == str(info[4][0]) else f"{host} resolves to {info[4][0]}: "
            return f"{named}{why}; {ALLOW_HINT}"
    return None


def url_refusal(url: str, policy: DownloadPolicy) -> str | None:
    """Why ``url`` may not be fetched under ``policy``, or None.

    Literal addresses are judged as they are; names are resolved and every address must be
    public. A name that does not resolve here passes: a configured proxy may resolve it, and
    without one the connection fails, and the connection checks the address it really uses.
    """
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as e:
        return f"not a valid URL: {e}"
    if parts.scheme not in {"http", "https"}:
        return f"only http and https URLs are fetched, not {parts.scheme or 'a relative URL'}"
    host = parts.hostname or ""
    if not host:
        return "the URL has no host"
    if policy.trusts(host, port):
        return None
    try:
        return _addresses_refusal(host, _resolve(host, port))
    except (OSError, UnicodeError):
        return None


# --- the deadline --------------------------------------------------------------------------------

_LIVE: set[_Deadline] = set()  # downloads in progress, for `abort_downloads`
_LIVE_LOCK = threading.Lock()


class _Deadline:
    """Ends a download at a fixed time whatever the server does. A timer shuts the download's
    sockets down, which wakes a read blocked on a server that sends a byte now and then; the
    read loop then sees `expired` and fails instead of taking the short body for a whole one."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired: str | None = None  # why it ended early: "deadline" or "aborted"
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        with _LIVE_LOCK:
            _LIVE.add(self)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with _LIVE_LOCK:
            _LIVE.discard(self)
        with self._lock:
            for s in self._socks:
                s.close()
            self._socks.clear()

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def watch(self, sock: socket.socket) -> None:
        # A duplicate descriptor: the socket object itself is detached when TLS wraps it, and
        # shutdown() on any descriptor of a connection ends it for all of them.
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError("download deadline passed")
            self._socks.append(sock.dup())

    def expire(self, why: str = "deadline") -> None:
        with self._lock:
            self.expired = self.expired or why
            for s in self._socks:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def error(self, url: str) -> DownloadError:
        if self.expired == "aborted":
            return DownloadError(url, "download interrupted")
        # Not transient: a retry would wait as long again for a server this slow.
        return DownloadError(
            url, f"took longer than the download deadline of {self.seconds:g} s (GIDAR_DOWNLOAD_DEADLINE)"
        )


def abort_downloads() -> int:
    """End every download in progress now (for a run that is being stopped); returns how many.
    Each fails with "download interrupted" and removes its ``.part`` file."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for d in live:
        d.expire("aborted")
    return len(live)


# --- urllib plumbing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Guard:
    policy: DownloadPolicy
    deadline: _Deadline

    def connect(
        self, address: tuple[str, int], timeout: Any, source_address: Any = None, *, check: bool
    ) -> socket.socket:
        """`socket.create_connection`, checking the addresses it connects to and under the deadline."""
        host, port = address
        timeout = timeout if isinstance(timeout, int | float) else self.policy.timeout
        infos = _resolve(host, port)
        if check and not self.policy.trusts(host, port) and (why := _addresses_refusal(host, infos)):
            raise _Refused(f"refused: {why}")
        err: OSError = OSError(f"no address for {host}")
        for family, socktype, proto, _, sockaddr in infos:
            left = self.deadline.remaining()
            if left <= 0:
                raise TimeoutError("download deadline passed")
            sock = socket.socket(family, socktype, proto)
            try:
                sock.settimeout(min(timeout, left))
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                sock.settimeout(timeout)
                self.deadline.watch(sock)
                return sock
            except OSError as e:
                err = e
                sock.close()
        raise err


def _guarded(base: type[http.client.HTTPConnection], guard: _Guard, proxied: bool) -> Any:
    class Conn(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # http.client keeps this as an instance attribute "to allow unit tests to replace
            # it"; it is the one place every connection (plain, TLS, tunnel) is opened.
            self._create_connection = self._connect

        def _connect(self, address: tuple[str, int], timeout: Any = None, source_address: Any = None) -> socket.socket:
            # Through a proxy the peer is the proxy the user configured; the target's name was
            # checked on each hop by `url_refusal`.
            direct = not proxied and self._tunnel_host is None
            return guard.connect(address, timeout, source_address, check=direct)

    return Conn


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, guard: _Guard) -> None:
        super().__init__()
        self.guard = guard

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_guarded(http.client.HTTPConnection, self.guard, req.has_proxy()), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, guard: _Guard) -> None:
        super().__init__()
        self.guard = guard

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        # http.client's default TLS context: certificates and host names verified
        return self.do_open(_guarded(http.client.HTTPSConnection, self.guard, req.has_proxy()), req)


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, guard: _Guard) -> None:
        self.guard = guard

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        # urllib reads a redirect's body whole before following it; a hostile server can make
        # that body endless. Nothing in it is needed.
        fp.close()
        if why := url_refusal(newurl, self.guard.policy):
            raise _Refused(f"refused redirect to {_clip(newurl)}: {why}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(guard: _Guard) -> urllib.request.OpenerDirector:
    """Only http(s), with proxies from the environment; no file:, ftp: or data: handlers."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        _HTTPHandler(guard),
        _HTTPSHandler(guard),
        urllib.request.HTTPDefaultErrorHandler(),
        _Redirects(guard),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _clip(text: object) -> str:
    """Server-supplied text for a message: printable, one line, short."""
    s = "".join(ch if ch.isprintable() else " " for ch in str(text)).strip()
    return s if len(s) <= MESSAGE_CHARS else s[: MESSAGE_CHARS - 1] + "…"


def _describe(e: BaseException) -> str:
    if isinstance(e, urllib.error.URLError) and not isinstance(e.reason, str):
        e = e.reason  # type: ignore[assignment]
    if isinstance(e, http.client.BadStatusLine):
        return "the server's answer is not HTTP"  # never quote it: it is a foreign service's bytes
    return _clip(f"{type(e).__name__}: {e}")


# --- the cache -----------------------------------------------------------------------------------


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


def fetch_url(url: str, cache_dir: Path, policy: DownloadPolicy | None = None, **overrides: Any) -> Fetched:
    """Download ``url`` into the cache (or reuse it on 304); raises `DownloadError`.

    ``overrides`` replace fields of ``policy`` (default: `DownloadPolicy()`, public addresses
    only), e.g. ``timeout=10, user_agent="..."``.
    """
    policy = replace(policy or DownloadPolicy(), **overrides)
    if why := url_refusal(url, policy):
        raise DownloadError(url, f"refused: {why}")
    _sweep_parts(cache_dir)
    meta = _read_meta(cache_dir, url)
    headers = {"User-Agent": policy.user_agent, "Accept": "application/pdf,*/*"}
    if meta.get("etag"):
        headers["If-None-Match"] = meta["etag"]
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = meta["last_modified"]
    req = urllib.request.Request(url, headers=headers)
    with _Deadline(policy.deadline) as deadline:
        try:
            with _opener(_Guard(policy, deadline)).open(req, timeout=policy.timeout) as resp:
                sha, size = _store(resp, cache_dir, url, deadline, policy.max_bytes)
                new_meta = {"url": url, "sha256": sha}
                for key, header in (("etag", "ETag"), ("last_modified", "Last-Modified")):
                    if value := resp.headers.get(header):
                        new_meta[key] = value
        except urllib.error.HTTPError as e:
            e.close()
            if e.code == 304 and meta:
                path = cache_path(cache_dir, meta["sha256"])
                return Fetched(str(path), meta["sha256"], path.stat().st_size, from_cache=True)
            status = f"HTTP {e.code} {_clip(e.reason)}".strip()
            raise DownloadError(url, status, status=e.code, transient=is_transient(e)) from None
        except DownloadError:
            raise
        except _Refused as e:  # a redirect hop, or the address a connection resolved to
            raise DownloadError(url, str(e)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as e:
            if deadline.expired or deadline.remaining() <= 0:  # the cause, not its symptom (a closed socket)
                raise deadline.error(url) from None
            raise DownloadError(url, _describe(e), transient=is_transient(e)) from None
    _write_meta(cache_dir, url, new_meta)
    return Fetched(str(cache_path(cache_dir, sha)), sha, size, from_cache=False)


def _store(
    resp: http.client.HTTPResponse, cache_dir: Path, url: str, deadline: _Deadline, max_bytes: int
) -> tuple[str, int]:
    """Stream the body to a temporary file while hashing it, then move it to its content address."""
    expected = resp.headers.get("Content-Length")
    if expected is not None and expected.isdigit() and int(expected) > max_bytes:
        raise _too_large(url, max_bytes)
    h = hashlib.sha256()
    size = 0
    with _part_file(cache_dir) as (out, tmp_name):
        # read1: one socket read per call. read(n) would wait for all n bytes, so a slow server
        # could hold one call past the deadline check.
        while chunk := resp.read1(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(url, max_bytes)
            h.update(chunk)
            out.write(chunk)
            if deadline.expired:
                break
        out.close()
        if deadline.expired:  # the body may look complete: the timer's shutdown reads as EOF
            raise deadline.error(url)
        if expected is not None and expected.isdigit() and int(expected) != size:
            raise DownloadError(url, f"truncated: {size} of {expected} bytes", transient=True)
        sha = h.hexdigest()
        dest = cache_path(cache_dir, sha)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, dest)
    return sha, size


# --- .part files ---------------------------------------------------------------------------------

_PARTS: set[str] = set()  # this process's downloads in progress
_SWEPT: set[Path] = set()


@contextlib.contextmanager
def _part_file(cache_dir: Path) -> Iterator[tuple[Any, str]]:
    """A temporary ``<pid>-*.part`` file under ``<cache>/tmp``, removed unless moved away."""
    tmp_dir = cache_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=f"{os.getpid()}-", suffix=".part")
    _PARTS.add(name)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out, name
    finally:
        _PARTS.discard(name)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


@atexit.register
def _remove_parts() -> None:
    """At exit (also after Ctrl-C or SIGTERM turned into an exception) drop unfinished downloads."""
    for name in list(_PARTS):
        with contextlib.suppress(OSError):
            os.unlink(name)


def _sweep_parts(cache_dir: Path) -> None:
    """Remove ``.part`` files left by processes that no longer run (a kill -9 skips every cleanup)."""
    tmp_dir = cache_dir / "tmp"
    if tmp_dir in _SWEPT:
        return
    _SWEPT.add(tmp_dir)
    for part in tmp_dir.glob("*.part"):
        pid = part.name.split("-", 1)[0]
        if not pid.isdigit() or not _alive(int(pid)):
            with contextlib.suppress(OSError):
                part.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
