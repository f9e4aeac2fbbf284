"""extract.metadata: title, agency, statistics year and county from page text."""

from __future__ import annotations

import pytest

from gidar.extract.metadata import find_title, parse_agency, read_metadata, report_year, split_title

PREAMBLE = (
    "根据《中华人民共和国政府信息公开条例》规定，特向社会公布{agency}{year}年政府信息公开工作年度报告。"
    "本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。\n"
)
OVERVIEW = "一、总体情况\n{year}年，我单位以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《条例》。\n"


def page(title: str, agency: str, year: int, extra: str = "") -> str:
    return title + "\n" + PREAMBLE.format(agency=agency, year=year) + OVERVIEW.format(year=year) + extra


def test_agency_then_year_on_two_lines() -> None:
    m = read_metadata([page("苍南县人民政府办公室\n2023年政府信息公开工作年度报告", "苍南县人民政府办公室", 2023)])
    assert m.title == "苍南县人民政府办公室2023年政府信息公开工作年度报告"
    assert (m.agency, m.agency_type, m.unit) == ("苍南县人民政府办公室", "department", "人民政府办公室")
    assert (m.region_code, m.region_name, m.prefecture, m.province) == ("330327", "苍南县", "温州市", "浙江省")
    assert m.report_year == 2023
    assert m.template is None


def test_year_first_title_wrapping_over_lines() -> None:
    text = "2022 年岱山县司法局\n政府信息公开工作年度报告\n" + OVERVIEW.format(year=2022)
    m = read_metadata([text])
    assert m.title == "2022年岱山县司法局政府信息公开工作年度报告"
    assert (m.agency, m.agency_type, m.unit, m.region_code, m.report_year) == (
        "岱山县司法局",
        "department",
        "司法局",
        "330921",
        2022,
    )


def test_title_marker_split_inside_a_word() -> None:
    m = read_metadata(["温州市龙湾区人民政府2025年政府信息公\n开工作年度报告\n" + OVERVIEW.format(year=2025)])
    assert m.title == "温州市龙湾区人民政府2025年政府信息公开工作年度报告"
    assert (m.agency_type, m.unit, m.region_code) == ("government", None, "330303")


def test_other_province_resolves() -> None:
    text = (
        "洪泽区人民政府\n2023 年政府信息公开工作年度报告\n本报告由淮安市洪泽区人民政府办公室根据《条例》要求编制。"
        "报告中所列数据统计期限自 2023 年 1 月 1 日\n起至 2023 年 12 月 31 日止。\n"
    )
    m = read_metadata([text])
    assert (m.region_code, m.region_name, m.prefecture, m.province) == ("320813", "洪泽区", "淮安市", "江苏省")
    assert (m.agency, m.agency_type, m.report_year) == ("洪泽区人民政府", "government", 2023)


@pytest.mark.parametrize(
    ("title", "year", "code"),
    [
        ("杭州市江干区人民政府", 2020, "330104"),
        ("下城区教育局", 2019, "330103"),
        ("杭州市余杭区人民政府", 2020, "330110"),
        ("杭州市临平区人民政府", 2021, "330113"),
        ("钱塘区商务局", 2023, "330114"),
        ("龙港市人民政府", 2019, "330383"),
    ],
)
def test_hangzhou_and_longgang_units_by_report_year(title: str, year: int, code: str) -> None:
    m = read_metadata([page(f"{title}\n{year}年政府信息公开工作年度报告", title, year)])
    assert (m.region_code, m.report_year) == (code, year)


def test_abolished_district_in_a_later_year_is_unknown_not_guessed() -> None:
    m = read_metadata([page("杭州市江干区人民政府\n2022年政府信息公开工作年度报告", "杭州市江干区人民政府", 2022)])
    assert m.region_code is None and m.region_name is None
    assert (m.prefecture, m.province) == ("杭州市", "浙江省")


def test_township_in_changed_district_follows_the_year() -> None:
    for year, code in ((2020, "330110"), (2021, "330113")):
        m = read_metadata([page(f"塘栖镇人民政府\n{year}年政府信息公开工作年度报告", "塘栖镇人民政府", year)])
        assert (m.agency_type, m.unit, m.region_code) == ("township", "塘栖镇", code)


def test_statistics_year_not_publication_date() -> None:
    text = (
        "嵊泗县财政局\n政府信息公开工作年度报告\n"
        "本报告所列数据统计期限从2020年1月1日至2020年12月31日。\n"
        "五、存在的主要问题及改进情况\n2021年，我局将进一步加强政策解读。\n"
        "嵊泗县财政局\n2021年1月28日\n"
    )
    m = read_metadata([text])
    assert m.report_year == 2020
    assert m.title == "嵊泗县财政局政府信息公开工作年度报告"
    assert (m.region_code, m.unit) == ("330922", "财政局")


def test_year_vote_outweighs_a_title_typo() -> None:
    body = "本报告所列数据的统计期限自2021年1月1日起至2021年12月31日止。一、总体情况\n2021年，我县持续推进。"
    assert report_year(2012, body) == 2021
    assert report_year(2021, "2022年1月10日") == 2021
    assert report_year(None, "一、总体情况 2019年，我局……") == 2019
    assert report_year(None, "no year here") is None


