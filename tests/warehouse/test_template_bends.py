"""Reports that bend the template, from the JSON contract to the warehouse: the template each table
was read with (table 二 stored by the layout printed), extra cells, units, blank tables, and the
``0005_template_bends`` migration of a warehouse made before them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gidar.contract import ExtractionResult, result_from_json
from gidar.extract.api import extract_file
from gidar.templates import V2019
from gidar.transform.build import build_tables
from gidar.warehouse import connect, load_report
from gidar.warehouse.migrations import migrate, schema_drift

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mixed() -> ExtractionResult:
    """samples/mixed-2023: a 2023 report with table 二 in the 2019 layout and an extra row."""
    return extract_file(ROOT / "samples" / "mixed-2023.pdf")


def test_the_contract_carries_the_bends_and_old_json_still_reads(mixed: ExtractionResult) -> None:
    assert mixed.status == "ok" and mixed.template == "v2021"
    assert mixed.table_templates == {"t2": "v2019", "t3": "v2021", "t4": "v2021"}
    assert {x.col for x in mixed.extra_cells} == {"new_made", "new_published", "total_published"}
    assert any(c.unit == "宗" for c in mixed.cells)
    d = mixed.to_json()
    assert result_from_json(d).to_json() == d
    for k in ("table_templates", "extra_cells", "unconfirmed_violations", "blank_tables"):
        d.pop(k)  # JSON written before the fields existed
    for c in d["cells"]:
        c.pop("unit", None)
    old = result_from_json(d)
    assert old.table_templates == {} and old.extra_cells == [] and all(c.unit is None for c in old.cells)


def test_table_two_is_stored_by_the_layout_printed(mixed: ExtractionResult) -> None:
    t = build_tables(mixed)
    assert t["t2_v2021"].num_rows == 0 and t["t2_v2019"].num_rows == 8
    assert set(t["t2_v2019"].column("template").to_pylist()) == {"v2019"}
    cells = t["cells"].to_pylist()
    assert {c["template"] for c in cells if c["table"] == "t2"} == {"v2019"}
    assert {c["template"] for c in cells if c["table"] != "t2"} == {"v2021"}
    (report,) = t["reports"].to_pylist()
    assert (report["template"], report["t2_template"], report["t3_template"]) == ("v2021", "v2019", "v2021")
    assert report["n_extra_cells"] == 3 and report["blank_tables"] == []
    extra = t["extra_cells"].to_pylist()
    assert len(extra) == 3 and all(x["label"].startswith("其他主动公开文件") and x["page"] == 1 for x in extra)
    assert {x["template"] for x in extra} == {"v2019"}


def test_a_blank_table_is_not_loaded_as_zeros(mixed: ExtractionResult, tmp_path: Path) -> None:
    blank = result_from_json(mixed.to_json())
    blank.sha256 = "b" * 64
    for c in blank.cells:
        if c.key.startswith("t4."):
            c.value, c.raw, c.flags = 0, "", ["blank_as_zero", "table_blank"]
    blank.blank_tables = ["t4"]
    t = build_tables(blank)
    assert [c["value"] for c in t["cells"].to_pylist() if c["table"] == "t4"] == [None] * 15
    assert all(r["total"] is None for r in t["t4"].to_pylist())
    assert t["reports"].column("blank_tables").to_pylist() == [["t4"]]


def test_the_warehouse_keys_each_table_by_what_it_is(mixed: ExtractionResult, tmp_path: Path) -> None:
    con = connect(tmp_path / "gidar.duckdb")
    load_report(con, build_tables(mixed))
    rid = mixed.sha256
    q = "SELECT count(*) FROM {} WHERE report_id = ?"
    assert con.execute(q.format("fact_proactive_v2019"), [rid]).fetchone() == (len(V2019.value_keys("t2")),)
    assert con.execute(q.format("fact_proactive_v2021"), [rid]).fetchone() == (0,)
    assert con.execute(q.format("extra_cells"), [rid]).fetchone() == (3,)
    rows = con.execute("SELECT DISTINCT template FROM t3_normalised WHERE report_id = ?", [rid]).fetchall()
    assert rows == [("v2021",)]  # table 三 is harmonised as the 2021 table it is
    units = con.execute("SELECT count(*) FROM cells WHERE report_id = ? AND unit = '宗'", [rid]).fetchone()
    assert units[0] > 0
    con.close()


def test_migration_adds_the_bends_to_an_older_warehouse(tmp_path: Path) -> None:
    con = connect(tmp_path / "old.duckdb")
    # the warehouse as 0001-0004 left it: no per-table templates, units or extra cells
    for col in ("t2_template", "t3_template", "t4_template", "blank_tables", "n_extra_cells", "n_unconfirmed"):
        con.execute(f"ALTER TABLE reports DROP COLUMN {col}")
    con.execute("ALTER TABLE cells DROP COLUMN unit")
    con.execute("DROP TABLE extra_cells")
    con.execute("DELETE FROM _migrations WHERE name = '0005_template_bends'")
    assert "extra_cells: missing table" in schema_drift(con)
    con.execute("INSERT INTO reports (report_id, status, parser_version) VALUES ('a1', 'ok', 'layout-1')")
    assert migrate(con) == ["0005_template_bends"]
    assert schema_drift(con) == [] and migrate(con) == []
    assert con.execute("SELECT count(*), count(t2_template) FROM reports").fetchone() == (1, 0)  # old rows kept
    con.close()
