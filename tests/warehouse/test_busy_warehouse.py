"""A warehouse busy with another writer: `gidar correct` behaves like `gidar ingest` (exit 3, one line, nothing
recorded); `gidar review`, `export` and `query` read the published snapshot and succeed.

The other writer is a real second process: one holding both the ingest lock and the DuckDB writer, as a running
`gidar ingest` does, and one holding only the DuckDB writer (a script using the warehouse API).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gidar.flows.cli import EXIT_BUSY, EXIT_OK, main
from gidar.transform.build import build_tables
from gidar.warehouse.store import open_reader, open_writer
from gidar_dev.sample import sample_result

pytestmark = pytest.mark.slow  # a second Python process importing DuckDB, several commands

HOLDER = textwrap.dedent(
    """
    import contextlib, sys, time
    from pathlib import Path
    from gidar.flows.control import ingest_lock
    from gidar.warehouse.store import open_writer

    wh = Path(sys.argv[1])
    with ingest_lock(wh) if sys.argv[2] == "ingest" else contextlib.nullcontext():
        writer = open_writer(wh)
        print("held", flush=True)
        time.sleep(120)
    """
)


def _uncertain_report() -> tuple[str, Any]:
    r = sample_result(2022, "330922", seed=3)
    r.status, r.message = "uncertain", "one cell in review"
    r.review = ["t3.granted.total"]
    return r.sha256, r


@pytest.fixture(params=["ingest", "writer"])
def held(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str, int, str]]:
    wh = tmp_path / "gidar.duckdb"
    rid, uncertain = _uncertain_report()
    with open_writer(wh) as w:
        assert w.load_batch([(build_tables(r), None) for r in (sample_result(2021, "330922", seed=1), uncertain)]) == {}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(wh), request.param], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield wh, rid, holder.pid, request.param
    finally:
        holder.kill()
        holder.wait()


def test_correct_on_a_busy_warehouse_exits_3_and_readers_succeed(
    held: tuple[Path, str, int, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wh, rid, pid, mode = held
    base = ["--warehouse", str(wh)]
    code = main(["correct", rid, "t3.granted.total", "5", "--reason", "p.3", "--by", "tester", *base])
    out, err = capsys.readouterr()
    assert code == EXIT_BUSY and out == ""
    assert err.count("\n") == 1 and err.startswith("gidar correct: another") and "is writing" in err
    if mode == "ingest":
        assert str(pid) in err  # the holder of the ingest lock is named
    # the reading commands use the published snapshot and never wait for the writer
    assert main(["review", *base]) == EXIT_OK
    out = capsys.readouterr().out
    assert rid in out and "t3.granted.total" in out
    assert main(["query", "SELECT count(*) AS n FROM reports", "--format", "csv", *base]) == EXIT_OK
    assert capsys.readouterr().out.split() == ["n", "2"]
    assert main(["export", "review_queue", "--out", str(tmp_path / "q.csv"), *base]) == EXIT_OK
    assert rid in (tmp_path / "q.csv").read_text(encoding="utf-8-sig")
    # and `gidar ingest` in the same situation: the same exit code, one line, before any reading
    pdf = Path(__file__).resolve().parents[2] / "samples" / "county-2023.pdf"
    assert main(["ingest", str(pdf), "--data-dir", str(tmp_path), "--progress", "none", *base]) == EXIT_BUSY
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gidar ingest: another") and "is writing" in err
    con = open_reader(wh)
    try:
        assert con.execute("SELECT count(*) FROM corrections").fetchone() == (0,)  # nothing recorded
    finally:
        con.close()
