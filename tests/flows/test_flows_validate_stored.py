"""GX validates the tables as stored in the Parquet lake: the same files the warehouse loads."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from gidar.flows import stages
from gidar.transform import build_tables
from gidar.transform.lake import report_path, write_report
from gidar_dev.sample import sample_result


def _failed(records) -> set[tuple[str, str | None, str | None]]:
    return {(r.rule, r.row_key, r.col_key) for r in records if not r.passed and r.severity == "critical"}


def test_a_corrupted_parquet_value_fails_gx(tmp_path: Path) -> None:
    result = sample_result(2022, seed=3)
    write_report(tmp_path, build_tables(result))
    rid = result.sha256
    assert _failed(stages.validate(tmp_path, [rid])) == set()  # as extracted: consistent

    # Change one stored number behind the extractor's back: GX must see what is in the file.
    path = report_path(tmp_path, "cells", rid, result.metadata.report_year)
    cells = pq.read_table(path)
    hit = pc.equal(cells["key"], "t3.granted.natural_person")
    value = pc.if_else(hit, pc.add(cells["value"], 1.0), cells["value"])
    pq.write_table(cells.set_column(cells.schema.get_field_index("value"), "value", value), path)

    failed = _failed(stages.validate(tmp_path, [rid]))
    assert ("t3_row_total", "granted", "total") in failed
    assert ("t3_result_total", "result_total", "natural_person") in failed
