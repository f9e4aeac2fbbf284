"""The generator's template bends and number forms: drawn, printed, recorded."""

from __future__ import annotations

import random

from gidar.keys import Key
from gidar.templates import V2019, V2021
from gidar_dev.synth import LayoutOptions, make_report
from gidar_dev.synth.options import RARE, draw_options


def test_every_rare_deviation_is_drawn() -> None:
    drawn = [draw_options(random.Random(s)) for s in range(150)]
    for k, odds in RARE.items():
        assert {getattr(o, k) for o in drawn} == {v for v, _ in odds}, k


def test_a_mixed_report_prints_table_two_in_the_2019_layout() -> None:
    r = make_report(5, year=2023, options=LayoutOptions(t2_mixed=True))
    t = r.truth
    assert t["template"] == "v2021" and t["table_templates"] == {"t2": "v2019", "t3": "v2021", "t4": "v2021"}
    assert [k for k in t["values"] if Key.parse(k).table == "t2"] == V2019.value_keys("t2")
    assert [k for k in t["values"] if Key.parse(k).table != "t2"] == V2021.value_keys("t3") + V2021.value_keys("t4")
    assert "t2_mixed" in t["render"]["deviations"]
    # a 2019-format report has nothing older to print
    assert make_report(5, year=2020, options=LayoutOptions(t2_mixed=True)).truth["table_templates"]["t2"] == "v2019"


def test_an_extra_row_is_recorded_outside_the_values() -> None:
    t = make_report(6, options=LayoutOptions(extra_row=True)).truth
    (extra,) = t["extra_cells"]
    assert extra["table"] == "t2" and extra["block"] == "art20_1" and extra["label"].startswith("其他主动公开文件")
    assert set(extra["values"]) == {c.key for c in (V2019 if t["template"] == "v2019" else V2021).t2_blocks[0].columns}
    assert not any("其他主动公开" in k for k in t["values"])


def test_a_blank_table_prints_nothing_and_is_recorded() -> None:
    for table in ("t2", "t3", "t4"):
        t = make_report(7, options=LayoutOptions(blank_table=table), error="t4_block_total_wrong").truth
        assert t["blank_tables"] == [table]
        assert all(v == 0 for k, v in t["values"].items() if Key.parse(k).table == table)
        if table == "t4":  # nothing is printed, so no publisher error can be planted there
            assert t["injected_error"] is None and t["expected_violations"] == []


def test_units_and_money_as_printed() -> None:
    opts = LayoutOptions(count_unit="宗", money_unit="cell", money_unit_name="other", zero_tables=())
    t = make_report(8, year=2022, options=opts).truth
    fee = "t2.art20_8.admin_fees.fee_amount"
    texts = {k: tx for b in t["tables"]["t2"]["blocks"] for r in b["rows"] for k, tx in r["texts"].items()}
    assert texts["fee_amount"].endswith("元") and not texts["fee_amount"].endswith("万元")
    assert t["units"][fee] == "元"  # a 2021 fee printed in 元, never converted in the truth
    counts = [k for k in t["values"] if Key.parse(k).table == "t2" and k != fee]
    assert all(t["units"][k] == "宗" for k in counts)


def test_number_forms_are_printed_and_named() -> None:
    opts = LayoutOptions(
        thousands=True, thousands_sep="\u2009", sign_form="minus", fullwidth_digits=True, fullwidth_tables=("t2",)
    )
    r = make_report(9, template="v2019", options=opts, large=True)
    devs = r.truth["render"]["deviations"]
    assert {"thousands_thin_space", "fullwidth_digits"} <= set(devs)
    printed = [tx for b in r.truth["tables"]["t3"]["rows"] for tx in b["texts"].values()]
    assert any("\u2009" in tx for tx in printed)
    signed = [
        r["texts"]["change"] for b in r.truth["tables"]["t2"]["blocks"] for r in b["rows"] if "change" in r["texts"]
    ]
    assert all(not tx.startswith("-") for tx in signed)  # minus signs are U+2212


def test_narrow_columns_wrap_long_numbers() -> None:
    t = make_report(10, options=LayoutOptions(narrow_values=True)).truth
    assert "wrapped_number" in t["render"]["deviations"] and t["metadata"]["large_volume"]
