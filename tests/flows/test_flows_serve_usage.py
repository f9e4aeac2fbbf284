"""`gidar serve` usage problems: one line on stderr and exit 2, before any server is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gidar.flows.cli import EXIT_USAGE, main


@pytest.mark.parametrize(
    ("when", "words"),
    [
        (["--cron", "61 25 * * *"], "is not a valid cron schedule"),
        (["--cron", "every night"], "is not a valid cron schedule"),
        (["--interval", "0"], "--interval must be a positive number"),
        (["--interval", "-5"], "--interval must be a positive number"),
    ],
)
def test_bad_schedule_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], when: list[str], words: str
) -> None:
    code = main(["serve", str(tmp_path), *when, "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_USAGE and words in err[-1] and "Traceback" not in "\n".join(err)
    # the PREFECT_API_URL warning may come first; the problem itself is one line
    assert len([ln for ln in err if "gidar serve:" in ln and "PREFECT_API_URL" not in ln]) == 1


def test_missing_source_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["serve", str(tmp_path / "nope.csv"), "--cron", "0 2 * * *"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and err.count("\n") == 1 and "does not exist" in err
