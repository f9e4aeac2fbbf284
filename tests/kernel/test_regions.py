"""gidar.regions: county-level units by report year, name and township look-ups."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from gidar import regions

# docs/domain.md §5.2: county-level units per prefecture (the same count before and after 2021-04).
PER_PREFECTURE = {
    "杭州市": 13,
    "宁波市": 10,
    "温州市": 12,
    "嘉兴市": 7,
    "湖州市": 5,
    "绍兴市": 6,
    "金华市": 9,
    "衢州市": 6,
    "舟山市": 4,
    "台州市": 9,
    "丽水市": 9,
}


@pytest.mark.parametrize("year", [2019, 2020, 2021, 2022, 2025])
def test_zhejiang_has_90_units_grouped_by_prefecture(year: int) -> None:
    us = regions.units("33", year)
    assert len(us) == 90
    assert len({u.code for u in us}) == 90
    assert Counter(u.prefecture for u in us) == PER_PREFECTURE
    assert all(u.province == "浙江省" and u.province_code == "33" for u in us)
    assert all(u.prefecture_code == u.code[:4] + "00" for u in us)
    assert [u.code for u in us] == sorted(u.code for u in us)


def test_prefectures_of_zhejiang() -> None:
    ps = regions.prefectures("33")
    assert [p.name for p in ps] == list(PER_PREFECTURE)
    assert ps[0] == regions.Prefecture("330100", "杭州市", "浙江省", "33")


def test_province_code_may_be_six_digits() -> None:
    assert regions.units("330000", 2021) == regions.units("33", 2021)


def test_hangzhou_redistricting_2021() -> None:
    before = {u.code for u in regions.units("33", 2020)}
    after = {u.code for u in regions.units("33", 2021)}
    assert before - after == {"330103", "330104"}
    assert after - before == {"330113", "330114"}
    assert regions.lookup("330103", 2020).name == "下城区"  # type: ignore[union-attr]
    assert regions.lookup("330104", 2019).name == "江干区"  # type: ignore[union-attr]
    assert regions.lookup("330103", 2021) is None
    assert regions.lookup("330113", 2020) is None
    assert regions.lookup("330114", 2021).name == "钱塘区"  # type: ignore[union-attr]


def test_longgang_exists_from_2019() -> None:
    assert regions.lookup("330383", 2018) is None
    lg = regions.lookup("330383", 2019)
    assert lg is not None and lg.name == "龙港市" and lg.prefecture == "温州市" and lg.kind == "县级市"
    assert len(regions.units("33", 2018)) == 89


def test_lookup_other_provinces_and_kinds() -> None:
    hz = regions.lookup("320813", 2023)
    assert hz == regions.Region("320813", "洪泽区", "淮安市", "320800", "江苏省", "32", "市辖区")
    assert regions.lookup("331127", 2020).kind == "自治县"  # type: ignore[union-attr]
    assert regions.lookup("330922", 2020).kind == "县"  # type: ignore[union-attr]
    # municipalities are their own prefecture
    assert regions.lookup("310107", 2020).prefecture == "上海市"  # type: ignore[union-attr]
    assert regions.lookup("999999", 2020) is None


def test_region_is_frozen_and_hashable() -> None:
    r = regions.lookup("330922", 2020)
    assert r is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.name = "x"  # type: ignore[misc]
    assert {r, regions.lookup("330922", 2021)} == {r}


def test_find_by_name_ambiguous_until_context() -> None:
    both = regions.find_by_name("普陀区", 2025)
    assert {r.code for r in both} == {"310107", "330903"}
    assert [r.code for r in regions.find_by_name("普陀区", 2025, "舟山市生态环境局")] == ["330903"]
    assert [r.code for r in regions.find_by_name("普陀区", 2025, "上海市人民政府")] == ["310107"]
    assert len(regions.find_by_name("鼓楼区", 2022)) >= 4
    assert [r.code for r in regions.find_by_name("鼓楼区", 2022, "南京市鼓楼区")] == ["320106"]
    # context that names none of the candidates leaves them all
    assert len(regions.find_by_name("普陀区", 2025, "某某镇")) == 2


def test_find_by_name_short_form_and_year() -> None:
    assert [r.code for r in regions.find_by_name("洞头", 2020)] == ["330305"]
    assert [r.code for r in regions.find_by_name("景宁", 2020)] == ["331127"]
    assert [r.code for r in regions.find_by_name("江干区", 2020)] == ["330104"]
    assert regions.find_by_name("江干区", 2021) == []
    assert regions.find_by_name("临平区", 2020) == []
    assert [r.code for r in regions.find_by_name("洪泽区", 2023)] == ["320813"]
    assert regions.find_by_name("不存在县", 2020) == []


def test_short_name() -> None:
    assert regions.short_name("嵊泗县") == "嵊泗"
    assert regions.short_name("景宁畲族自治县") == "景宁"
    assert regions.short_name("广西壮族自治区") == "广西"
    assert regions.short_name("和县") is None


def test_township_list_matches_domain_counts() -> None:
    # docs/domain.md §5.3: 1,365 township-level units, every unit but 龙港市 has some.
    units = {u.code for u in regions.units("33", 2021)}
    towns = regions._tables().towns
    codes = Counter(t.code for ts in towns.values() for t in ts)
    assert sum(codes.values()) == 1365
    assert set(codes) == units - {"330383"}
    assert codes["330326"] == 16 and codes["331121"] == 32


def test_find_township_moves_with_hangzhou_redistricting() -> None:
    assert [r.code for r in regions.find_township("鳌江镇", 2020)] == ["330326"]
    assert [r.code for r in regions.find_township("临平街道", 2020)] == ["330110"]
    assert [r.code for r in regions.find_township("临平街道", 2021)] == ["330113"]
    assert [r.code for r in regions.find_township("下沙街道", 2020)] == ["330104"]
    assert [r.code for r in regions.find_township("河庄街道", 2019)] == ["330109"]
    assert [r.code for r in regions.find_township("天水街道", 2020)] == ["330103"]
    assert [r.code for r in regions.find_township("天水街道", 2022)] == ["330105"]
    assert [r.code for r in regions.find_township("清波街道", 2020)] == ["330102"]


def test_find_township_same_name_needs_context() -> None:
    assert len(regions.find_township("城南街道", 2022)) > 1
    assert [r.code for r in regions.find_township("城南街道", 2022, "乐清市城南街道办事处")] == ["330382"]
    assert [r.code for r in regions.find_township("城南街道", 2022, "嘉兴市")] == ["330402"]


def test_find_township_refuses_outside_zhejiang() -> None:
    # only Zhejiang's townships are shipped: a text about another province gets no answer
    assert regions.find_township("鳌江镇", 2020, "江苏省淮安市") == []
    assert regions.find_township("虎门镇", 2020) == []


def test_divisions_cover_every_level_with_parents() -> None:
    ds = regions.divisions()
    by = {(d.code, d.level): d for d in ds}
    zj = by[("330000", "province")]
    assert (zj.name, zj.parent_code) == ("浙江省", None)
    assert by[("330900", "prefecture")].parent_code == "330000"
    ss = by[("330922", "county")]
    assert (ss.name, ss.parent_code, ss.valid_from, ss.valid_to) == ("嵊泗县", "330900", None, None)
    assert (by[("330103", "county")].valid_to, by[("330113", "county")].valid_from) == (2020, 2021)
    assert by[("330383", "county")].valid_from == 2019
    # every county's parent is a listed prefecture, every prefecture's a listed province
    for d in ds:
        if d.level == "county":
            assert (d.parent_code, "prefecture") in by, d
        elif d.level == "prefecture":
            assert (d.parent_code, "province") in by, d
    # a city without counties is also its own county-level unit, under the same code
    assert {("441900", "prefecture"), ("441900", "county")} <= set(by)
    assert regions.division("320800", "prefecture").name == "淮安市"  # type: ignore[union-attr]


def test_name_tables_load_without_importlib_resources_or_the_township_list() -> None:
    """The tables every extraction loads come through the module's loader: importing
    `importlib.resources` (zipfile, tempfile, shutil, …) cost more than the load itself. The
    township list is read only when a township is looked up."""
    import subprocess
    import sys

    code = """
import sys
from gidar import regions
assert regions.county_names() and regions.province_names()
assert "towns" not in vars(regions._tables())
print(sorted(m for m in ("importlib.resources", "zipfile", "tempfile") if m in sys.modules))
assert regions.find_township("鳌江镇", 2020)
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
