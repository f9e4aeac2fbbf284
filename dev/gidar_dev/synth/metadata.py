"""Realistic publishing bodies: Zhejiang county-level units and their agencies (docs/domain.md §5–6).

Units come from `gidar.regions.units("33", year)` when that module is present; otherwise from a
small built-in list of real units (codes as in GB/T 2260, with the 2021 Hangzhou re-districting).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

PROVINCE = "浙江省"


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    prefecture: str
    first_year: int = 0
    last_year: int = 9999


# code, name, prefecture, first and last report year the unit existed for
_BUILTIN: tuple[Unit, ...] = (
    Unit("330103", "下城区", "杭州市", last_year=2020),
    Unit("330104", "江干区", "杭州市", last_year=2020),
    Unit("330113", "临平区", "杭州市", first_year=2021),
    Unit("330114", "钱塘区", "杭州市", first_year=2021),
    Unit("330122", "桐庐县", "杭州市"),
    Unit("330127", "淳安县", "杭州市"),
    Unit("330182", "建德市", "杭州市"),
    Unit("330225", "象山县", "宁波市"),
    Unit("330226", "宁海县", "宁波市"),
    Unit("330282", "慈溪市", "宁波市"),
    Unit("330305", "洞头区", "温州市"),
    Unit("330324", "永嘉县", "温州市"),
    Unit("330326", "平阳县", "温州市"),
    Unit("330328", "文成县", "温州市"),
    Unit("330329", "泰顺县", "温州市"),
    Unit("330383", "龙港市", "温州市", first_year=2020),
    Unit("330421", "嘉善县", "嘉兴市"),
    Unit("330483", "桐乡市", "嘉兴市"),
    Unit("330521", "德清县", "湖州市"),
    Unit("330523", "安吉县", "湖州市"),
    Unit("330624", "新昌县", "绍兴市"),
    Unit("330681", "诸暨市", "绍兴市"),
    Unit("330683", "嵊州市", "绍兴市"),
    Unit("330723", "武义县", "金华市"),
    Unit("330727", "磐安县", "金华市"),
    Unit("330781", "兰溪市", "金华市"),
    Unit("330822", "常山县", "衢州市"),
    Unit("330825", "龙游县", "衢州市"),
    Unit("330921", "岱山县", "舟山市"),
    Unit("330922", "嵊泗县", "舟山市"),
    Unit("331022", "三门县", "台州市"),
    Unit("331024", "仙居县", "台州市"),
    Unit("331083", "玉环市", "台州市"),
    Unit("331121", "青田县", "丽水市"),
    Unit("331124", "松阳县", "丽水市"),
    Unit("331127", "景宁畲族自治县", "丽水市"),
)

# Real 镇/乡 of some of the units above (towns publish reports too, docs/domain.md §6).
_TOWNS: dict[str, tuple[str, ...]] = {
    "330122": ("富春江镇", "分水镇", "横村镇"),
    "330127": ("千岛湖镇", "汾口镇", "威坪镇"),
    "330225": ("石浦镇", "西周镇"),
    "330226": ("西店镇", "长街镇"),
    "330324": ("溪下乡", "桥头镇", "岩头镇"),
    "330326": ("鳌江镇", "水头镇"),
    "330328": ("大峃镇", "珊溪镇"),
    "330521": ("新市镇", "乾元镇"),
    "330523": ("孝丰镇", "天荒坪镇"),
    "330681": ("安华镇", "枫桥镇", "店口镇"),
    "330683": ("谷来镇", "甘霖镇"),
    "330723": ("柳城畲族镇", "桃溪镇"),
    "330825": ("湖镇镇", "溪口镇"),
    "330922": ("菜园镇", "嵊山镇", "五龙乡"),
    "331024": ("白塔镇", "横溪镇"),
    "331121": ("温溪镇", "船寮镇"),
}

DEPARTMENTS = (
    "教育局",
    "公安局",
    "民政局",
    "财政局",
    "司法局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "卫生健康局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "综合行政执法局",
    "人民政府办公室",
)


def _from_regions(year: int) -> list[Unit] | None:
    """Units from the project's division table (gidar.regions), when it is installed."""
    try:
        from gidar import regions
    except ImportError:
        return None
    return [Unit(r.code, r.name, r.prefecture or "") for r in regions.units("33", year)] or None


@cache
def _shipped_towns() -> dict[str, tuple[str, ...]]:
    """镇/乡 per county code from gidar/data (another part of the project ships it), else {}."""
    try:
        text = (resources.files("gidar.data") / "divisions" / "townships_33.csv").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return {}
    out: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["name"].endswith(("镇", "乡")):
            out.setdefault(row["areaCode"], []).append(row["name"])
    return {k: tuple(v) for k, v in out.items()}


def towns_of(code: str, year: int) -> tuple[str, ...]:
    """Towns of a county in `year` whose name identifies that county (so a reader can resolve it)."""
    shipped = _shipped_towns().get(code)
    if not shipped:
        return _TOWNS.get(code, ())
    from gidar import regions

    return tuple(t for t in shipped if [r.code for r in regions.find_township(t, year)] == [code])


def units_for(year: int) -> list[Unit]:
    return _from_regions(year) or [u for u in _BUILTIN if u.first_year <= year <= u.last_year]


def draw_metadata(rng: random.Random, year: int, *, agency_type: str | None = None) -> dict[str, Any]:
    """Metadata of one publishing body for report year `year`, in the truth-JSON form."""
    pool = units_for(year)
    kind = agency_type or rng.choices(["government", "department", "township"], weights=[3, 5, 2])[0]
    u = rng.choice(pool)
    towns: tuple[str, ...] = ()
    if kind == "township":
        for _ in range(20):  # some units (龙港市) have no towns
            towns = towns_of(u.code, year)
            if towns:
                break
            u = rng.choice(pool)
    unit: str | None = None
    if kind == "government":
        # Districts are often named with their city: 温州市洞头区人民政府
        prefix = u.prefecture if u.name.endswith("区") and rng.random() < 0.5 else ""
        agency = f"{prefix}{u.name}人民政府"
    elif kind == "department":
        unit = rng.choice(DEPARTMENTS)
        agency = f"{u.name}{unit}"
    elif kind == "township":
        if not towns:
            raise ValueError(f"no township known for {u.name} in {year}")
        unit = rng.choice(towns)
        agency = f"{u.name}{unit}人民政府" if rng.random() < 0.5 else f"{unit}人民政府"
    else:
        raise ValueError(f"unknown agency_type {kind!r}")
    return {
        "province": PROVINCE,
        "prefecture": u.prefecture,
        "region_code": u.code,
        "region_name": u.name,
        "agency": agency,
        "agency_type": kind,
        "unit": unit,
        "report_year": year,
        "large_volume": False,
        "title": None,  # set by the renderer (the printed title, lines joined)
    }
