"""`gidar query`, `dq`, `dashboard`, `export`, `correct`, `review` on a real published warehouse: a read-only
surface, one-line usage errors with exit code 2, output formats, exports and corrections."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gidar.contract import ExtractionResult
from gidar.flows.cli import EXIT_OK, EXIT_USAGE, main
from gidar.transform.build import build_tables
from gidar.warehouse.store import open_reader, open_writer
from gidar_dev.sample import sample_result

ROOT = Path(__file__).resolve().parents[2]
GIDAR = [sys.executable, "-m", "gidar.flows.cli"]


def _uncertain(year: int, seed: int) -> ExtractionResult:
    """A report whose granted cell the extractor could not read with confidence (value wrong, in review)."""
    r = sample_result(year, "330922", seed=seed)
    r.status, r.message = "uncertain", "one cell in review"
    for c in r.cells:
        if c.key == "t3.granted.total":
            r.review = [c.key]
            c.value, c.raw = 77, "77"  # '3,9' over '77' read as 77: the truth is in `truth`
    return r


def _warehouse(path: Path) -> Path:
    reports = [sample_result(2020, "330922", seed=1), sample_result(2021, "330903", seed=2), _uncertain(2022, 3)]
    with open_writer(path) as w:
        assert w.load_batch([(build_tables(r), None) for r in reports]) == {}
    return path


@pytest.fixture
def wh(tmp_path: Path) -> Path:
    return _warehouse(tmp_path / "gidar.duckdb")


@pytest.fixture(scope="module")
def shared_wh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One warehouse for the tests that only read (or must fail to write): building one is ~1 s of CPU."""
    return _warehouse(tmp_path_factory.mktemp("shared") / "gidar.duckdb")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM glob('/root/*')",
        "COPY (SELECT 1) TO '/tmp/gidar-should-not-exist.csv'",
        "ATTACH '/tmp/other.duckdb' AS o",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "DELETE FROM reports",
        "CREATE TABLE x AS SELECT 1",
    ],
)
def test_query_refuses_files_attach_extensions_and_writes(shared_wh, sql, capsys) -> None:
    code, out, err = _run(["query", sql, "--warehouse", str(shared_wh)], capsys)
    assert code == EXIT_USAGE and out == ""
    assert len(err) == 1 and err[0].startswith("gidar query: ")
    assert not Path("/tmp/gidar-should-not-exist.csv").exists()


@pytest.mark.parametrize("sql", ["SELEC 1", "SELECT nope FROM reports", "SELECT * FROM no_such_table"])
def test_bad_sql_is_one_line(shared_wh, sql, capsys) -> None:
    code, _, err = _run(["query", sql, "--warehouse", str(shared_wh)], capsys)
    assert code == EXIT_USAGE and len(err) == 1 and "Error" in err[0]


@pytest.mark.parametrize("cmd", [["query", "SELECT 1"], ["dq"], ["dashboard"], ["review"], ["export", "reports"]])
def test_commands_without_a_warehouse_are_one_line(tmp_path, cmd, capsys) -> None:
    extra = ["--out", str(tmp_path / "x.csv")] if cmd[0] == "export" else []
    code, _, err = _run([*cmd, *extra, "--warehouse", str(tmp_path / "none.duckdb")], capsys)
    assert code == EXIT_USAGE and len(err) == 1 and "no warehouse" in err[0]


def test_formats_row_cap_ids_and_floats(wh, capsys) -> None:
    code, out, _ = _run(["query", "SELECT report_id, 2/3 AS share FROM reports", "--warehouse", str(wh)], capsys)
    lines = out.splitlines()
    assert code == EXIT_OK and lines[-1] == "(3 rows)"
    assert len(lines[2].split()[0]) == 64 and lines[2].split()[1] == "0.6667"  # ids in full, floats rounded
    code, out, _ = _run(["query", "SELECT * FROM cells", "--warehouse", str(wh), "--limit", "5"], capsys)
    total = open_reader(wh).execute("SELECT count(*) FROM cells").fetchone()[0]
    assert (
        out.splitlines()[-1]
        == f"(5 of {total} rows shown, {total - 5} left out: --limit 0 shows all, --format csv exports)"
    )
    _, out, _ = _run(
        ["query", "SELECT agency, report_year FROM reports ORDER BY 2", "--warehouse", str(wh), "--format", "csv"],
        capsys,
    )
    assert list(csv.reader(io.StringIO(out)))[:2] == [["agency", "report_year"], ["嵊泗县人民政府", "2020"]]
    _, out, _ = _run(
        ["query", "SELECT report_year FROM reports ORDER BY 1", "--warehouse", str(wh), "--format", "json"], capsys
    )
    assert json.loads(out) == [{"report_year": 2020}, {"report_year": 2021}, {"report_year": 2022}]
    _, out, _ = _run(
        ["query", "SELECT report_year, status FROM reports ORDER BY 1", "--warehouse", str(wh), "--format", "vertical"],
        capsys,
    )
    assert "report_year | 2020" in out and out.count("-[ row ") == 3


