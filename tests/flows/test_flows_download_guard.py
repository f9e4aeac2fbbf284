"""What one hostile source cannot do to a download , against real servers on
127.0.0.1: reach a non-public address (directly, by a name, or on a redirect hop), outlive its
deadline by sending a byte now and then, read a device or a FIFO, or leave ``.part`` files."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from fake_site import FakeSite, Route, serve_site

from gidar.flows.download import (
    DownloadError,
    DownloadPolicy,
    _Deadline,
    _Guard,
    _Refused,
    abort_downloads,
    address_refusal,
    fetch_item,
    fetch_path,
    fetch_url,
    parse_hosts,
    url_refusal,
)
from gidar.flows.sources import SourceItem

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
DEFAULT = DownloadPolicy(timeout=5)  # the defaults: public addresses only
LOCAL = replace(DEFAULT, allow_private=True)
# Slack over a deadline for a loaded 2-core machine: the timer fires on time, the thread that
# notices may wait a little. A drip without the deadline would take a minute.
SLACK = 3.0


def _parts(cache: Path) -> list[Path]:
    return list((cache / "tmp").glob("*.part")) if (cache / "tmp").exists() else []


def _only(site: FakeSite) -> DownloadPolicy:
    """The default policy plus this one test server (as a user would allow an internal mirror)."""
    return replace(DEFAULT, allowed_hosts=parse_hosts(site.base.removeprefix("http://")))


# --- addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("10.20.30.40", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.10.10", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("100.64.1.1", "not a public"),
        ("224.0.0.1", "not a public"),
    ],
)
def test_non_public_addresses_are_named(address: str, why: str) -> None:
    assert why in (address_refusal(address) or "")


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "114.114.114.114"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(address) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("{base}/r.pdf", "loopback"),
        ("http://localhost:{port}/r.pdf", "loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/r.pdf", "loopback"),
        ("http://2130706433:{port}/r.pdf", "loopback"),  # 127.0.0.1 as one number
        ("http://0.0.0.0:{port}/r.pdf", "unspecified"),
        ("http://10.20.30.40/r.pdf", "private"),
        ("http://169.254.169.254/latest/meta-data/iam/", "metadata"),
        ("http://[fe80::1]/r.pdf", "link-local"),
        ("ftp://example.org/r.pdf", "only http and https"),
        ("file:///etc/shadow", "only http and https"),
    ],
)
def test_urls_to_non_public_addresses_are_refused_by_default(
    site: FakeSite, tmp_path: Path, url: str, why: str
) -> None:
    site.routes["/r.pdf"] = Route(PDF)
    url = url.format(base=site.base, port=site.base.rsplit(":", 1)[1])
    with pytest.raises(DownloadError) as e:
        fetch_url(url, tmp_path, DEFAULT)
    assert why in str(e.value) and not e.value.transient
    assert sum(site.hits.values()) == 0, "refused before any request"
    assert not list(tmp_path.rglob("*.pdf")) and not _parts(tmp_path)


def test_refusal_says_how_to_allow(site: FakeSite, tmp_path: Path) -> None:
    site.routes["/r.pdf"] = Route(PDF)
    with pytest.raises(DownloadError, match="--allow-private-urls"):
        fetch_url(site.url("/r.pdf"), tmp_path, DEFAULT)
    assert fetch_url(site.url("/r.pdf"), tmp_path, LOCAL).sha256 == hashlib.sha256(PDF).hexdigest()
    assert fetch_url(site.url("/r.pdf"), tmp_path / "b", _only(site)).sha256 == hashlib.sha256(PDF).hexdigest()


def test_allowed_hosts_match_host_and_port_exactly() -> None:
    policy = replace(DEFAULT, allowed_hosts=parse_hosts(" Mirror.Local , 10.0.0.5:8080, [::1]:81 "))
    assert policy.trusts("mirror.local", 80) and policy.trusts("MIRROR.local", 9000)
    assert policy.trusts("10.0.0.5", 8080) and not policy.trusts("10.0.0.5", 8081)
    assert policy.trusts("[::1]", 81) and not policy.trusts("::1", 80)
    assert url_refusal("http://10.0.0.5:8081/x.pdf", policy) is not None
    assert url_refusal("http://10.0.0.5:8080/x.pdf", policy) is None


def test_the_connection_checks_the_address_it_really_uses(site: FakeSite) -> None:
    # The name check before a request lets pass what it cannot resolve (a proxy may); the
    # connection is the last word, on the addresses DNS answered at that moment.
    port = int(site.base.rsplit(":", 1)[1])
    with _Deadline(5) as deadline:
        with pytest.raises(_Refused, match=r"localhost resolves to .* is a loopback address"):
            _Guard(DEFAULT, deadline).connect(("localhost", port), 5, check=True)
        _Guard(LOCAL, deadline).connect(("localhost", port), 5, check=True).close()
        _Guard(DEFAULT, deadline).connect(("127.0.0.1", port), 5, check=False).close()  # a proxy's peer


# --- redirects -----------------------------------------------------------------------------------


@pytest.fixture
def internal() -> Iterator[FakeSite]:
    """A service that must stay unreachable: what a redirect to 127.0.0.1 would read."""
    with serve_site() as s:
        s.routes["/secret"] = Route(b"root:*:19000:0:99999:7:::\n")
        yield s


def test_redirect_to_loopback_is_refused(site: FakeSite, internal: FakeSite, tmp_path: Path) -> None:
    site.routes["/r.pdf"] = Route(redirect=internal.url("/secret"))
    with pytest.raises(DownloadError) as e:
        fetch_url(site.url("/r.pdf"), tmp_path, _only(site))
    msg = str(e.value)
    assert "refused redirect to " + internal.url("/secret") in msg and "loopback" in msg
    assert site.hits["/r.pdf"] == 1 and sum(internal.hits.values()) == 0, "the internal service is never asked"
    assert not list(tmp_path.rglob("*.pdf")) and not _parts(tmp_path) and "root:" not in msg.split("(")[0]


def test_every_hop_is_checked(site: FakeSite, internal: FakeSite, tmp_path: Path) -> None:
    site.routes["/a.pdf"] = Route(redirect=site.url("/b.pdf"))  # an allowed hop first
    site.routes["/b.pdf"] = Route(redirect=f"http://localhost:{internal.base.rsplit(':', 1)[1]}/secret")
    with pytest.raises(DownloadError, match="loopback"):
        fetch_url(site.url("/a.pdf"), tmp_path, _only(site))
    assert site.hits["/a.pdf"] == site.hits["/b.pdf"] == 1 and sum(internal.hits.values()) == 0


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("file:///etc/shadow", "'file:///etc/shadow' is not allowed"),  # urllib's own scheme check
        ("ftp://10.0.0.1/r.pdf", "redirect to ftp://10.0.0.1/r.pdf: only http and https"),
    ],
)
def test_redirect_to_metadata_or_file_is_refused(site: FakeSite, tmp_path: Path, location: str, why: str) -> None:
    site.routes["/r.pdf"] = Route(redirect=location)
    with pytest.raises(DownloadError, match=why):
        fetch_url(site.url("/r.pdf"), tmp_path, _only(site))


def test_redirect_is_followed_when_allowed(site: FakeSite, internal: FakeSite, tmp_path: Path) -> None:
    internal.routes["/r.pdf"] = Route(PDF)
    site.routes["/r.pdf"] = Route(redirect=internal.url("/r.pdf"))
    got = fetch_url(site.url("/r.pdf"), tmp_path, LOCAL)
    assert got.sha256 == hashlib.sha256(PDF).hexdigest() and internal.hits["/r.pdf"] == 1


# --- the deadline ----------------------------------------------------------------------------------


@pytest.mark.parametrize("drip_headers", [False, True], ids=["body", "headers"])
def test_a_server_dripping_bytes_is_cut_at_the_deadline(site: FakeSite, tmp_path: Path, drip_headers: bool) -> None:
    # one byte every 0.2 s never trips the 2 s read timeout; the whole body would take 7 minutes
    site.routes["/drip.pdf"] = Route(PDF, drip=0.2, drip_headers=drip_headers)
    policy = replace(LOCAL, timeout=2, deadline=1.0)
    t0 = time.monotonic()
    with pytest.raises(DownloadError, match=r"download deadline of 1 s") as e:
        fetch_url(site.url("/drip.pdf"), tmp_path, policy)
    assert time.monotonic() - t0 < policy.deadline + SLACK
    assert not e.value.transient, "a retry would wait as long again"
    assert not _parts(tmp_path) and not list(tmp_path.rglob("*.pdf"))


def test_a_tls_handshake_dripping_bytes_is_cut_at_the_deadline(tmp_path: Path) -> None:
    # A TLS record header announcing 16 KB, then its bytes one by one: the handshake never ends.
    srv = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:
        conn, _ = srv.accept()
        with conn:
            for byte in b"\x16\x03\x03\x40\x00" + b"\x00" * 16384:
                if stop.wait(0.2):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    threading.Thread(target=drip, daemon=True).start()
    policy = replace(LOCAL, timeout=2, deadline=1.0)
    t0 = time.monotonic()
    try:
        with pytest.raises(DownloadError, match="download deadline"):
            fetch_url(f"https://127.0.0.1:{srv.getsockname()[1]}/r.pdf", tmp_path, policy)
    finally:
        stop.set()
        srv.close()
    assert time.monotonic() - t0 < policy.deadline + SLACK


def test_a_silent_server_trips_the_read_timeout(site: FakeSite, tmp_path: Path) -> None:
    site.routes["/stall.pdf"] = Route(b"%P", drip=30)
    with pytest.raises(DownloadError, match="timed out") as e:
        fetch_url(site.url("/stall.pdf"), tmp_path, replace(LOCAL, timeout=0.5))
    assert e.value.transient


def test_abort_ends_downloads_in_progress(site: FakeSite, tmp_path: Path) -> None:
    site.routes["/drip.pdf"] = Route(PDF, drip=0.2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fetch_url(site.url("/drip.pdf"), tmp_path, LOCAL)
        except DownloadError as e:
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    while not _parts(tmp_path) and t.is_alive():  # the body has started
        time.sleep(0.05)
    assert abort_downloads() == 1
    t.join(SLACK)
    assert not t.is_alive() and "interrupted" in str(errors[0])
    assert not _parts(tmp_path)


def test_declared_size_over_the_limit_is_refused_before_reading(site: FakeSite, tmp_path: Path) -> None:
    site.routes["/big.pdf"] = Route(PDF)
    with pytest.raises(DownloadError, match="larger than the limit of 100 bytes"):
        fetch_url(site.url("/big.pdf"), tmp_path, replace(LOCAL, max_bytes=100))
    assert not _parts(tmp_path)


@contextmanager
def _raw_server(answer: bytes) -> Iterator[int]:
    """A TCP service that is not HTTP (say SSH): it sends ``answer`` and closes."""
    srv = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = srv.accept()
        with conn:
            conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield srv.getsockname()[1]
    finally:
        srv.close()


def test_a_foreign_service_is_not_quoted(tmp_path: Path) -> None:
    with _raw_server(b"SSH-2.0-OpenSSH_9.6 secret-banner\r\n") as port, pytest.raises(DownloadError) as e:
        fetch_url(f"http://127.0.0.1:{port}/x.pdf", tmp_path, LOCAL)
    assert "not HTTP" in str(e.value) and "SSH" not in str(e.value)


# --- .part files -------------------------------------------------------------------------------------


_KILLED_DOWNLOAD = """
import sys
from pathlib import Path
from gidar.flows.download import DownloadPolicy, fetch_url
fetch_url(sys.argv[1], Path(sys.argv[2]), DownloadPolicy(allow_private=True))
"""


def test_part_file_of_a_killed_download_is_swept_by_the_next(site: FakeSite, tmp_path: Path) -> None:
    site.routes["/drip.pdf"] = Route(PDF, drip=0.2)
    site.routes["/r.pdf"] = Route(PDF)
    child = subprocess.Popen([sys.executable, "-c", _KILLED_DOWNLOAD, site.url("/drip.pdf"), str(tmp_path)])
    try:
        t0 = time.monotonic()
        while not _parts(tmp_path) and time.monotonic() - t0 < 30:
            time.sleep(0.05)
        (part,) = _parts(tmp_path)
    finally:
        child.kill()  # kill -9: no finally, no atexit
        child.wait()
    assert part.exists(), "a kill skips every cleanup"
    mine = tmp_path / "tmp" / f"{os.getpid()}-x.part"  # a download of this process, in progress
    mine.write_bytes(b"...")
    fetch_url(site.url("/r.pdf"), tmp_path, LOCAL)
    assert not part.exists() and mine.exists()


# --- local paths ---------------------------------------------------------------------------------


def _within(seconds: float, fn: object, *args: object) -> BaseException | object:
    """Run ``fn`` in a thread; a hang fails the test instead of blocking the suite."""
    box: list[object] = []

    def run() -> None:
        try:
            box.append(fn(*args))  # type: ignore[operator]
        except BaseException as e:
            box.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{fn} did not return within {seconds} s"
    return box[0]


def test_regular_file_is_hashed_in_place(tmp_path: Path) -> None:
    p = tmp_path / "a.pdf"
    p.write_bytes(PDF)
    got = fetch_path(p)
    assert got.path == str(p) and got.sha256 == hashlib.sha256(PDF).hexdigest() and got.size == len(PDF)


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: os.mkfifo(p), "a FIFO"),
        (lambda p: p.symlink_to("/dev/zero"), "a character device"),
        (lambda p: p.mkdir(), "a directory"),
        (lambda p: None, "no such file"),
        (lambda p: p.symlink_to(p.parent / "nowhere"), "no such file"),
    ],
    ids=["fifo", "dev-zero", "directory", "missing", "broken-link"],
)
def test_only_regular_files_are_read(tmp_path: Path, make: object, kind: str) -> None:
    p = tmp_path / "x.pdf"
    make(p)  # type: ignore[operator]
    err = _within(5, fetch_path, p)
    assert isinstance(err, DownloadError) and kind in str(err) and not err.transient


def test_dev_zero_itself_is_refused_without_reading() -> None:
    err = _within(5, fetch_item, SourceItem("/dev/zero", "path"), Path("/nonexistent"), DEFAULT)
    assert isinstance(err, DownloadError) and "character device" in str(err)


def test_local_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "a.pdf"
    p.write_bytes(PDF)
    with pytest.raises(DownloadError, match="larger than the limit of 10 bytes"):
        fetch_path(p, max_bytes=10)
