"""transform.build / schema / result: ExtractionResult → Arrow tables, in memory (no PDFs)."""

from __future__ import annotations

import json
import random
from dataclasses import fields
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from gidar.contract import Cell, ExtractionResult, Metadata, result_from_json
from gidar.invariants import check
from gidar.schema import ALL_TABLES, REPORT_TABLES, T2, describe, metadata_column, t2_table_name
from gidar.templates import T3_COLUMNS, T4_COLUMNS, TEMPLATES
from gidar.transform.build import build_tables, key_index
from gidar_dev.sample import sample_result
from gidar_dev.synth.values import draw_values

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
VERSIONS = list(TEMPLATES)


def _year(version: str) -> int:
    return TEMPLATES[version].years[0]


# --- schemas -------------------------------------------------------------------------------


def test_every_column_and_table_is_described():
    for name, schema in ALL_TABLES.items():
        assert schema.metadata and schema.metadata[b"description"], name
        undocumented = [f.name for f in schema if not describe(f)]
        assert not undocumented, f"{name}: {undocumented}"


def test_wide_columns_come_from_the_registry():
    for t in TEMPLATES.values():
        wanted = {c.key for b in t.t2_blocks for c in b.columns}
        assert wanted <= set(T2[t2_table_name(t)].names)
    assert [c.key for c in T3_COLUMNS] == REPORT_TABLES["t3"].names[-len(T3_COLUMNS) :]
    assert [c.key for c in T4_COLUMNS] == REPORT_TABLES["t4"].names[-len(T4_COLUMNS) :]
    # every Metadata field is a reports column
    assert {metadata_column(f.name) for f in fields(Metadata)} <= set(REPORT_TABLES["reports"].names)


# --- building ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_full_report_pivots_every_cell_back(version):
    t = TEMPLATES[version]
    r = sample_result(_year(version), seed=3)
    tables = build_tables(r, extracted_at=AT)
    assert set(tables) == set(REPORT_TABLES)
    for name, table in tables.items():
        assert table.schema.equals(REPORT_TABLES[name]), name

    cells = tables["cells"]
    assert cells.num_rows == len(t.value_keys())
    assert cells.column("seq").to_pylist() == list(range(len(t.value_keys())))
    assert set(cells.column("template").to_pylist()) == {version}

    wide = tables[t2_table_name(t)]
    other = [n for n in T2 if n != t2_table_name(t)]
    assert wide.num_rows == sum(len(b.rows) for b in t.t2_blocks)
    assert all(tables[n].num_rows == 0 for n in other)
    assert tables["t3"].num_rows == len(t.t3_rows)
    assert tables["t4"].num_rows == len(t.t4_blocks)
    assert tables["t3"].column("row").to_pylist() == [row.key for row in t.t3_rows]

    # Every value can be found again at its coordinates in the wide tables.
    pivot: dict[str, float | None] = {}
    for rec in wide.to_pylist():
        for b in t.t2_blocks:
            if b.key == rec["block"]:
                for c in b.columns:
                    pivot[f"t2.{rec['block']}.{rec['row']}.{c.key}"] = rec[c.key]
    for rec in tables["t3"].to_pylist():
        pivot.update({f"t3.{rec['row']}.{c.key}": rec[c.key] for c in T3_COLUMNS})
    for rec in tables["t4"].to_pylist():
        pivot.update({f"t4.{rec['block']}.{c.key}": rec[c.key] for c in T4_COLUMNS})
    assert pivot == {k: float(v) for k, v in r.values.items()}


def test_columns_a_block_lacks_stay_null():
    t = TEMPLATES["v2019"]
    wide = build_tables(sample_result(2020))[t2_table_name(t)].to_pylist()
    for rec in wide:
        block = next(b for b in t.t2_blocks if b.key == rec["block"])
        own = {c.key for b in [block] for c in b.columns}
        lacking = [c for c in T2[t2_table_name(t)].names[8:] if c not in own]
        assert all(rec[c] is None for c in lacking), rec


