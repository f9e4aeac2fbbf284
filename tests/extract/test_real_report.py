"""A real published report (淮安市洪泽区 2023, WPS export) against its hand-checked truth."""

from __future__ import annotations

import json
from pathlib import Path

from gidar.extract.api import extract_file


def test_hongze_2023_exact(real_dir: Path) -> None:
    truth = json.loads((real_dir / "hongze-2023.json").read_text(encoding="utf-8"))
    res = extract_file(real_dir / "hongze-2023.pdf")
    assert res.status == "ok", res.message
    assert res.template == "v2021"
    got = res.values
    assert {k: got.get(k) for k in truth["values"]} == truth["values"]
    assert set(got) == set(truth["values"])
    # the two real publisher errors in table 四 are reported, not "fixed"
    want = {(v["invariant"], v["row"], v["col"]) for v in truth["expected_violations"]}
    assert {(v.invariant, v.row, v.col) for v in res.violations} == want
    assert res.quality == "publisher_violations"
    # （六）其他处理 printed as one row: all three 2021 sub-rows come from that row
    assert all("group_printed_as_one_row" in c.flags for c in res.cells if c.key.startswith("t3.other_"))
