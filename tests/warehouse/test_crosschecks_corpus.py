"""On the shared corpus (its ground truth loaded as ingestion loads a perfect reading) the cross-report
checks add no critical row, so the critical failures stay exactly the corpus' expected violations; the
warnings they do add are the carry-over breaks a plain reading of the truth files gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gidar.templates import T3_COLUMNS
from gidar.warehouse.crosschecks import failures, run_crosschecks
from gidar.warehouse.db import connect
from gidar_dev.loading import load_results
from gidar_dev.sample import result_from_truth

pytestmark = pytest.mark.corpus


def _load(con, corpus_dir: Path) -> list[dict]:
    """Every disclosure report's truth, loaded as a perfect reading would be ingested (GX findings included)."""
    truths = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(corpus_dir.glob("*.json"))]
    truths = [t for t in truths if t.get("document_kind") == "disclosure_report"]
    load_results(con, [result_from_truth(t, str(corpus_dir / t["file"])) for t in truths], validate=True)
    return truths


def test_corpus_gets_no_critical_cross_report_rows(corpus_dir: Path, new_warehouse) -> None:
    con = connect(new_warehouse())
    truths = _load(con, corpus_dir)
    rows = run_crosschecks(con)
    assert rows and {r.severity for r in rows} == {"warning"}

    critical = set(
        con.execute(
            "SELECT report_id, rule, row_key, col_key FROM dq_results WHERE severity = 'critical' AND NOT passed"
        ).fetchall()
    )
    expected = {(t["id"], v["invariant"], v["row"], v["col"]) for t in truths for v in t["expected_violations"]}
    assert critical == expected

    # carry-over breaks straight from the truth files: same agency and region, consecutive years
    by_body = {(t["metadata"]["region_code"], t["metadata"]["agency"], t["metadata"]["report_year"]): t for t in truths}
    breaks = set()
    for (region, agency, year), t in by_body.items():
        prev = by_body.get((region, agency, year - 1))
        if prev:
            for c in T3_COLUMNS:
                if prev["values"][f"t3.carried_forward.{c.key}"] != t["values"][f"t3.carried_over.{c.key}"]:
                    breaks.add((t["id"], c.key))
    found = {(r.subject, r.col_key) for r in failures(rows) if r.rule == "carry_over"}
    assert found == breaks
    print(
        f"corpus: {len(truths)} reports, {len(rows)} cross-report rows, {len(failures(rows))} warnings: "
        + "; ".join(r.description for r in failures(rows))
    )
