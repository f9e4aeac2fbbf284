"""Corrections are re-validated by the GX suites, not only by the invariants in code.

A real `gidar ingest` (Prefect flow, real PDFs) of samples/publisher-error-2022.pdf, whose publisher printed a
table-三 row total one too high, and samples/county-2023.pdf (clean), into a real DuckDB file. Then:
`gidar correct` of the planted error makes GX pass after corrections (dq_effective, dq_by_report); a wrong
correction of the clean report makes GX fail and flags it; a re-ingest (--force, with a corrections CSV)
re-applies every correction and re-runs GX with the corrected values.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gidar.flows.cli import EXIT_OK, main
from gidar.warehouse.store import open_reader

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
GIDAR = [sys.executable, "-m", "gidar.flows.cli"]
FILES = ("publisher-error-2022", "county-2023")


def _sha(name: str) -> str:
    return hashlib.sha256((SAMPLES / f"{name}.pdf").read_bytes()).hexdigest()


def _truth(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _ingest(src: Path, data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIDAR_PROCESSES": "1", "GIDAR_PUBLISH_INTERVAL": "0"}
    run = subprocess.run(
        [*GIDAR, "ingest", str(src), "--data-dir", str(data), "--progress", "none", *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two samples ingested once; each test works on its own copy of the data folder."""
    base = tmp_path_factory.mktemp("gx-corrections")
    src = base / "src"
    src.mkdir()
    for name in FILES:
        shutil.copy(SAMPLES / f"{name}.pdf", src)
    _ingest(src, base / "data")
    return base


@pytest.fixture
def data(ingested: Path, tmp_path: Path) -> Path:
    shutil.copytree(ingested / "data", tmp_path / "data")
    return tmp_path / "data"