def test_report_row_carries_metadata_lineage_and_counts():
    r = sample_result(2024, region_code="330781", seed=1, source="/in/兰溪/报告.pdf")
    r.review = [r.cells[0].key]
    r.cells[1].value = None
    rec = build_tables(r, extracted_at=AT)["reports"].to_pylist()[0]
    assert rec["report_id"] == r.sha256 and rec["file_name"] == "报告.pdf"
    assert (rec["region_code"], rec["report_year"], rec["template"]) == ("330781", 2024, "v2021")
    assert rec["metadata_template"] == "v2021" and rec["agency"] == r.metadata.agency
    assert rec["n_cells"] == len(r.cells) and rec["n_values"] == len(r.cells) - 1
    assert rec["n_review"] == 1 and rec["review"] == [r.cells[0].key]
    assert rec["extracted_at"] == AT and rec["narrative"] == r.narrative
    assert "violations" not in rec and rec["n_violations"] == 0  # the findings live in dq_results


def test_dataclass_and_saved_json_give_the_same_tables():
    r = sample_result(2020, seed=2)
    r.cells[5].flags = ["blank_as_zero"]
    r.cells[6].conf = 0.42
    r.violations = check(TEMPLATES["v2019"], {**r.values, "t4.review.total": 99})
    saved = json.loads(json.dumps(r.to_json(), ensure_ascii=False))
    a, b = build_tables(r, extracted_at=AT), build_tables(saved, extracted_at=AT)
    for name in REPORT_TABLES:
        assert a[name].equals(b[name]), name
    assert a["reports"].column("n_violations").to_pylist() == [len(r.violations)]
    assert result_from_json(saved).violations == r.violations


def test_unread_report_has_a_reports_row_only():
    r = ExtractionResult(source="x/bad.pdf", sha256="ab" * 32, status="not_pdf", message="HTML page")
    tables = build_tables(r.to_json(), extracted_at=AT)
    assert tables["reports"].num_rows == 1
    assert tables["reports"].column("template").to_pylist() == [None]
    assert all(t.num_rows == 0 for n, t in tables.items() if n != "reports")


def test_partial_reading_and_unknown_keys():
    r = sample_result(2024)
    keep = {k for k in r.values if k.startswith("t3.granted.") or k == "t4.review.upheld"}
    r.cells = [c for c in r.cells if c.key in keep]
    r.cells[0].value = None  # read, but unreadable
    r.cells.append(Cell("t3.provincial_extra.total", 7, "7", 3, None))
    tables = build_tables(r)
    t3 = tables["t3"].to_pylist()
    assert [rec["row"] for rec in t3] == ["granted"]
    assert t3[0][r.cells[0].key.split(".")[2]] is None
    assert tables["t4"].to_pylist()[0]["upheld"] is not None and tables["t4"].to_pylist()[0]["total"] is None
    extra = next(c for c in tables["cells"].to_pylist() if c["key"] == "t3.provincial_extra.total")
    assert (extra["table"], extra["row"], extra["col"], extra["seq"], extra["value"]) == (
        "t3",
        "provincial_extra",
        "total",
        None,
        7.0,
    )
    assert extra["x0"] is None


def test_duplicate_keys_and_missing_id_are_rejected():
    r = sample_result(2024)
    r.cells.append(r.cells[0])
    with pytest.raises(ValueError, match="duplicate"):
        build_tables(r)
    with pytest.raises(ValueError, match="sha256"):
        build_tables(ExtractionResult(source="a.pdf", sha256="", status="empty", message=""))


def test_key_index_matches_registry_order():
    for t in TEMPLATES.values():
        idx = key_index(t.version)
        assert list(idx) == t.value_keys()
        assert all(idx[k].value_type == vt for k, vt in t.cells())


def test_values_only_dict_is_accepted():
    vals = draw_values(TEMPLATES["v2021"], random.Random(0))
    d = {"source": "v.pdf", "sha256": "cd" * 32, "status": "ok", "message": "", "template": "v2021", "values": vals}
    d["metadata"] = {"report_year": 2022, "region_code": "330102", "unknown_future_field": 1}
    tables = build_tables(d)
    assert tables["cells"].num_rows == len(vals)
    assert pa.compute.sum(tables["t3"].column("total")).as_py() == sum(
        v for k, v in vals.items() if k.startswith("t3.") and k.endswith(".total")
    )
