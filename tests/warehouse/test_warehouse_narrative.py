"""`narrative_claims` on real section-一 sentences (docs/domain.md §3.4, ../shared/real-text) and edge cases."""

from __future__ import annotations

import pytest

from gidar.templates import G3, G4, G5, TEMPLATES
from gidar.warehouse.narrative import PHRASES, claim_keys, narrative_claims


def claims(text: str) -> list[tuple[tuple[str, ...], int]]:
    return [(c.all_measures, c.value) for c in narrative_claims(text)]


def test_shengsi_2020_number_before_category() -> None:
    text = "全年嵊泗共收到20件依申请公开，其中6件予以公开，4件部分公开，1件不予公开，4件无法提供，5件不予处理。"
    assert claims(text) == [
        (("received",), 20),
        (("granted",), 6),
        (("partially_granted",), 4),
        (("withheld",), 1),
        (("unavailable",), 4),
        (("not_processed",), 5),
    ]


def test_pingtan_2023_combined_categories_and_litigation() -> None:
    text = (
        "办结依申请公开81件，其中：予以公开及部分公开42件，占51.85%；不予公开5件，占6.17%；无法提供31件，占38.27%；"
        "不予处理1件，占1.23%；其他处理2件，占2.47%；因政府信息公开引起的行政复议案件2件、行政诉讼案件7件。"
    )
    assert claims(text) == [
        (("granted", "partially_granted"), 42),
        (("withheld",), 5),
        (("unavailable",), 31),
        (("not_processed",), 1),
        (("other",), 2),
        (("review",), 2),
        (("litigation",), 7),
    ]


def test_huaian_2024_sub_results_are_not_totals() -> None:
    text = "行政复议351件，其中结果维持72件，结果纠正64件。行政诉讼46件，其中结果维持25件，结果纠正5件。"
    assert claims(text) == [(("review",), 351), (("litigation",), 46)]


def test_pingtan_2025_received_and_qi() -> None:
    text = (
        "2025年，全区共收到政府信息公开申请154件，共办结148件，结转至2026年6件。"
        "全年办理因政府信息公开申请引发的行政复议36起，行政诉讼9起。"
    )
    assert claims(text) == [(("received",), 154), (("review",), 36), (("litigation",), 9)]


@pytest.mark.parametrize(
    "text",
    [
        "收到群众诉求348件，现场解决162件。",  # 收到 but not an application
        "主动公开政府信息1200条。",
        "不予以公开1件。",  # 予以公开 inside a negation must not count as granted
        "予以公开5件和3件部分公开、不予公开",  # numbers and categories do not pair up: skipped
        "",
    ],
)
def test_no_claim(text: str) -> None:
    assert claims(text) == []


def test_width_and_thousands_separators() -> None:
    assert claims("本年度共收到政府信息公开申请１,２０５件，其中予以公开３１２件。") == [
        (("received",), 1205),
        (("granted",), 312),
    ]


def test_claim_offsets_point_into_the_text() -> None:
    text = "概述。其中予以公开6件。"
    (c,) = narrative_claims(text)
    assert text[c.start : c.start + len(c.text)] == c.text


@pytest.mark.parametrize("version", sorted(TEMPLATES))
def test_claim_keys_are_template_keys(version: str) -> None:
    t = TEMPLATES[version]
    keys = set(t.value_keys())
    for measure in ("received", *PHRASES):
        got = claim_keys(measure, t)
        assert got and set(got) <= keys, measure
    # category claims cover exactly the leaf rows of their printed group
    for measure, group in (("withheld", G3), ("unavailable", G4), ("not_processed", G5)):
        rows = {f"t3.{r.key}.total" for r in t.t3_rows if r.group == group}
        assert set(claim_keys(measure, t)) == rows


def test_other_handling_differs_between_templates() -> None:
    assert len(claim_keys("other", TEMPLATES["v2019"])) == 1
    assert len(claim_keys("other", TEMPLATES["v2021"])) == 3
