"""Corpus ground truth → transform → DuckDB: the wide tables reproduce the expected violations.

The truth JSONs give the printed values of each synthetic report and the invariant violations
the publisher error causes; recomputing the identities in SQL over the loaded wide tables must
find exactly those (a pivot or load bug would move, drop or duplicate values).
"""

from __future__ import annotations

import csv
import json

import pytest

from gidar.templates import T3_APPLICANT_COLUMNS, T3_COLUMNS, T4_COLUMNS, TEMPLATES
from gidar.transform.build import build_tables
from gidar.warehouse import connect, load_reports
from gidar_dev.loading import table_counts

pytestmark = pytest.mark.corpus

_PARTS = " + ".join(f"coalesce({c}, 0)" for c in T3_APPLICANT_COLUMNS)
_T4_PARTS = " + ".join(f"coalesce({c.key}, 0)" for c in T4_COLUMNS if c.key != "total")


def _truth(corpus_dir):
    with open(corpus_dir / "manifest.csv", encoding="utf-8") as f:
        sha = {row["id"]: row["sha256"] for row in csv.DictReader(f)}
    for path in sorted(corpus_dir.glob("*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        if d["document_kind"] == "disclosure_report":
            yield sha[d["id"]], d


def test_corpus_values_round_trip_and_violations(corpus_dir, tmp_path):
    truths = dict(_truth(corpus_dir))
    assert truths, "no disclosure reports in the corpus"
    con = connect(tmp_path / "c.duckdb")
    results = [
        {
            "source": str(corpus_dir / d["file"]),
            "sha256": sha,
            "status": "ok",
            "message": "ground truth",
            "template": d["template"],
            "metadata": d["metadata"],
            "values": d["values"],
        }
        for sha, d in truths.items()
    ]
    load_reports(con, [build_tables(r) for r in results])
    assert table_counts(con)["cells"] == sum(len(d["values"]) for d in truths.values())
    n_t3 = sum(len(TEMPLATES[d["template"]].t3_rows) for d in truths.values())
    assert table_counts(con)["t3"] == n_t3

    found: set[tuple[str, str, str | None, str | None]] = set()
    rows = con.execute(f"SELECT report_id, row FROM t3 WHERE total <> {_PARTS}").fetchall()
    found |= {(rid, "t3_row_total", row, "total") for rid, row in rows}
    for c in (c.key for c in T3_COLUMNS):
        sql = f"""
            SELECT report_id,
              sum({c}) FILTER (WHERE row_kind = 'leaf') AS leaves,
              any_value({c}) FILTER (WHERE row_kind = 'result_total') AS result_total,
              sum({c}) FILTER (WHERE row_kind = 'input') AS inputs,
              sum({c}) FILTER (WHERE row_kind IN ('result_total', 'carry')) AS outputs
            FROM t3 GROUP BY report_id"""
        for rid, leaves, total, inputs, outputs in con.execute(sql).fetchall():
            if leaves != total:
                found.add((rid, "t3_result_total", "result_total", c))
            if inputs != outputs:
                found.add((rid, "t3_balance", None, c))
    rows = con.execute(f"SELECT report_id, block FROM t4 WHERE total <> {_T4_PARTS}").fetchall()
    found |= {(rid, "t4_block_total", block, "total") for rid, block in rows}

    expected = {
        (sha, v["invariant"], v["row"], v["col"]) for sha, d in truths.items() for v in d["expected_violations"]
    }
    assert found == expected
    # the normalised view keeps per-report column totals across both templates
    diff = con.execute(
        """SELECT count(*) FROM (SELECT report_id, sum(total) s FROM t3 GROUP BY ALL) a
           JOIN (SELECT report_id, sum(total) s FROM t3_normalised GROUP BY ALL) b USING (report_id)
           WHERE a.s <> b.s"""
    ).fetchall()
    assert diff == [(0,)]
    con.close()
