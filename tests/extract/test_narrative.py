"""Section 一 text: from its heading to the table-二 title, page wrapping undone."""

from __future__ import annotations

from gidar.extract.narrative import section_one


def test_section_one_is_cut_at_table_two_and_unwrapped() -> None:
    pages = [
        "某县人民政府\n2023年政府信息公开工作年度报告\n一、总体情况\n2023年，全县受理政府信息公开申请2\n1件，均在法定期限内答复，工作取得新成效。\n（一）主动公开\n全年主动公开信息100条。",
        "二、主动公开政府信息情况\n第二十条第（一）项",
    ]
    text = section_one(pages)
    assert text is not None
    assert text.splitlines()[0] == "一、总体情况"
    assert "申请21件" in text  # the wrapped number is whole again
    assert "（一）主动公开" in text.splitlines()
    assert "第二十条" not in text and "主动公开政府信息情况" not in text


def test_no_section_one() -> None:
    assert section_one(["统计公报\n地区生产总值 822 亿元"]) is None
