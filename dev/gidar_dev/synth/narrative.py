"""Body text of a synthetic report: section 一 with numbers taken from table 三/四 (optionally
mismatched, docs/domain.md §3.4), and filler for sections 五/六."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from gidar.templates import RESULTS, Template

Number = int | float
_ENUM = re.compile(r"^[（(][一二三四五六七八九十]+[）)]|[（(][^（）()]*[）)]$")

SECTION_1 = "一、总体情况"
SECTION_5 = "五、存在的主要问题及改进情况"
SECTION_6 = "六、其他需要报告的事项"


def _phrase(label: str) -> str:
    """（二）部分公开（区分处理的…） → 部分公开."""
    return _ENUM.sub("", _ENUM.sub("", label))


def result_items(template: Template) -> list[tuple[str, list[str]]]:
    """Top-level result categories of table 三 as (phrase, cell keys of the 总计 column)."""
    items: dict[str, list[str]] = {}
    for r in template.t3_rows:
        if r.kind != "leaf":
            continue
        name = r.label if r.group in (None, RESULTS) else r.group
        items.setdefault(_phrase(name), []).append(f"t3.{r.key}.total")
    return list(items.items())


def section1(
    template: Template, values: Mapping[str, Number], meta: Mapping[str, Any], rng: random.Random, mismatch: bool
) -> tuple[list[str], dict[str, Any]]:
    """Paragraphs of section 一 and the narrative truth record."""
    year, agency = meta["report_year"], meta["agency"]
    carry = next(r.key for r in template.t3_rows if r.kind == "carry")
    inputs = [r.key for r in template.t3_rows if r.kind == "input"]
    items: list[dict[str, Any]] = []

    def item(phrase: str, cells: list[str], fmt: str) -> None:
        value = sum(values[c] for c in cells)
        items.append({"phrase": phrase, "cells": cells, "table_value": value, "value": value, "fmt": fmt})

    item("收到政府信息公开申请", [f"t3.{inputs[0]}.total"], "本年共收到政府信息公开申请{}件")
    if values[f"t3.{inputs[1]}.total"] or rng.random() < 0.5:
        item("上年结转", [f"t3.{inputs[1]}.total"], "上年结转{}件")
    for phrase, cells in result_items(template):
        if sum(values[c] for c in cells) or rng.random() < 0.4:
            item(phrase, cells, phrase + "{}件")
    item("结转下年度继续办理", [f"t3.{carry}.total"], "结转下年度继续办理{}件")
    review = template.t4_blocks[0]
    item(review.label, [f"t4.{review.key}.total"], review.label + "{}件")
    mismatched = []
    if mismatch:
        it = rng.choice(items)
        it["value"] = it["table_value"] + rng.randint(1, 5)
        mismatched.append(it["phrase"])
    texts = [it["fmt"].format(it["value"]) for it in items]
    sentence = f"{year}年，{texts[0]}，" + "，".join(texts[1:-1]) + f"。全年{texts[-1]}。"
    county = meta.get("region_name") or ""
    if county.endswith("区"):  # district names repeat across China; reports name the city with them
        county = f"{meta.get('prefecture') or ''}{county}"
    leaders = f"{county}委" if meta.get("agency_type") == "government" else f"{county}委、{county[-1]}政府"
    lead = (
        f"{year}年，{agency}在{leaders}的正确领导下，坚持以习近平新时代中国特色社会主义思想为指导，"
        "认真贯彻落实《中华人民共和国政府信息公开条例》和省、市政务公开工作要点的要求，"
        "围绕中心工作，着力提升政务公开质量，加强政策解读和回应关切，切实保障人民群众的知情权、参与权和监督权。"
    )
    active = (
        f"全年通过政府门户网站主动公开政府信息{rng.randint(40, 3000)}条，"
        f"发布政策解读{rng.randint(1, 60)}篇，政务新媒体发布信息{rng.randint(10, 900)}条。"
    )
    paras = [lead, "（一）主动公开", active, "（二）依申请公开", sentence]
    record = {
        "text": sentence,
        "items": [{k: v for k, v in it.items() if k != "fmt"} for it in items],
        "mismatched": mismatched,
    }
    return paras, record


def section5(rng: random.Random) -> list[str]:
    problems = rng.sample(
        [
            "主动公开的深度和广度有待进一步拓展，部分栏目信息更新不够及时",
            "政策解读形式较为单一，图文、视频等多元化解读偏少",
            "依申请公开答复的规范化水平仍需提升",
            "工作人员业务能力有待加强",
        ],
        2,
    )
    return [
        f"本年度政府信息公开工作取得了一定成效，但仍存在一些不足：一是{problems[0]}；二是{problems[1]}。",
        "下一步，将重点做好以下工作：一是加强组织领导，压实工作责任；二是深化重点领域信息公开；三是加强业务培训，提高答复质量和效率。",
    ]


def section6(template: Template, year: int) -> list[str]:
    fee = "依据《政府信息公开信息处理费管理办法》，" if template.version == "v2021" else ""
    return [f"{fee}{year}年度未收取信息处理费。无其他需要报告的事项。"]
