"""On the shared corpus (its ground-truth values as warehouse rows) the cross-report checks add no critical
row, so the critical failures stay exactly the corpus' expected violations; the warnings they do add are
the carry-over breaks a plain reading of the truth files gives."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from gidar.invariants import check
from gidar.templates import T3_COLUMNS, TEMPLATES
from gidar.warehouse.crosschecks import failures, run_crosschecks
from gidar.warehouse.db import connect

pytestmark = pytest.mark.corpus


def _load(con, corpus_dir: Path) -> list[dict]:
    truths = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(corpus_dir.glob("*.json"))]
    truths = [t for t in truths if t.get("document_kind") == "disclosure_report"]
    reps, cells, dq = [], [], []
    for t in truths:
        m, rid = t["metadata"], t["id"]
        reps.append(
            {
                "report_id": rid,
                "source": str(corpus_dir / t["file"]),
                "file_name": t["file"],
                "status": "ok",
                "template": t["template"],
                "agency": m["agency"],
                "agency_type": m["agency_type"],
                "unit": m["unit"],
                "region_code": m["region_code"],
                "region_name": m["region_name"],
                "prefecture": m["prefecture"],
                "province": m["province"],
                "report_year": m["report_year"],
            }
        )
        for k, v in t["values"].items():
            cells.append(
                {
                    "report_id": rid,
                    "report_year": m["report_year"],
                    "region_code": m["region_code"],
                    "template": t["template"],
                    "key": k,
                    "value": float(v),
                }
            )
        for v in check(TEMPLATES[t["template"]], t["values"]):
            dq.append(
                {
                    "report_id": rid,
                    "rule": v.invariant,
                    "severity": "critical",
                    "passed": False,
                    "row_key": v.row,
                    "col_key": v.col,
                }
            )
    for name, rows in (("reports", reps), ("cells", cells), ("dq_results", dq)):
        con.register("_rows", pa.Table.from_pylist(rows))
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _rows")
        con.unregister("_rows")
    return truths


def test_corpus_gets_no_critical_cross_report_rows(corpus_dir: Path) -> None:
    con = connect(":memory:")
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
