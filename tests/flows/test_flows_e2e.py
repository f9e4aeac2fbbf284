"""End to end through the CLI (in-process, against a real Prefect server), on a copy of samples/.

Module-scoped: the first run loads every file; the second finds nothing to read, answers without a
flow run and changes nothing; a change to the warehouse after the dashboard was built (a crash
after the load) makes the next run rebuild the dashboard.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from gidar.flows.cli import main
from gidar.flows.progress import ConsoleProgress

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
FLOW_STATUSES = {"download_failed", "error", "load_failed", "skipped", "duplicate", "cancelled"}


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def table_counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0] for n in names}
    finally:
        con.close()


def sql(warehouse: Path, query: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, prefect_api: str) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("e2e")
    src = root / "samples"
    src.mkdir()
    for pdf in SAMPLES.glob("*.pdf"):
        shutil.copy2(pdf, src)
    wh = root / "data" / "gidar.duckdb"
    lake = root / "data" / "lake"
    # relative paths, as in `make demo`; batches of 2 so the run commits several batches
    argv = ["ingest", "samples", "--data-dir", "data", "--batch-size", "2", "--progress", "plain", "--json"]
    events: list[tuple[str, tuple[str, ...]]] = []  # the console progress's calls, in order
    read, advance = ConsoleProgress.read, ConsoleProgress.advance

    def spy_read(self: ConsoleProgress, ref: str) -> None:
        events.append(("read", (ref,)))
        read(self, ref)

    def spy_advance(self: ConsoleProgress, statuses: Iterable[str], refs: Iterable[str] = ()) -> None:
        refs = list(refs)
        events.append(("commit", tuple(refs)))
        advance(self, statuses, refs)

    with contextlib.chdir(root), pytest.MonkeyPatch.context() as mp:
        mp.setattr(ConsoleProgress, "read", spy_read)
        mp.setattr(ConsoleProgress, "advance", spy_advance)
        code1, out1, err1 = run_cli(argv)
    with contextlib.chdir(root):
        counts1 = table_counts(wh)
        lake1 = {p: p.stat().st_mtime_ns for p in lake.rglob("*.parquet")}
        site = root / "data" / "site" / "dq_dashboard.html"
        built1 = site.stat().st_mtime_ns
        t0 = time.perf_counter()
        code2, out2, err2 = run_cli(argv)
        second_seconds = time.perf_counter() - t0
        counts2 = table_counts(wh)
        built2 = site.stat().st_mtime_ns
        # a crash after the load: the warehouse changed, the dashboard was not rebuilt
        con = duckdb.connect(str(wh))
        con.execute("UPDATE runs SET source = source || ' (changed after the dashboard was built)'")
        con.close()
        code3, out3, _ = run_cli(argv)
        built3 = site.stat().st_mtime_ns
    return {
        "src": src,
        "wh": wh,
        "runs": [(code1, json.loads(out1), err1), (code2, json.loads(out2), err2), (code3, json.loads(out3))],
        "counts": [counts1, counts2],
        "lake_files": [lake1, {p: p.stat().st_mtime_ns for p in lake.rglob("*.parquet")}],
        "built": [built1, built2, built3],
        "second_seconds": second_seconds,
        "api": prefect_api,
        "progress_events": events,
    }


def test_the_progress_counts_each_file_when_read_before_its_batch_is_committed(demo: dict[str, Any]) -> None:
    events = demo["progress_events"]
    read_at = {ref: i for i, (kind, refs) in enumerate(events) if kind == "read" for ref in refs}
    committed_at = {ref: i for i, (kind, refs) in enumerate(events) if kind == "commit" for ref in refs}
    sources = {o["source"] for o in demo["runs"][0][1]["outcomes"]}
    assert set(read_at) == set(committed_at) == sources  # every file here is read (none skipped on a first run)
    assert all(read_at[r] < committed_at[r] for r in sources)


def test_first_run_loads_every_file_in_batches(demo: dict[str, Any]) -> None:
    code, summary, err = demo["runs"][0]
    pdfs = sorted(demo["src"].glob("*.pdf"))
    assert code == 0, err
    assert len(summary["outcomes"]) == len(pdfs) >= 5
    assert not [o for o in summary["outcomes"] if o["status"] in FLOW_STATUSES], summary
    loaded = dict(sql(demo["wh"], "SELECT report_id, status FROM reports"))
    assert set(loaded) == {hashlib.sha256(p.read_bytes()).hexdigest() for p in pdfs}
    assert loaded[hashlib.sha256((demo["src"] / "not-a-pdf.pdf").read_bytes()).hexdigest()] == "not_pdf"
    assert demo["counts"][0]["cells"] > 0 and demo["counts"][0]["t3"] > 0 and demo["counts"][0]["dq_results"] > 0
    assert summary["committed"] == len(pdfs) and summary["batches"] == (len(pdfs) + 1) // 2
    assert summary["ok"] and summary["dashboard"] and Path(summary["dashboard"]).is_file()
    assert summary["seconds"] >= summary["timings"]["flow body"], "the summary's time includes start-up"
    assert f"{len(pdfs)}/{len(pdfs)} files" in err, "plain progress lines on a non-terminal"
    assert "/runs/flow-run/" in err and summary["ui_url"], "with a server, the run's UI link is printed"


def test_planted_publisher_error_is_a_critical_dq_failure(demo: dict[str, Any]) -> None:
    failed = sql(
        demo["wh"],
        "SELECT r.file_name, d.invariant, d.row_key, d.col_key FROM dq_results d JOIN reports r USING (report_id) "
        "WHERE NOT d.passed AND d.severity = 'critical'",
    )
    for truth_file in SAMPLES.glob("*.json"):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        mine = {(inv, row, col) for f, inv, row, col in failed if f == truth["file"]}
        expected = {(v["invariant"], v["row"], v["col"]) for v in truth["expected_violations"]}
        if expected:
            assert mine & expected, f"{truth['file']}: none of {expected} reported"
        else:
            assert not mine, f"{truth['file']} is consistent but has critical failures {mine}"


def test_second_run_reads_nothing_starts_no_flow_and_changes_nothing(demo: dict[str, Any]) -> None:
    code, summary, err = demo["runs"][1]
    assert code == 0
    assert {o["status"] for o in summary["outcomes"]} == {"skipped"}
    assert summary["mode"].startswith("nothing to read") and summary["run_id"] == ""
    assert demo["counts"][0] == demo["counts"][1]
    assert demo["lake_files"][0] == demo["lake_files"][1], "no lake file was rewritten"
    assert demo["built"][1] == demo["built"][0], "an unchanged warehouse keeps its dashboard"
    assert "/runs/flow-run/" not in err


def test_a_dashboard_older_than_the_warehouse_is_rebuilt(demo: dict[str, Any]) -> None:
    code, summary = demo["runs"][2]
    assert code == 0 and "dashboard rebuilt" in summary["mode"]
    assert demo["built"][2] > demo["built"][1]


def test_query_and_dq_commands_read_the_warehouse(demo: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    wh = str(demo["wh"])
    assert main(["query", "SELECT count(*) AS n FROM reports", "--warehouse", wh, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": len(list(demo["src"].glob("*.pdf")))}]
    assert main(["dq", "--warehouse", wh]) == 0
    assert capsys.readouterr().out.strip()


def test_summary_progress_and_logs_reach_the_prefect_server(demo: dict[str, Any]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.settings import PREFECT_API_URL, temporary_settings

    run_id = demo["runs"][0][1]["run_id"]
    with temporary_settings(updates={PREFECT_API_URL: demo["api"]}), get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    by_key = {a.key: a for a in artifacts}
    assert {"gidar-ingest-summary", "gidar-ingest-files", "gidar-ingest-progress"} <= set(by_key)
    assert float(by_key["gidar-ingest-progress"].data) == 100.0
    assert "Files by status" in str(by_key["gidar-ingest-summary"].data)
    messages = [log.message for log in logs]
    assert any(m.startswith("plan:") for m in messages), "INFO logs reach the server while the console is quiet"