def test_township_resolved_from_body_text() -> None:
    # 城南街道 exists in four Zhejiang counties: only the report's own words can place it
    title = "城南街道办事处\n2020 年政府信息公开工作年度报告"
    m = read_metadata([page(title, "乐清市城南街道办事处", 2020)])
    assert (m.agency, m.agency_type, m.unit, m.region_code) == ("城南街道办事处", "township", "城南街道", "330382")
    first_sentence = "一、总体情况\n2020年，乐清市城南街道办事处以习近平新时代中国特色社会主义思想为指导。"
    m = read_metadata([title + "\n" + first_sentence])
    assert m.region_code == "330382"
    # elsewhere in the body a county name only narrows the candidates; two of them stay unknown
    m = read_metadata([page(title, "城南街道办事处", 2020, "全年接待乐清市来访1次。")])
    assert m.region_code == "330382"
    m = read_metadata([page(title, "城南街道办事处", 2020, "与乐清市、桐庐县同名街道开展交流。")])
    assert m.region_code is None


def test_township_from_the_shipped_list() -> None:
    m = read_metadata([page("鳌江镇人民政府\n2020 年政府信息公开工作年度报告", "鳌江镇人民政府", 2020)])
    assert (m.agency, m.agency_type, m.unit, m.region_code) == ("鳌江镇人民政府", "township", "鳌江镇", "330326")


def test_township_outside_zhejiang_needs_the_body() -> None:
    title = "虎门镇人民政府\n2021年政府信息公开工作年度报告"
    bare = read_metadata([page(title, "虎门镇人民政府", 2021)])
    assert (bare.agency_type, bare.unit, bare.region_code) == ("township", "虎门镇", None)
    named = read_metadata([page(title, "东莞市虎门镇人民政府", 2021)])
    assert (named.region_code, named.province) == ("441900", "广东省")


def test_unresolvable_township_is_explicitly_unknown() -> None:
    for name in ("城关镇人民政府", "城南街道办事处"):  # not in Zhejiang / in several Zhejiang counties
        m = read_metadata([page(f"{name}\n2020年政府信息公开工作年度报告", name, 2020)])
        assert m.agency_type == "township"
        assert (m.region_code, m.region_name, m.prefecture) == (None, None, None)


def test_prefecture_branch_names_its_district() -> None:
    text = page("2025 年舟山市生态环境局普陀分局\n政府信息公开工作年度报告", "舟山市生态环境局普陀分局", 2025)
    m = read_metadata([text])
    assert (m.agency, m.agency_type, m.unit) == ("舟山市生态环境局普陀分局", "department", "生态环境分局")
    assert (m.region_code, m.prefecture) == ("330903", "舟山市")


def test_ambiguous_county_needs_context() -> None:
    title = "普陀区水利局\n2024年政府信息公开工作年度报告"
    alone = read_metadata([page(title, "普陀区水利局", 2024)])
    assert alone.region_code is None and alone.unit == "水利局"
    zs = read_metadata([page(title, "普陀区水利局", 2024, "全年配合舟山市水利局完成海塘安澜工程。")])
    assert zs.region_code == "330903"
    sh = read_metadata([page(title, "普陀区水利局", 2024, "按照上海市水务局部署开展工作。")])
    assert sh.region_code == "310107"


def test_bare_place_title_means_the_government() -> None:
    m = read_metadata([page("平湖市2021年政府信息公开工作年度报告", "平湖市人民政府", 2021)])
    assert (m.agency, m.agency_type, m.unit, m.region_code) == ("平湖市人民政府", "government", None, "330482")


def test_provincial_level_body_gets_the_province_code() -> None:
    m = read_metadata(["2019年上海市人民政府办公厅政府信息公开工作年度报告\n发布日期：2020-01-31\n"])
    assert (m.agency, m.agency_type, m.unit) == ("上海市人民政府办公厅", "department", "人民政府办公厅")
    assert (m.region_code, m.region_name, m.province, m.report_year) == ("310000", "上海市", "上海市", 2019)
    assert m.level == "province"


@pytest.mark.parametrize(
    ("agency", "code", "name", "level"),
    [
        ("淮安市人民政府", "320800", "淮安市", "prefecture"),
        ("舟山市生态环境局", "330900", "舟山市", "prefecture"),
        ("浙江省水利厅", "330000", "浙江省", "province"),
        ("浙江省人民政府", "330000", "浙江省", "province"),
        ("嵊泗县财政局", "330922", "嵊泗县", "county"),
        ("温州市洞头区人民政府", "330305", "洞头区", "county"),
        ("嵊泗县嵊山镇人民政府", "330922", "嵊泗县", "township"),
    ],
)
def test_every_level_gets_its_own_region_code(agency: str, code: str, name: str, level: str) -> None:
    m = read_metadata([page(f"{agency}\n2024年政府信息公开工作年度报告", agency, 2024)])
    assert (m.region_code, m.region_name, m.level) == (code, name, level)


