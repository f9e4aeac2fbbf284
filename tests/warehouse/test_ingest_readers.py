"""A real `gidar ingest` while readers hold and query the warehouse (issue: readers never break a load).

One ingest of samples/ (a real Prefect flow) runs while another process holds a read-only DuckDB
connection on the warehouse the whole time and `gidar query` runs in a loop: the ingest loads every report
and exits 0, and every query answers with committed data, never a partial report.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from gidar.warehouse.store import open_reader, open_writer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
GIDAR = [sys.executable, "-m", "gidar.flows.cli"]
# A report is complete when all its cells, its t3 rows and its facts are there (loaded in one transaction).
CONSISTENT = """SELECT count(*) AS reports,
  count(*) FILTER (WHERE r.n_cells <> (SELECT count(*) FROM cells c WHERE c.report_id = r.report_id)) AS partial_cells,
  count(*) FILTER (WHERE r.status IN ('ok', 'uncertain') AND NOT EXISTS
    (SELECT 1 FROM fact_applications f WHERE f.report_id = r.report_id)) AS missing_facts
FROM reports r"""

HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print("holding", flush=True)
    while True:
        con.execute("SELECT count(*) FROM reports").fetchall()
        time.sleep(0.2)
    """
)


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory):
    """samples/ ingested by the real CLI while a reader holds the file and queries loop; shared by tests."""
    data = tmp_path_factory.mktemp("ingest")
    wh = data / "gidar.duckdb"
    open_writer(wh).close()  # an empty, published warehouse for the holder to open
    env = {**os.environ, "GIDAR_PUBLISH_INTERVAL": "0", "GIDAR_PROCESSES": "1"}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(wh)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    answers: list[tuple[int, str, str]] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            p = subprocess.run(
                [*GIDAR, "query", CONSISTENT, "--warehouse", str(wh), "--format", "json"],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=120,
            )
            answers.append((p.returncode, p.stdout, p.stderr))

    # a corrections CSV applied by the same run: report ids are the files' sha256
    county = json.loads((SAMPLES / "county-2023.json").read_text(encoding="utf-8"))
    rid = hashlib.sha256((SAMPLES / "county-2023.pdf").read_bytes()).hexdigest()
    wrong = county["values"]["t4.review.total"] + 1  # breaks 结果维持+…+尚未审结 = 总计: kept, flagged
    (data / "corrections.csv").write_text(
        f"report_id,key,value,reason,by\n{rid},t4.review.total,{wrong},test: a wrong correction,ci\n", encoding="utf-8"
    )

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    t0 = time.monotonic()
    try:
        run = subprocess.run(
            [
                *GIDAR,
                "ingest",
                str(SAMPLES),
                "--data-dir",
                str(data),
                "--json",
                "--corrections",
                str(data / "corrections.csv"),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=600,
        )
    finally:
        stop.set()
        t.join(timeout=120)
        holder.kill()
        holder.wait()
    yield {"wh": wh, "run": run, "answers": answers, "seconds": time.monotonic() - t0, "rid": rid, "wrong": wrong}


def test_a_held_reader_does_not_break_the_ingest(ingested) -> None:
    run = ingested["run"]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = json.loads(run.stdout[run.stdout.index("{") :])
    statuses = [o["status"] for o in summary["outcomes"]]
    assert "load_failed" not in statuses and len(statuses) == len(list(SAMPLES.glob("*.pdf")))
    con = open_reader(ingested["wh"])
    try:
        n = con.execute("SELECT count(*) FROM reports").fetchone()[0]
        # every file of the run is in the warehouse (duplicates are loaded once)
        assert n == len({o["report_id"] for o in summary["outcomes"] if o.get("report_id")})
        assert con.execute("SELECT count(*) FROM fact_applications").fetchone()[0] > 0
    finally:
        con.close()


def test_queries_in_a_loop_answer_with_committed_data(ingested) -> None:
    answers = ingested["answers"]
    assert len(answers) >= 3, f"only {len(answers)} queries ran during the ingest"
    seen = set()
    for code, out, err in answers:
        assert code == 0, err
        (row,) = json.loads(out)
        assert row["partial_cells"] == 0 and row["missing_facts"] == 0, row
        seen.add(row["reports"])
    assert 0 in seen  # before the load committed, readers saw the last published (empty) state


def test_the_corrections_csv_is_applied_checked_and_flagged(ingested) -> None:
    con = open_reader(ingested["wh"])
    try:
        rows = con.execute(
            "SELECT report_id, key, new_value, corrected_by, active, flagged, flag_reason, origin FROM corrections"
        ).fetchall()
        assert len(rows) == 1
        rid, key, value, by, active, flagged, reason, origin = rows[0]
        assert (rid, key, value, by, active, flagged) == (
            ingested["rid"],
            "t4.review.total",
            ingested["wrong"],
            "ci",
            True,
            True,
        )
        assert "四表" in reason and origin == "csv:corrections.csv"
        # the facts use the corrected value; the cells keep what was read
        fact = con.execute(
            "SELECT value, extracted_value, corrected FROM fact_review_litigation WHERE report_id = ? AND key = ?",
            [rid, key],
        ).fetchone()
        assert fact == (ingested["wrong"], ingested["wrong"] - 1, True)
    finally:
        con.close()