def test_dq_table_lines_up_chinese_names(wh, capsys) -> None:
    from gidar.flows.tables import display_width, format_dq
    from gidar.warehouse.dq_summary import DQSummary, GroupStat

    code, out, _ = _run(["dq", "--warehouse", str(wh)], capsys)
    assert code == EXIT_OK and "By county" in out and "330922" in out
    names = [("330922", "嵊泗县"), ("331127", "景宁畲族自治县"), ("330903", "普陀区"), ("110101", "Dongcheng")]
    summ = DQSummary(reports=4, by_county=[GroupStat(c, n, None, 10, 9, 8, 1, 22) for c, n in names])
    county = format_dq(summ).split("By county\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(county) == 6
    # every line ends at the same terminal column: the Chinese names do not push the numbers right
    assert len({display_width(line) for line in county}) == 1, county


@pytest.mark.slow  # three CLI processes
def test_piping_into_head_is_quiet(wh) -> None:
    for cmd in (
        ["query", "SELECT * FROM cells", "--limit", "0"],
        ["query", "SELECT * FROM cells", "--format", "csv"],
        ["dq"],
    ):
        p = subprocess.run(
            f"{' '.join(GIDAR)} {' '.join(repr(a) for a in cmd)} --warehouse {wh} | head -1",
            shell=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert p.stdout.count("\n") == 1 and "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr, p.stderr


def test_export_csv_xlsx_parquet(wh, tmp_path, capsys) -> None:
    base = ["--warehouse", str(wh)]
    code, _, _ = _run(["export", "applications_by_county_year", "--out", str(tmp_path / "c.csv"), *base], capsys)
    raw = (tmp_path / "c.csv").read_bytes()
    assert code == EXIT_OK and raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["region_code"] for r in rows} == {"330922", "330903"}
    _run(
        [
            "export",
            "applications_by_county_year",
            "--out",
            str(tmp_path / "c.parquet"),
            "--where",
            "report_year = 2021",
            *base,
        ],
        capsys,
    )
    t = pq.read_table(tmp_path / "c.parquet")
    assert t.num_rows == 1 and t.column("region_code").to_pylist() == ["330903"]
    _run(
        ["export", "applications_by_county_year", "--format", "xlsx", "--out", str(tmp_path / "c.xlsx"), *base], capsys
    )
    with zipfile.ZipFile(tmp_path / "c.xlsx") as z:  # an xlsx is XML in a zip: read it as such
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    for label in ("一、本年新收政府信息公开申请数量", "（三）不予公开", "行政区划代码", "报告年度"):
        assert label in xml, label
    assert sheet.count("<row ") == 3  # the Chinese header and two county-years
    # only tables and views; a --where that reads a file is refused like any query
    code, _, err = _run(["export", "no_such_view", "--out", str(tmp_path / "x.csv"), *base], capsys)
    assert code == EXIT_USAGE and len(err) == 1
    code, _, err = _run(
        [
            "export",
            "reports",
            "--out",
            str(tmp_path / "x.csv"),
            "--where",
            "EXISTS (SELECT * FROM read_text('/etc/hostname'))",
            *base,
        ],
        capsys,
    )
    assert code == EXIT_USAGE and len(err) == 1 and not (tmp_path / "x.csv").exists()


@pytest.mark.slow  # `gidar correct` re-validates with GX (its import alone is 3+ s)
def test_correct_review_and_rollups(wh, capsys) -> None:
    base = ["--warehouse", str(wh)]
    rid = _uncertain(2022, 3).sha256
    con = open_reader(wh)
    assert con.execute("SELECT count(*) FROM applications_by_county_year WHERE report_year = 2022").fetchone() == (0,)
    con.close()
    code, out, _ = _run(["review", *base], capsys)
    assert code == EXIT_OK and rid in out and "t3.granted.total" in out and "(1 cell need" in out
    truth = sample_result(2022, "330922", seed=3).values["t3.granted.total"]
    # a wrong value breaks the table's 勾稽关系: kept, but flagged
    code, out, _ = _run(
        ["correct", rid[:10], "t3.granted.total", "78", "--reason", "typo", "--by", "tester", *base], capsys
    )
    assert code == EXIT_OK and "FLAGGED" in out
    code, out, _ = _run(
        ["correct", rid, "t3.granted.total", str(truth), "--reason", "p.3: 3,9|77 wraps", "--by", "tester", *base],
        capsys,
    )
    assert code == EXIT_OK and "invariants hold" in out
    con = open_reader(wh)
    hist = con.execute(
        "SELECT new_value, active, flagged, corrected_by, old_value FROM corrections ORDER BY corrected_at"
    ).fetchall()
    assert hist == [(78.0, False, True, "tester", 77.0), (float(truth), True, False, "tester", 77.0)]
    (granted, n) = con.execute(
        "SELECT granted, n_reports FROM applications_by_county_year WHERE region_code = '330922' AND report_year = 2022"
    ).fetchone()
    assert (granted, n) == (truth, 1)  # settled: the report now counts, with the corrected value
    assert con.execute("SELECT count(*) FROM review_queue").fetchone() == (0,)
    assert con.execute(
        "SELECT value, raw FROM cells WHERE report_id = ? AND key = 't3.granted.total'", [rid]
    ).fetchone() == (77, "77")
    con.close()
    # re-ingest / re-extraction replaces the report's rows: the correction is re-applied and re-checked
    with open_writer(wh) as w:
        assert w.load_batch([(build_tables(_uncertain(2022, 3)), None)]) == {}
    con = open_reader(wh)
    assert con.execute(
        "SELECT value, corrected, counted FROM fact_applications WHERE report_id = ? AND key = 't3.granted.total'",
        [rid],
    ).fetchone() == (truth, True, True)
    con.close()
    for argv in (
        ["correct", rid, "t3.nope.total", "1", "--reason", "x"],
        ["correct", "deadbeef00", "t3.granted.total", "1", "--reason", "x"],
        ["correct", rid, "t3.granted.total", "abc", "--reason", "x"],
    ):
        code, _, err = _run([*argv, *base], capsys)
        assert code == EXIT_USAGE and len(err) == 1, argv
