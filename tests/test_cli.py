"""The `gidar` CLI: help without heavy imports, exit codes, and `query` output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from gidar.flows.cli import EXIT_USAGE, build_parser, main

ROOT = Path(__file__).resolve().parent.parent
SUBCOMMANDS = ("extract", "ingest", "query", "export", "correct", "review", "eval", "dq", "dashboard", "serve")
HEAVY = ("prefect", "great_expectations", "pdfplumber", "duckdb", "pyarrow", "pandas")


def test_every_subcommand_is_listed() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(SUBCOMMANDS)  # type: ignore[arg-type]


def test_help_of_every_command_works_without_heavy_imports() -> None:
    code = f"""
import contextlib, io, sys
from gidar.flows.cli import main
for argv in [["--help"]] + [[c, "--help"] for c in {SUBCOMMANDS!r}]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main(argv)
        except SystemExit as e:
            assert e.code == 0, (argv, e.code)
    assert "usage: gidar" in out.getvalue(), argv
heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)
assert not heavy, heavy
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


@pytest.mark.parametrize("argv", [[], ["ingest"], ["query"], ["serve", "src"], ["nosuchcommand"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == EXIT_USAGE
    assert "usage:" in capsys.readouterr().err


def test_ingest_of_missing_source_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(tmp_path / "nope"), "--data-dir", str(tmp_path)]) == EXIT_USAGE
    assert "does not exist" in capsys.readouterr().err


def _warehouse(tmp_path: Path) -> Path:
    wh = tmp_path / "w.duckdb"
    con = duckdb.connect(str(wh))
    con.execute("CREATE TABLE reports (agency VARCHAR, report_year INTEGER, n DOUBLE)")
    con.execute("INSERT INTO reports VALUES ('嵊泗县人民政府', 2020, 1.5), ('x', 2021, NULL)")
    con.close()
    return wh


def test_query_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wh = _warehouse(tmp_path)
    assert main(["query", "SELECT * FROM reports ORDER BY report_year", "--warehouse", str(wh)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["agency", "report_year", "n"]
    assert lines[2].split() == ["嵊泗县人民政府", "2020", "1.5"] and lines[3].split() == ["x", "2021", "NULL"]
    assert lines[-1] == "(2 rows)"


def test_query_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wh = _warehouse(tmp_path)
    assert main(["query", "SELECT agency, report_year FROM reports ORDER BY 2", "--warehouse", str(wh), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"agency": "嵊泗县人民政府", "report_year": 2020},
        {"agency": "x", "report_year": 2021},
    ]


def test_query_is_read_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wh = _warehouse(tmp_path)
    assert main(["query", "DELETE FROM reports", "--warehouse", str(wh)]) == EXIT_USAGE
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("gidar query:") and "read-only" in line


def test_query_without_warehouse_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "SELECT 1", "--warehouse", str(tmp_path / "none.duckdb")]) == EXIT_USAGE
    (line,) = capsys.readouterr().err.splitlines()
    assert "no warehouse" in line


SAMPLES = ROOT / "samples"


def test_extract_writes_the_documented_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("publisher-error-2022.pdf", "not-a-pdf.pdf"):
        (src / name).write_bytes((SAMPLES / name).read_bytes())
    assert main(["extract", str(src), "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "publisher-error-2022.json").read_text(encoding="utf-8"))
    for key in ("status", "message", "template", "metadata", "values", "cells", "violations", "quality", "review"):
        assert key in report, key
    assert {"region_code", "region_name", "agency", "report_year"} <= set(report["metadata"])
    assert {"key", "raw", "page", "bbox"} <= set(report["cells"][0])
    truth = json.loads((SAMPLES / "publisher-error-2022.json").read_text(encoding="utf-8"))
    assert {(v["invariant"], v["row"], v["col"]) for v in report["violations"]} >= {
        (v["invariant"], v["row"], v["col"]) for v in truth["expected_violations"][:1]
    }
    bad = json.loads((tmp_path / "out" / "not-a-pdf.json").read_text(encoding="utf-8"))
    assert bad["status"] == "not_pdf" and bad["values"] == {}
    assert "publisher-error-2022.pdf" in capsys.readouterr().out


def test_eval_scores_the_samples_against_their_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for stem in ("county-2023", "department-2020"):
        for ext in (".pdf", ".json"):
            (tmp_path / f"{stem}{ext}").write_bytes((SAMPLES / f"{stem}{ext}").read_bytes())
    assert main(["eval", str(tmp_path)]) == 0
    assert "cells" in capsys.readouterr().out
