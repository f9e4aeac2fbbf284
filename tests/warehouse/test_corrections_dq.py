"""The bookkeeping of DQ results after corrections, without GX (the GX runs are in test_corrections_gx.py):
which reports need re-validation, what a re-load or a new correction invalidates, and which rows judge a
report in dq_effective / dq_by_report."""

from __future__ import annotations

from pathlib import Path

from gidar.dq import CellRef, DQRecord
from gidar.transform.build import build_tables
from gidar.warehouse.corrections import Correction, apply, corrected_tables, pending_gx, store_corrected_dq
from gidar.warehouse.load import replace_reports
from gidar.warehouse.store import open_writer
from gidar_dev.sample import sample_result

KEY = "t3.granted.total"


def _report():
    r = sample_result(2022, "330922", seed=3)
    r.status, r.message, r.review = "uncertain", "one cell in review", [KEY]
    for c in r.cells:
        if c.key == KEY:
            c.value, c.raw = 77, "77"
    return r


def _rec(rid: str, passed: bool, rule: str = "t3_row_total") -> DQRecord:
    return DQRecord(rule, "critical", passed, report_id=rid, suite="gx", cells=(CellRef(None, KEY),))


def test_results_after_corrections_judge_the_report_until_its_cells_change(tmp_path: Path) -> None:
    r = _report()
    rid, truth = r.sha256, sample_result(2022, "330922", seed=3).values[KEY]
    with open_writer(tmp_path / "w.duckdb") as w:
        with w.transaction() as con:
            replace_reports(con, [(build_tables(r), [_rec(rid, False), _rec(rid, True, "count_non_negative")])])
        con = w.connection()
        assert pending_gx(con) == []  # nothing corrected
        with w.transaction() as con:
            apply(con, [Correction(rid, KEY, truth, "p.3", "tester")])
        assert pending_gx(con) == [rid]
        reports, cells = corrected_tables(con, [rid])
        assert reports.column("review").to_pylist() == [[]]  # the corrected cell is settled, so it is checked
        (value,) = [v for k, v in zip(cells["key"].to_pylist(), cells["value"].to_pylist(), strict=True) if k == KEY]
        assert value == truth  # the person's value, not the reading (77)
        assert con.execute("SELECT value FROM cells WHERE report_id = ? AND key = ?", [rid, KEY]).fetchone() == (77,)

        def verdict() -> tuple[bool, bool, bool]:
            return con.execute(
                "SELECT passes_critical, passes_critical_as_read, after_corrections FROM dq_by_report"
            ).fetchone()

        assert verdict() == (False, False, False)
        with w.transaction() as con:
            store_corrected_dq(con, [rid], [_rec(rid, True), _rec(rid, True, "count_non_negative")], "t")
        assert pending_gx(con) == [] and verdict() == (True, False, True)
        assert con.execute("SELECT count(*) FROM dq_failures").fetchone() == (0,)
        assert con.execute("SELECT count(*), min(basis) FROM dq_effective").fetchone() == (2, "corrected")
        assert con.execute(
            "SELECT gx_checked, gx_failed_rules, flagged FROM correction_checks WHERE key = ?", [KEY]
        ).fetchone() == (True, [], False)
        # a failing rule that names the corrected cell flags the correction
        with w.transaction() as con:
            store_corrected_dq(con, [rid], [_rec(rid, False), _rec(rid, True, "count_non_negative")], "t")
        assert con.execute("SELECT gx_failed_rules, flagged FROM correction_checks").fetchone() == (
            ["t3_row_total"],
            True,
        )
        assert verdict() == (False, False, True)
        # a re-load (re-extraction) changes the cells: the results after corrections are dropped, to be re-run
        assert w.load_batch([(build_tables(_report()), None)]) == {}
        assert pending_gx(con) == [rid] and verdict() == (False, False, False)
        assert con.execute("SELECT count(*) FROM dq_results WHERE basis = 'corrected'").fetchone() == (0,)
        # so does a new correction of the report
        with w.transaction() as con:
            store_corrected_dq(con, [rid], [_rec(rid, True)], "t")
            apply(con, [Correction(rid, KEY, truth, "p.3, again", "tester")])
        assert pending_gx(con) == [rid]
