"""Console progress (plain lines off a terminal, a rich bar on one) and `gidar --version`."""

from __future__ import annotations

import io

import pytest

from gidar.flows.cli import main
from gidar.flows.progress import ConsoleProgress, describe, rate_eta


def test_rate_and_eta() -> None:
    assert rate_eta(10, 40, 5.0) == (2.0, 15.0)
    assert rate_eta(0, 40, 5.0) == (0.0, None)


def test_a_line_has_done_total_rate_eta_and_counts() -> None:
    from collections import Counter

    line = describe(10, 40, 5.0, Counter({"ok": 8, "error": 2}))
    assert line == "10/40 files (25 %), 2.0 reports/s, ETA 15 s — error 2, ok 8"


def test_plain_mode_off_a_terminal_prints_a_first_and_a_last_line() -> None:
    out = io.StringIO()  # not a TTY
    p = ConsoleProgress("auto", stream=out)
    assert p.mode == "plain"
    p.start(3, ["skipped"])
    p.advance(["ok", "not_pdf"])
    p.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("gidar ingest: 1/3 files") and "skipped 1" in lines[0]
    assert lines[-1].startswith("gidar ingest: 3/3 files") and "not_pdf 1, ok 1, skipped 1" in lines[-1]


def test_files_count_as_they_are_read_and_get_their_status_when_committed() -> None:
    p = ConsoleProgress("plain", stream=io.StringIO())
    p.read("a.pdf")  # an early read, before the flow started the progress
    p.start(3)
    p.read("b.pdf")
    assert p.line().startswith("2/3 files") and "2 read, not committed yet" in p.line()
    p.advance(["ok", "not_pdf"], ["a.pdf", "b.pdf"])
    assert p.line().startswith("2/3 files") and p.line().endswith("not_pdf 1, ok 1")


def test_rich_mode_draws_a_bar_with_the_counts() -> None:
    out = io.StringIO()
    p = ConsoleProgress("rich", stream=out)
    p.start(4)
    p.advance(["ok", "ok", "timeout"])
    p.close()
    text = out.getvalue()
    assert "3/4" in text and "ok 2, timeout 1" in text


def test_version_names_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("gidar ") and "(parser " in out


def test_nothing_is_shown_before_the_total_and_the_rate_counts_only_files_read() -> None:
    out = io.StringIO()
    p = ConsoleProgress("plain", stream=out)
    p.read("a.pdf")  # reading starts before planning has counted the files
    assert out.getvalue() == ""
    p.t0 -= 10.0  # the run has been going for 10 s
    p.start(5, ["skipped"] * 3)  # 3 files unchanged since the last run: no work, not a rate
    p.advance(["ok"], ["a.pdf"])
    line = out.getvalue().splitlines()[-1]
    assert line.startswith("gidar ingest: 4/5 files (80 %), 0.1 reports/s"), line
