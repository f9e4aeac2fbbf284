"""On the shared corpus truth, the failing critical rows are exactly the expected violations."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.corpus


def _key(d) -> tuple:
    return (d["invariant"], d["table"], d["row"], d["col"], float(d["lhs"]), float(d["rhs"]))


def test_critical_failures_equal_expected_violations(truth_run) -> None:
    pairs, results = truth_run
    assert pairs, "no disclosure reports in the corpus"
    by = {}
    for r in results:
        by.setdefault(r.report_id, []).append(r)
    n_violations = 0
    for truth, _ in pairs:
        rows = by.get(truth["id"], [])
        assert rows, f"{truth['id']} dropped"
        got = sorted(
            _key(
                {
                    "invariant": r.invariant or r.rule,
                    "table": r.table_name,
                    "row": r.row_key,
                    "col": r.col_key,
                    "lhs": r.lhs if r.lhs is not None else float("nan"),
                    "rhs": r.rhs if r.rhs is not None else float("nan"),
                }
            )
            for r in rows
            if r.severity == "critical" and not r.passed
        )
        want = sorted(_key(v) for v in truth["expected_violations"])
        assert got == want, truth["id"]
        n_violations += len(want)
    assert n_violations > 0  # the corpus plants errors; a suite that never fails would pass vacuously
