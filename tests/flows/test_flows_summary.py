from __future__ import annotations

import json

from gidar.dq import DQRecord
from gidar.flows.summary import (
    DOWNLOAD_FAILED,
    LOAD_FAILED,
    SKIPPED,
    IngestSummary,
    Outcome,
    dq_failures,
    format_summary,
)
from gidar.flows.tables import display_width, format_table, rows_to_json


def _summary() -> IngestSummary:
    outcomes = (
        Outcome("a.pdf", "a.pdf", "ok"),
        Outcome("b.pdf", "b.pdf", SKIPPED),
        Outcome("http://h/c.pdf", "c.pdf", DOWNLOAD_FAILED, "HTTP 404 Not Found"),
        Outcome("d.pdf", "d.pdf", "not_pdf", "an HTML page"),
        Outcome("e.pdf", "e.pdf", LOAD_FAILED, "ConstraintException"),
    )
    return IngestSummary("r1", "src", "w.duckdb", outcomes, dq_failed={"critical": 2}, dq_checked=40)


def test_counts_and_failures() -> None:
    s = _summary()
    assert s.counts == {DOWNLOAD_FAILED: 1, LOAD_FAILED: 1, "not_pdf": 1, "ok": 1, SKIPPED: 1}
    assert s.n_failed == 2  # a not_pdf file was loaded as a status row: not a failure of the run
    json.dumps(s.to_dict(), default=str)


def test_text_summary_lists_only_files_needing_attention() -> None:
    text = format_summary(_summary())
    assert "5 files" in text and "critical 2" in text
    assert "c.pdf  HTTP 404 Not Found" in text and "d.pdf" in text
    assert "a.pdf" not in text and "b.pdf" not in text


def test_dq_failures_counts_failed_records_by_severity() -> None:
    rows = [DQRecord("a", "critical", False), DQRecord("b", "warning", False), DQRecord("c", "critical", True)]
    assert dq_failures(rows) == {"critical": 1, "warning": 1}


def test_format_table_aligns_cjk_and_numbers() -> None:
    out = format_table(["agency", "n"], [("嵊泗县人民政府", 12), ("x", 3), (None, None)]).splitlines()
    assert display_width(out[2]) == display_width(out[3]) == display_width(out[4])  # CJK counts double
    assert out[2].startswith("嵊泗县人民政府") and out[2].endswith("12")
    assert out[3].endswith(" 3") and out[4].startswith("NULL") and out[-1] == "(3 rows)"


def test_format_table_truncates_wide_cells() -> None:
    out = format_table(["t"], [("长" * 50,)], max_width=10)
    assert display_width(out.splitlines()[2]) <= 10 and out.splitlines()[2].endswith("…")


def test_rows_to_json() -> None:
    assert json.loads(rows_to_json(["a", "b"], [(1, "县")])) == [{"a": 1, "b": "县"}]


def test_a_failed_step_makes_the_run_not_ok() -> None:
    fine = IngestSummary("r", "s", "w", (Outcome("a.pdf", "a.pdf", "not_pdf"),))
    assert fine.ok
    broken = IngestSummary("r", "s", "w", fine.outcomes, step_errors=("validation failed for 1 reports: X",))
    assert not broken.ok and broken.n_failed == 0
    assert "error: validation failed" in format_summary(broken)
