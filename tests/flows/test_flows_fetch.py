"""Downloads inside the real flow: a 503 is retried, a 404 is not and the run goes on."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path

import duckdb
import pytest
from fake_site import FakeSite, Route

from gidar.flows.cli import EXIT_FAILED, main

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _ingest(argv: list[str]) -> tuple[int, dict]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    return code, json.loads(out.getvalue())  # --json: stdout holds the JSON and nothing else


def _reports(wh: Path) -> dict[str, str]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return dict(con.execute("SELECT report_id, source FROM reports").fetchall())
    finally:
        con.close()


def test_manifest_of_urls_with_retry_and_404(
    site: FakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: str
) -> None:
    monkeypatch.setenv("GIDAR_RETRY_DELAY", "0.2")
    # The site is on 127.0.0.1, refused by default: the flag below must win over this setting.
    monkeypatch.setenv("GIDAR_ALLOW_PRIVATE_URLS", "0")
    good, busy = (SAMPLES / "township-2024.pdf").read_bytes(), (SAMPLES / "not-a-pdf.pdf").read_bytes()
    site.routes["/docs/2024/report.pdf"] = Route(good)
    site.routes["/busy/page.pdf"] = Route(busy, statuses=[503, 200])
    manifest = tmp_path / "manifest.csv"
    urls = [site.url("/docs/2024/report.pdf"), site.url("/busy/page.pdf"), site.url("/gone.pdf")]
    manifest.write_text("region,url\n" + "".join(f"330000,{u}\n" for u in urls), encoding="utf-8")
    wh = tmp_path / "w.duckdb"

    argv = ["ingest", str(manifest), "--warehouse", str(wh), "--data-dir", str(tmp_path), "--json"]
    argv.append("--allow-private-urls")
    code, summary = _ingest(argv)
    status = {o["source"]: o for o in summary["outcomes"]}

    assert code == EXIT_FAILED, "a failed download makes the run exit 1"
    assert status[urls[2]]["status"] == "download_failed" and "HTTP 404" in status[urls[2]]["message"]
    assert site.hits["/gone.pdf"] == 1, "a 404 is not retried"
    assert site.hits["/busy/page.pdf"] == 2, "a 503 is retried"
    assert status[urls[1]]["status"] == "not_pdf"
    assert status[urls[0]]["status"] not in {"download_failed", "error", "load_failed"}

    loaded = _reports(wh)
    assert loaded == {hashlib.sha256(good).hexdigest(): urls[0], hashlib.sha256(busy).hexdigest(): urls[1]}
    assert (tmp_path / "cache" / hashlib.sha256(good).hexdigest()[:2]).is_dir(), "downloads are content-addressed"

    # --force: conditional GETs answer 304 from the cache, both reports are re-done, nothing doubles
    code2, summary2 = _ingest([*argv, "--force"])
    assert code2 == EXIT_FAILED and site.conditional_hits["/docs/2024/report.pdf"] == 1
    assert [o["status"] for o in summary2["outcomes"]] == [o["status"] for o in summary["outcomes"]]
    assert _reports(wh) == loaded
