"""End to end: the real Prefect flow (ephemeral server) through the CLI, on a copy of samples/.

Runs the flow twice (module-scoped: the temporary server costs 10–40 s to start): the second
run must skip every file and leave the warehouse and the lake exactly as they were.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from gidar.flows.cli import main

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
FLOW_STATUSES = {"download_failed", "error", "load_failed", "skipped", "duplicate"}


def run_cli(argv: list[str]) -> tuple[int, dict[str, Any], str]:
    """Exit code, the --json summary and the text summary of one `gidar ingest`."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    text = out.getvalue()
    start = text.index("\n{") + 1
    return code, json.loads(text[start:]), text[:start]


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
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("e2e")
    src = root / "samples"
    src.mkdir()
    for pdf in SAMPLES.glob("*.pdf"):
        shutil.copy2(pdf, src)
    wh = root / "data" / "gidar.duckdb"
    lake = root / "lake"
    # relative paths, as in `make demo` (GX, for one, rejects a relative Data Docs dir)
    argv = ["ingest", "samples", "--warehouse", "data/gidar.duckdb", "--lake", "lake", "--data-dir", "data", "--json"]
    with contextlib.chdir(root):
        code1, summary1, text1 = run_cli(argv)
        counts1 = table_counts(wh)
        lake1 = {p: p.stat().st_mtime_ns for p in lake.rglob("*.parquet")}
        code2, summary2, _ = run_cli(argv)
    return {
        "src": src,
        "wh": wh,
        "lake": lake,
        "runs": [(code1, summary1, text1), (code2, summary2)],
        "counts": [counts1, table_counts(wh)],
        "lake_files": [lake1, {p: p.stat().st_mtime_ns for p in lake.rglob("*.parquet")}],
    }


def test_first_run_loads_every_file(demo: dict[str, Any]) -> None:
    code, summary, text = demo["runs"][0]
    pdfs = sorted(demo["src"].glob("*.pdf"))
    assert code == 0, text
    assert len(summary["outcomes"]) == len(pdfs) >= 5
    assert not [o for o in summary["outcomes"] if o["status"] in FLOW_STATUSES], text
    loaded = dict(sql(demo["wh"], "SELECT report_id, status FROM reports"))
    assert set(loaded) == {hashlib.sha256(p.read_bytes()).hexdigest() for p in pdfs}
    assert loaded[hashlib.sha256((demo["src"] / "not-a-pdf.pdf").read_bytes()).hexdigest()] == "not_pdf"
    assert demo["counts"][0]["cells"] > 0 and demo["counts"][0]["t3"] > 0 and demo["counts"][0]["dq_results"] > 0
    assert f"{len(pdfs)} files" in text
    assert summary["ok"] and summary["dashboard"] and Path(summary["dashboard"]).is_file()


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


def test_second_run_skips_everything_and_changes_nothing(demo: dict[str, Any]) -> None:
    code, summary = demo["runs"][1]
    assert code == 0
    assert {o["status"] for o in summary["outcomes"]} == {"skipped"}
    first, second = demo["counts"]
    assert second.pop("runs") == first.pop("runs") + 1
    assert second == first
    assert demo["lake_files"][0] == demo["lake_files"][1], "no lake file was rewritten"


def test_query_and_dq_commands_read_the_warehouse(demo: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    wh = str(demo["wh"])
    assert main(["query", "SELECT count(*) AS n FROM reports", "--warehouse", wh, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": len(list(demo["src"].glob("*.pdf")))}]
    assert main(["dq", "--warehouse", wh]) == 0
    assert capsys.readouterr().out.strip()


def test_run_summary_is_a_prefect_artifact(demo: dict[str, Any]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["gidar-ingest-summary"])),
            sort=ArtifactSort.CREATED_DESC,
        )
    assert len(found) >= 2, "one summary per run"
    n = len(list(demo["src"].glob("*.pdf")))
    assert "Files by status" in str(found[0].data) and f"| skipped | {n} |" in str(found[0].data)
