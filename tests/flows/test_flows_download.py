"""flows.download against a real HTTP server on 127.0.0.1 (no Prefect here: retries are tested in
test_flows_fetch.py; this checks what a single attempt does and how errors are classified).

The test server listens on loopback, which downloads refuse by default: these tests opt in with
`LOCAL`. test_flows_download_guard.py checks the refusals themselves."""

from __future__ import annotations

import hashlib
import socket
import urllib.error
from pathlib import Path

import pytest
from fake_site import Route

from gidar.flows.download import DownloadError, DownloadPolicy, cache_path, fetch_url, is_transient

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
LOCAL = DownloadPolicy(timeout=5, allow_private=True)  # the test server is on 127.0.0.1


def test_download_lands_in_content_addressed_cache(site, tmp_path: Path) -> None:
    site.routes["/a/report.pdf"] = Route(PDF)
    got = fetch_url(site.url("/a/report.pdf"), tmp_path, LOCAL)
    sha = hashlib.sha256(PDF).hexdigest()
    assert got.sha256 == sha and got.size == len(PDF) and not got.from_cache
    assert Path(got.path) == cache_path(tmp_path, sha)
    assert Path(got.path).read_bytes() == PDF
    assert not list((tmp_path / "tmp").iterdir()), "temporary download files are cleaned up"


def test_second_download_is_conditional_and_reuses_cache(site, tmp_path: Path) -> None:
    site.routes["/r.pdf"] = Route(PDF)
    first = fetch_url(site.url("/r.pdf"), tmp_path, LOCAL)
    second = fetch_url(site.url("/r.pdf"), tmp_path, LOCAL)
    assert site.conditional_hits["/r.pdf"] == 1, "the second request carries If-Modified-Since"
    assert second.from_cache and second.sha256 == first.sha256 and second.path == first.path


def test_changed_file_is_downloaded_again(site, tmp_path: Path) -> None:
    site.routes["/r.pdf"] = Route(PDF, last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    first = fetch_url(site.url("/r.pdf"), tmp_path, LOCAL)
    site.routes["/r.pdf"] = Route(PDF + b"changed", last_modified="Tue, 02 Jan 2024 00:00:00 GMT")
    second = fetch_url(site.url("/r.pdf"), tmp_path, LOCAL)
    assert not second.from_cache and second.sha256 != first.sha256
    assert Path(first.path).exists() and Path(second.path).exists()


def test_404_is_a_permanent_error(site, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as e:
        fetch_url(site.url("/missing.pdf"), tmp_path, LOCAL)
    assert e.value.status == 404 and not e.value.transient and not is_transient(e.value)
    assert "HTTP 404" in str(e.value)


def test_503_is_transient(site, tmp_path: Path) -> None:
    site.routes["/busy.pdf"] = Route(PDF, statuses=[503, 200])
    with pytest.raises(DownloadError) as e:
        fetch_url(site.url("/busy.pdf"), tmp_path, LOCAL)
    assert e.value.status == 503 and e.value.transient
    assert fetch_url(site.url("/busy.pdf"), tmp_path, LOCAL).sha256 == hashlib.sha256(PDF).hexdigest()


def test_connection_refused_is_transient(tmp_path: Path) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on this port now
    with pytest.raises(DownloadError) as e:
        fetch_url(f"http://127.0.0.1:{port}/x.pdf", tmp_path, LOCAL)
    assert e.value.transient


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (TimeoutError("timed out"), True),
        (ConnectionResetError(), True),
        (urllib.error.HTTPError("u", 500, "err", {}, None), True),  # type: ignore[arg-type]
        (urllib.error.HTTPError("u", 429, "slow down", {}, None), True),  # type: ignore[arg-type]
        (urllib.error.HTTPError("u", 403, "forbidden", {}, None), False),  # type: ignore[arg-type]
        (ValueError("not a PDF"), False),
    ],
)
def test_is_transient(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient
