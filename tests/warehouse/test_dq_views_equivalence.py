"""The DQ views rewritten for memory (per-report counts aggregated by report_id before the join) equal their
legacy definitions (tests/warehouse/legacy_dq_views.py) row for row: on the cross-report scenario with GX
results after corrections beside the as-read ones (fast), and on a real `gidar ingest` of generated reports and
the planted publisher error, with a `gidar correct`, where the dashboard's report rows are compared too (slow)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from legacy_dq_views import LEGACY, current_rows, legacy_rows

from gidar.dq import DQRecord
from gidar.warehouse import load_dq_batch
from gidar.warehouse.crosschecks import run_crosschecks
from gidar.warehouse.dashboard.data import _reports
from gidar.warehouse.db import connect
from gidar.warehouse.store import open_reader
from gidar_dev.crosschecks_fixtures import load_scenario, multi_year_scenario

ROOT = Path(__file__).resolve().parents[2]
GIDAR = [sys.executable, "-m", "gidar.flows.cli"]


def _assert_views_equal_legacy(con) -> None:
    for view in LEGACY:
        got, want = current_rows(con, view), legacy_rows(con, view)
        assert got == want, view


def test_rewritten_views_equal_the_legacy_ones_with_cross_rows_and_corrections(new_warehouse) -> None:
    con = connect(new_warehouse())
    s = multi_year_scenario(5)
    load_scenario(con, s.reports)
    ids = [r.report_id for r in s.reports]
    # per-report rows: a critical failure for every third report, a warning for every fourth
    rows = [DQRecord("t3_balance", "critical", i % 3 != 0, rid, suite="gx") for i, rid in enumerate(ids)]
    rows += [DQRecord("t2_total", "warning", i % 4 != 0, rid, suite="gx") for i, rid in enumerate(ids)]
    load_dq_batch(con, rows)
    run_crosschecks(con)
    # GX after corrections for two failing reports: one now passes, one still fails
    corrected = [
        DQRecord("t3_balance", "critical", True, ids[0], suite="gx", basis="corrected"),
        DQRecord("t2_total", "warning", True, ids[0], suite="gx", basis="corrected"),
        DQRecord("t3_balance", "critical", False, ids[3], suite="gx", basis="corrected"),
    ]
    from gidar.warehouse.ddl import insert_arrow
    from gidar.warehouse.load import dq_table

    insert_arrow(con, "dq_results", dq_table(corrected))
    (n_cross_failed,) = con.execute("SELECT count(*) FROM dq_results WHERE report_id IS NULL AND NOT passed").fetchone()
    assert n_cross_failed > 0  # the comparison covers attributed cross-report failures
    _assert_views_equal_legacy(con)
    flags = con.execute(
        "SELECT count(*) FILTER (WHERE after_corrections), count(*) FILTER (WHERE passes_critical <> "
        "passes_critical_as_read), count(*) FILTER (WHERE n_cross_failed > 0) FROM dq_by_report"
    ).fetchone()
    assert flags[0] == 2 and flags[1] >= 1 and flags[2] > 0  # every branch of the view is exercised
    con.close()


@pytest.mark.slow
def test_dashboard_reports_equal_the_legacy_query_on_a_real_ingest(tmp_path: Path) -> None:
    src = tmp_path / "src"
    subprocess.run(
        [sys.executable, "-m", "gidar_dev.synth", str(src), "--n", "10", "--seed", "2611"],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    shutil.copy(ROOT / "samples" / "publisher-error-2022.pdf", src)
    data = tmp_path / "data"
    env = {**os.environ, "GIDAR_PROCESSES": "1", "GIDAR_PUBLISH_INTERVAL": "0"}
    env.pop("PREFECT_API_URL", None)
    run = subprocess.run(
        [*GIDAR, "ingest", str(src), "--data-dir", str(data), "--progress", "none"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]
    wh = data / "gidar.duckdb"
    import hashlib
    import json

    truth = json.loads((ROOT / "samples" / "publisher-error-2022.json").read_text(encoding="utf-8"))
    planted = truth["injected_error"]
    rid = hashlib.sha256((ROOT / "samples" / "publisher-error-2022.pdf").read_bytes()).hexdigest()
    fix = subprocess.run(
        [
            *GIDAR,
            "correct",
            rid,
            planted["cell"],
            str(planted["correct_value"]),
            "--reason",
            "r",
            "--warehouse",
            str(wh),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert fix.returncode == 0, fix.stdout[-2000:] + fix.stderr[-2000:]
    con = open_reader(wh)
    try:
        _assert_views_equal_legacy(con)
        legacy = {r[0]: r for r in legacy_rows(con, "dq_by_report")}
        assert len(legacy) == 11
        (n_dq, n_cross, n_corrected) = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE report_id IS NULL), count(*) FILTER (WHERE basis = 'corrected')"
            " FROM dq_results"
        ).fetchone()
        assert n_dq > 11 * 20 and n_cross > 0 and n_corrected > 20
        # the dashboard's report records carry the legacy view's verdicts and counts
        cols = [d[0] for d in con.execute("SELECT * FROM dq_by_report LIMIT 0").description]
        for rec in _reports(con):
            old = dict(zip(cols, legacy[rec["id"]], strict=True))
            assert (rec["checks"], rec["passes"], rec["passesAsRead"], rec["afterCorrections"]) == (
                old["n_checks"],
                old["passes_critical"],
                old["passes_critical_as_read"],
                old["after_corrections"],
            )
        assert legacy[rid][cols.index("after_corrections")] and legacy[rid][cols.index("passes_critical")]
    finally:
        con.close()
