"""Where the dashboard finds a report's PDF for its evidence crops."""

from __future__ import annotations

from pathlib import Path

from gidar.warehouse.dashboard.crops import resolve_source


def test_local_source_relative_to_a_base_dir(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.pdf").write_bytes(b"%PDF-1.4")
    assert resolve_source("in/a.pdf", [tmp_path]) == tmp_path / "in" / "a.pdf"
    assert resolve_source("in/missing.pdf", [tmp_path]) is None


def test_downloaded_report_is_found_in_the_content_addressed_cache(tmp_path: Path) -> None:
    sha = "ab" + "0" * 62
    cached = tmp_path / "cache" / "ab" / f"{sha}.pdf"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"%PDF-1.4")
    url = "http://127.0.0.1:8000/report.pdf"
    assert resolve_source(url, (), sha, [tmp_path / "cache"]) == cached
    assert resolve_source(url, (), sha) is None  # a URL is never taken for a local path
    assert resolve_source(url, (), "cd" + "0" * 62, [tmp_path / "cache"]) is None