def _q(wh: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = open_reader(wh)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _verdict(wh: Path, rid: str) -> tuple[bool, bool, bool]:
    """(passes after corrections, passes as read, judged after corrections) from dq_by_report."""
    (row,) = _q(
        wh,
        "SELECT passes_critical, passes_critical_as_read, after_corrections FROM dq_by_report WHERE report_id = ?",
        [rid],
    )
    return row


def _failing(wh: Path, rid: str, basis: str) -> set[str]:
    return {
        r
        for (r,) in _q(wh, "SELECT rule FROM dq_results WHERE report_id = ? AND basis = ? AND NOT passed", [rid, basis])
    }


def test_a_correction_flips_gx_both_ways(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wh = data / "gidar.duckdb"
    bad, clean = _sha(FILES[0]), _sha(FILES[1])
    planted = _truth(FILES[0])["injected_error"]
    key = planted["cell"]
    # as ingested: GX blames the publisher's printed total, nothing is judged after corrections yet
    assert {"t3_row_total", "t3_result_total"} <= _failing(wh, bad, "as_read")
    assert _verdict(wh, bad) == (False, False, False)
    assert _verdict(wh, clean) == (True, True, False)
    assert _q(wh, "SELECT count(*) FROM dq_results WHERE basis = 'corrected'") == [(0,)]

    # the person settles the planted error: the GX suites re-run on the corrected cells and pass
    base = ["--warehouse", str(wh)]
    code = main(["correct", bad, key, str(planted["correct_value"]), "--reason", "row sums to it", *base])
    out = capsys.readouterr().out
    assert code == EXIT_OK and "(invariants hold)" in out and "(GX passes on this cell)" in out
    assert _failing(wh, bad, "corrected") == set()
    n_gx = _q(wh, "SELECT count(*) FROM dq_results WHERE report_id = ? AND basis = 'corrected'", [bad])[0][0]
    n_read = _q(wh, "SELECT count(*) FROM dq_results WHERE report_id = ? AND basis = 'as_read'", [bad])[0][0]
    assert n_gx == n_read > 20  # the same suites, every rule instance, pass or fail
    assert _verdict(wh, bad) == (True, False, True)  # passes after corrections; as read it still fails
    assert _q(wh, "SELECT count(*) FROM dq_failures WHERE report_id = ?", [bad]) == [(0,)]
    assert _failing(wh, bad, "as_read") >= {"t3_row_total"}  # the as-read verdict is kept, for the record
    assert _q(wh, "SELECT flagged, gx_checked, gx_failed_rules FROM correction_checks WHERE key = ?", [key]) == [
        (False, True, [])
    ]

    # the reverse: a wrong correction of a clean report breaks its row total; kept, and flagged by GX too
    granted = _truth(FILES[1])["values"]["t3.granted.total"]
    code = main(["correct", clean, "t3.granted.total", str(granted + 1), "--reason", "mistyped", *base])
    out = capsys.readouterr().out
    assert code == EXIT_OK and "FLAGGED:" in out and "FLAGGED by GX:" in out and "t3_row_total" in out
    assert {"t3_row_total", "t3_result_total"} <= _failing(wh, clean, "corrected")
    assert _verdict(wh, clean) == (False, True, True)
    (row,) = _q(
        wh,
        "SELECT invariants_flagged, gx_failed_rules, flagged FROM correction_checks WHERE report_id = ?",
        [clean],
    )
    assert row[0] and row[2] and "t3_row_total" in row[1]
    assert _q(wh, "SELECT DISTINCT basis FROM dq_failures WHERE report_id = ?", [clean]) == [("corrected",)]
    # the first report's results after corrections are untouched by the second correction
    assert _failing(wh, bad, "corrected") == set() and _verdict(wh, bad)[0]

    # settling it right replaces the failing results (no stale rows), and the report passes again
    code = main(["correct", clean, "t3.granted.total", str(granted), "--reason", "p.3 reads it", *base])
    assert code == EXIT_OK and "(GX passes on this cell)" in capsys.readouterr().out
    assert _failing(wh, clean, "corrected") == set() and _verdict(wh, clean) == (True, True, True)
    assert _q(wh, "SELECT count(*) FROM dq_results WHERE report_id = ? AND basis = 'corrected'", [clean]) == [(n_gx,)]


def test_a_reingest_reapplies_corrections_and_reruns_gx(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wh = data / "gidar.duckdb"
    bad, clean = _sha(FILES[0]), _sha(FILES[1])
    planted = _truth(FILES[0])["injected_error"]
    assert (
        main(["correct", bad, planted["cell"], str(planted["correct_value"]), "--reason", "r", "--warehouse", str(wh)])
        == 0
    )
    capsys.readouterr()
    (before,) = _q(wh, "SELECT max(checked_at) FROM dq_results WHERE basis = 'corrected'")[0]
    # re-extract and reload both reports, with a corrections CSV that breaks the clean one
    granted = _truth(FILES[1])["values"]["t3.granted.total"]
    csv = data.parent / "corrections.csv"
    csv.write_text(
        f"report_id,key,value,reason,by\n{clean},t3.granted.total,{granted + 2},wrong,ci\n", encoding="utf-8"
    )
    src = data.parent / "src"
    src.mkdir()
    for name in FILES:
        shutil.copy(SAMPLES / f"{name}.pdf", src)
    _ingest(src, data, "--force", "--corrections", str(csv))
    (run_id,) = _q(wh, "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1")[0]
    # both corrected reports were validated again by this run, with the corrected values
    got = _q(
        wh,
        "SELECT report_id, min(checked_at), list(DISTINCT run_id) FROM dq_results WHERE basis = 'corrected' GROUP BY 1",
    )
    assert {r for r, _, _ in got} == {bad, clean}
    assert all(at > before and runs == [run_id] for _, at, runs in got)
    assert _verdict(wh, bad) == (True, False, True)
    assert _verdict(wh, clean) == (False, True, True)
    assert dict(_q(wh, "SELECT key, flagged FROM correction_checks")) == {
        planted["cell"]: False,
        "t3.granted.total": True,
    }