def test_ambiguous_names_stay_unknown_at_every_level() -> None:
    # a county printed in the name but ambiguous (or abolished) never falls back to the city's code
    m = read_metadata([page("杭州市江干区人民政府\n2022年政府信息公开工作年度报告", "杭州市江干区人民政府", 2022)])
    assert (m.region_code, m.level, m.prefecture) == (None, "county", "杭州市")
    m = read_metadata([page("普陀区水利局\n2024年政府信息公开工作年度报告", "普陀区水利局", 2024)])
    assert (m.region_code, m.level) == (None, "county")
    m = read_metadata([page("城关镇人民政府\n2020年政府信息公开工作年度报告", "城关镇人民政府", 2020)])
    assert (m.region_code, m.level) == (None, "township")


def test_junk_above_title_and_fullwidth_digits() -> None:
    text = (
        "附件\n索引号：11330922090963010M/2021-00012\n"
        "嵊泗县人民政府\n２０２０年政府信息公开工作年度报告\n一、总体情况\n"
    )
    m = read_metadata([text])
    assert m.title == "嵊泗县人民政府2020年政府信息公开工作年度报告"
    assert (m.region_code, m.report_year) == ("330922", 2020)


def test_title_from_body_sentence_when_not_printed() -> None:
    text = PREAMBLE.format(agency="兰溪市住房和城乡建设局", year=2020) + OVERVIEW.format(year=2020)
    m = read_metadata([text])
    assert m.title is None  # nothing printed as a title
    assert (m.agency, m.unit, m.region_code, m.report_year) == (
        "兰溪市住房和城乡建设局",
        "住房和城乡建设局",
        "330781",
        2020,
    )


def test_file_name_only_when_it_is_a_title() -> None:
    m = read_metadata(["", ""], "downloads/嵊泗县人民政府2020年政府信息公开工作年度报告.pdf")
    assert (m.title, m.agency, m.region_code, m.report_year) == (None, "嵊泗县人民政府", "330922", 2020)
    assert read_metadata([""], "s1-011.pdf").agency is None


def test_nothing_to_read() -> None:
    m = read_metadata([])
    assert m.to_json() == read_metadata(["   "]).to_json()
    assert all(v is None for v in m.to_json().values())


def test_helpers() -> None:
    assert find_title("一、总体情况\n2020年，我县……") is None
    assert split_title("2022年岱山县司法局政府信息公开工作年度报告") == ("岱山县司法局", 2022)
    assert split_title("象山县2020年度政府信息公开工作年度报告") == ("象山县", 2020)
    info = parse_agency("温州市洞头区人民政府", 2024)
    assert (info.agency_type, info.region.code if info.region else None) == ("government", "330305")


def test_department_without_place_named_in_full_by_its_preamble() -> None:
    title = "卫生健康局\n2021年政府信息公开工作年度报告"
    m = read_metadata([page(title, "永嘉县卫生健康局", 2021)])
    assert (m.agency, m.unit, m.region_code) == ("卫生健康局", "卫生健康局", "330324")
    # another county's office mentioned later in the body is no evidence
    later = "一、总体情况\n2021年，我局以习近平新时代中国特色社会主义思想为指导。我局与乐清市卫生健康局开展交流。"
    m = read_metadata([title + "\n" + later])
    assert (m.unit, m.region_code) == ("卫生健康局", None)


def test_fake_bold_title_read_twice() -> None:
    m = read_metadata(["义义乌乌市市人人民民政政府府\n2020年政府信息公开工作年度报告\n一、总体情况\n"])
    assert (m.agency, m.region_code, m.report_year) == ("义乌市人民政府", "330782", 2020)


@pytest.mark.parametrize(
    "title",
    [
        "象山县人民政府\n二〇二〇年度政府信息公开工作年度报告",
        "象山县人民政府政府信息公开工作2020年度报告",
        "象山县人民政府关于2020年政府信息公开工作的年度报告",
        "象山县人民政府\n2020年政府信息公开年度报告",
    ],
)
def test_title_wording_drift(title: str) -> None:
    m = read_metadata([title + "\n一、总体情况\n"])
    assert (m.agency, m.agency_type, m.region_code, m.report_year) == ("象山县人民政府", "government", "330225", 2020)


def test_names_that_carry_the_county_inside() -> None:
    assert parse_agency("西湖区人民政府北山街道办事处", 2022).unit == "北山街道"
    assert parse_agency("西湖区人民政府北山街道办事处", 2022).region is None  # Hangzhou or Nanchang
    hz = parse_agency("西湖区人民政府北山街道办事处", 2022, "在杭州市委市政府的领导下")
    assert (hz.agency_type, hz.region.code if hz.region else None) == ("township", "330106")
    tax = parse_agency("国家税务总局温州市洞头区税务局", 2023)
    assert (tax.agency_type, tax.region.code if tax.region else None) == ("department", "330305")
    party = parse_agency("中共嵊泗县委办公室", 2023)
    assert (party.agency_type, party.region.code if party.region else None) == ("department", "330922")
    assert parse_agency("中共普陀区委办公室", 2023).region is None  # Shanghai or Zhoushan
