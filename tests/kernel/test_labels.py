"""Label normalisation and matching state: numbering forms, years inside labels, notes after them."""

from __future__ import annotations

import pytest

from gidar.labels import header_unit, label_state, normalise

FORMS = tuple(normalise(x) for x in ("本年制发件数", "规章"))


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [
        ("（一）本年新收政府信息公开申请数量", "一、本年新收政府信息公开申请数量"),
        ("(四)结转下年度继续办理", "四、结转下年度继续办理"),
        ("一．本年新收政府信息公开申请数量", "一、本年新收政府信息公开申请数量"),
    ],
)
def test_both_chinese_numberings_fold_to_one(printed: str, canonical: str) -> None:
    assert normalise(printed) == normalise(canonical)


def test_item_and_section_numbering_stay_apart() -> None:
    # （一）予以公开 and 一、本年新收… share the numeral but not the words
    assert normalise("（一）予以公开") != normalise("一、本年新收政府信息公开申请数量")
    assert not normalise("（一）予以公开").startswith(normalise("一、本年新收"))


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("本年制发件数", "complete"),
        ("本年（2023）制发件数", "complete"),  # a year inside
        ("本年(2023年)制发件数", "complete"),
        ("本年（20", "prefix"),  # cut by a wrap inside the year
        ("规章（设区的市、自治州人民政府应提供相关数据）", "complete"),  # a note after
        ("规章（设区的市、自治州", "prefix"),  # the note still open
        ("规章（制度）", "complete"),
        ("规章（制度）外", None),  # nothing may follow the note
        ("规章制度", None),  # a note needs its brackets
        ("规范", None),
        ("（", "prefix"),  # an opening bracket alone may still start （一）-numbering of 一、本年新收…
    ],
)
def test_label_state(text: str, state: str | None) -> None:
    forms = (*FORMS, normalise("一、本年新收政府信息公开申请数量"))
    assert label_state(normalise(text), forms) == state


def test_a_number_split_over_three_fragments_is_renumbered() -> None:
    # a vertical （三）不予公开 arrives one character at a time
    forms = (normalise("（三）不予公开"),)
    text = ""
    for ch in "（三）不予公开":
        text += normalise(ch)
        assert label_state(text, forms) is not None, text
    assert label_state(text, forms) == "complete"


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        ("采购总金额（元）", "元"),
        ("采购总金额(万元)", "万元"),
        ("本年收费金额（单位：万元）", "万元"),
        ("采购总金额", None),
    ],
)
def test_header_unit(header: str, unit: str | None) -> None:
    assert header_unit(header) == unit
