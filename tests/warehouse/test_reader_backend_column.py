"""`reports.backend`: which PDF reader read each report, from the JSON contract to the warehouse,
and the ``0003_reader_backend`` migration of a warehouse made before the column existed."""

from __future__ import annotations

from pathlib import Path

from gidar.contract import ExtractionResult, result_from_json
from gidar.extract.api import extract_file
from gidar.schema import REPORTS
from gidar.transform.build import build_tables
from gidar.warehouse import connect, load_report
from gidar.warehouse.migrations import migrate, schema_drift
from gidar_dev.sample import sample_result

ROOT = Path(__file__).resolve().parents[2]


def test_backend_survives_the_json_contract_and_old_json_still_reads() -> None:
    r = extract_file(ROOT / "samples" / "county-2023.pdf")
    assert r.backend == "pdfium"
    d = r.to_json()
    assert result_from_json(d).backend == "pdfium"
    d.pop("backend")  # JSON written before the field existed
    assert result_from_json(d).backend is None


def test_backend_is_loaded_into_reports(tmp_path: Path) -> None:
    con = connect(tmp_path / "gidar.duckdb")
    read: ExtractionResult = sample_result()
    read.backend = "pdfplumber"
    unread = sample_result(seed=1, sha256="f" * 64)
    unread.backend = None
    for r in (read, unread):
        load_report(con, build_tables(r))
    rows = dict(con.execute("SELECT report_id, backend FROM reports").fetchall())
    assert rows == {read.sha256: "pdfplumber", unread.sha256: None}
    con.close()


def test_migration_adds_the_column_to_an_older_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = connect(db)
    # the warehouse as 0001/0002 left it before this column: no backend, no 0003 in the ledger
    con.execute("ALTER TABLE reports DROP COLUMN backend")
    con.execute("DELETE FROM _migrations WHERE name = '0003_reader_backend'")
    assert schema_drift(con) == ["reports.backend: missing column"]
    con.execute("INSERT INTO reports (report_id, status, parser_version) VALUES ('a1', 'ok', 'layout-1')")
    assert migrate(con) == ["0003_reader_backend"]
    assert schema_drift(con) == [] and migrate(con) == []
    (comment,) = con.execute(
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'reports' AND column_name = 'backend'"
    ).fetchone()
    assert comment == REPORTS.field("backend").metadata[b"description"].decode()
    assert con.execute("SELECT count(*), count(backend) FROM reports").fetchone() == (1, 0)  # old rows kept
    con.close()
