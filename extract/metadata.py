"""Report metadata from page text: printed title, agency, statistics year and county-level unit.

Pure functions over the plain text of each page (pdfplumber's ``extract_text`` or OCR lines).
The county is taken from the agency name (温州市洞头区人民政府, 海曙区水利局), a prefecture
branch (舟山市生态环境局普陀分局 → 普陀区), or for a township from the body text (平阳县鳌江镇)
and then the shipped township list. Anything ambiguous or unknown stays None: a wrong county
would silently corrupt every per-county aggregate, a missing one is visible.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from gidar import regions
from gidar.contract import Metadata
from gidar.regions import Region

__all__ = ["AgencyInfo", "find_title", "parse_agency", "read_metadata", "report_year", "split_title"]

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_HAS_FULLWIDTH_DIGIT = re.compile("[０-９]").search  # translate only such text (str.translate is slow on CJK)
_WS = re.compile(r"\s+")
_CN_DIGITS = str.maketrans("〇零○一二三四五六七八九", "000123456789")
_CN_YEAR = re.compile(r"([〇零○一二三四五六七八九]{4})年")  # 二〇二〇年
# The end of a title: 政府信息公开工作年度报告 and its common drift.
_TITLE_END = re.compile(r"(?:政府信息公开|政务公开)(?:工作)?(?:(?:19|20)\d{2}年度?)?的?(?:年度)?(?:工作)?报告")
_YEAR = re.compile(r"((?:19|20)\d{2})年度?")
_SENTENCE_PUNCT = re.compile(r"[，。；：:！？,;!?]")
_HEADING = re.compile(r"^[一二三四五六七八九十]+[、.．]|^（[一二三四五六七八九十]+）")
_DATE = re.compile(r"\d{4}[-/.年]\d{1,2}[-/.月]")
# A line above the title must look like part of a body's name or a year.
_TITLE_WORD = re.compile(r"[省市县区镇乡局委办厅院府会室处所站队心道署司馆社旗盟州]|(?:19|20)\d{2}")
_HEADER_PREFIX = re.compile(r"^(?:标题|题目|名称)[:：]")
_PERIOD = re.compile(r"统计[^0-9。；]{0,10}?((?:19|20)\d{2})年0?1月0?1日")
_OVERVIEW_YEAR = re.compile(r"总体情况.{0,30}?((?:19|20)\d{2})年度?[，,]")
_BODY_TITLE = re.compile(r"(?:公布|发布)([^，。；]{2,60}?)" + _TITLE_END.pattern)
_TOWN = re.compile(r"^(?P<town>.{1,12}?(?:街道|镇|乡))(?P<tail>人民政府|政府|办事处)?$")
_BRANCH = re.compile(r"^(?P<dept>.+?局)(?P<place>[^局]{2,8}?)分局$")
_GOVERNMENT_TAILS = ("", "人民政府", "政府")
_PREAMBLE_MAX = 1500  # characters: a report names itself in its opening lines
# Words that make a name an office rather than a place (平潭综合实验区 is a place, 科委 is not).
_OFFICE_WORD = re.compile(r"[局委办厅院室处所站队署司馆社部会]|中心|公司")


@lru_cache(maxsize=8)  # a report's whole text is compacted for its year and again for its agency
def _compact(text: str) -> str:
    text = _WS.sub("", text)
    text = text.translate(_FULLWIDTH_DIGITS) if _HAS_FULLWIDTH_DIGIT(text) else text
    return _CN_YEAR.sub(lambda m: m.group(1).translate(_CN_DIGITS) + "年", text)


def _undouble(line: str) -> str:
    """Fake-bold titles are drawn twice and read as 兰兰溪溪市市…; keep one of each."""
    if len(line) >= 4 and len(line) % 2 == 0 and line[0::2] == line[1::2]:
        return line[0::2]
    return line


def _preamble(text: str) -> str:
    """The part of a report that names the report's own body in full: everything before
    section 一 (由平阳县鳌江镇人民政府办公室编制, 请与…联系, 特向社会公布…) and the first sentence of
    section 一 (2025年，嵊泗县嵊山镇人民政府以…). Later text may name other bodies."""
    start = text.find("总体情况")
    end = text.find("。", start) if start >= 0 else -1
    return text[: end if 0 <= end < _PREAMBLE_MAX else _PREAMBLE_MAX]


# --- title ---------------------------------------------------------------------------------


def find_title(page_text: str, max_lines: int = 15) -> str | None:
    """The printed title (lines joined, whitespace removed) near the top of a page, or None."""
    lines = [_undouble(_HEADER_PREFIX.sub("", _compact(line))) for line in page_text.splitlines()]
    lines = [line for line in lines if line][:max_lines]
    for j, line in enumerate(lines):
        m = _TITLE_END.search(line)
        if m:
            head = line[: m.end()]
        elif j + 1 < len(lines):
            # the marker itself can wrap: 政府信息公开工作 / 年度报告
            joined = line + lines[j + 1]
            m = _TITLE_END.search(joined)
            if not (m and m.start() < len(line) < m.end()):
                continue
            head = joined[: m.end()]
        else:
            continue
        if _SENTENCE_PUNCT.search(head):
            continue  # a sentence that mentions the report, not the title
        return _with_lines_above(lines, j, head)
    return None


def _with_lines_above(lines: list[str], start: int, head: str) -> str:
    parts = [head]
    k = start - 1
    while k >= 0 and start - k <= 2:
        above = lines[k]
        if (
            len(above) > 40
            or _SENTENCE_PUNCT.search(above)
            or _HEADING.search(above)
            or _DATE.search(above)
            or not _TITLE_WORD.search(above)
            or _TITLE_END.search(above)
        ):
            break
        parts.insert(0, above)
        k -= 1
    return "".join(parts)


def split_title(title: str) -> tuple[str, int | None]:
    """(agency as printed, title year) from a compact title such as
    ``2022年岱山县司法局政府信息公开工作年度报告`` → (岱山县司法局, 2022)."""
    m = _TITLE_END.search(title)
    head = title[: m.start()] if m else title
    y = _YEAR.search(title)
    if not y:
        return head.removesuffix("关于"), None
    if y.start() >= len(head):  # 政府信息公开工作2020年度报告
        return head.removesuffix("关于"), int(y.group(1))
    agency = (head[: y.start()].removesuffix("关于") + head[y.end() :]).removesuffix("的")
    return agency, int(y.group(1))


# --- year ----------------------------------------------------------------------------------


def report_year(title_year: int | None, text: str) -> int | None:
    """The statistics year: a vote of the title year, the statistics period
    (统计期限自YYYY年1月1日…) and the first year of section 一, preferring them in that order on
    a tie. Publication dates never vote."""
    compact = _compact(text)
    votes = [title_year]
    m = _PERIOD.search(compact)
    votes.append(int(m.group(1)) if m else None)
    m = _OVERVIEW_YEAR.search(compact)
    votes.append(int(m.group(1)) if m else None)
    cast = [v for v in votes if v is not None]
    if not cast:
        return None
    counts = Counter(cast)
    best = max(counts.values())
    return next(v for v in cast if counts[v] == best)


# --- agency --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyInfo:
    agency: str  # as printed; a bare place name gets 人民政府 (平湖市 → 平湖市人民政府)
    agency_type: str | None  # government | department | township
    unit: str | None
    region: Region | None
    prefecture: str | None
    province: str | None
    level: str | None = None  # province | prefecture | county | township (gidar.regions.LEVELS)


def _longest_prefix(s: str, pos: int, names: frozenset[str]) -> str | None:
    best = None
    for n in range(2, min(len(s) - pos, 20) + 1):
        if s[pos : pos + n] in names:
            best = s[pos : pos + n]
    return best


def _one(cands: list[Region]) -> Region | None:
    return cands[0] if len(cands) == 1 else None


def _common(values: Iterable[str | None]) -> str | None:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def _constrain(cands: list[Region], province: str | None, prefecture: str | None) -> list[Region]:
    if prefecture:
        cands = [r for r in cands if r.prefecture == prefecture]
    if province:
        cands = [r for r in cands if r.province == province]
    return cands


def _counties_printed_before(name: str, text: str) -> set[str]:
    """County names printed right before ``name``, e.g. 平阳县 in 平阳县鳌江镇."""
    names = regions.county_names()
    found = set()
    for m in re.finditer(re.escape(name), text):
        before = text[max(0, m.start() - 12) : m.start()]
        for n in range(2, len(before) + 1):
            if before[-n:] in names:
                found.add(before[-n:])
    return found


def parse_agency(agency: str, year: int | None, context_text: str = "") -> AgencyInfo:
    """Classify an agency name and find its county-level unit valid in ``year``.

    ``context_text`` (the report body) only narrows candidates: a prefecture named there picks
    between same-named counties, a county printed before a township name places the township."""
    s = _compact(agency)
    context = _compact(context_text)
    pos = 0
    province = _longest_prefix(s, pos, regions.province_names())
    if province:
        pos += len(province)
    prefecture = None
    pref = _longest_prefix(s, pos, regions.prefecture_names())
    if pref and (not province or any(p.province == province for p in regions.find_prefectures(pref))):
        prefecture = pref
        pos += len(pref)
    if prefecture and not province:
        provs = {p.province for p in regions.find_prefectures(prefecture)}
        province = provs.pop() if len(provs) == 1 else None
    if province and not prefecture and regions.find_prefectures(province):
        prefecture = province  # a municipality is its own prefecture (上海市人民政府办公厅)

    region: Region | None = None
    has_county = False
    name = _longest_prefix(s, pos, regions.county_names())
    if name and _constrain(regions.find_by_name(name, None), province, prefecture):
        has_county = True
        pos += len(name)
        cands = _constrain(regions.find_by_name(name, year), province, prefecture)
        region = _one(regions.narrow_by_context(cands, s + context))
        if not region:  # still say what all candidates (of any year) agree on
            anyyear = regions.narrow_by_context(
                _constrain(regions.find_by_name(name, None), province, prefecture), s + context
            )
            prefecture = prefecture or _common(r.prefecture for r in anyyear)
            province = province or _common(r.province for r in anyyear)
    elif prefecture and prefecture in regions.county_names():
        # prefectures without counties (东莞市, 中山市) are their own county-level unit
        cands = _constrain(regions.find_by_name(prefecture, year), province, prefecture)
        has_county, region = bool(cands), _one(cands)
    rest = s[pos:]

    agency_type: str | None
    unit: str | None
    # 苍南县人民政府灵溪镇人民政府 is rare, 西湖区人民政府北山街道办事处 is common
    town = (_TOWN.match(rest[4:]) if rest.startswith("人民政府") else None) or _TOWN.match(rest)
    if town:
        agency_type, unit = "township", town.group("town")
        if not town.group("tail"):
            s += "办事处" if unit.endswith("街道") else "人民政府"
        if not has_county:
            region = _place_from_body(unit, year, province, prefecture, context, township=True)
    elif rest in _GOVERNMENT_TAILS and (has_county or prefecture or province):
        agency_type, unit = "government", None
        if not rest:
            s += "人民政府"
    else:
        unit = rest
        agency_type = "department"
        branch = _BRANCH.match(rest)
        if not has_county and branch:
            cands = _constrain(regions.find_by_name(branch.group("place"), year), province, prefecture)
            if cands:
                unit = branch.group("dept")[:-1] + "分局"
                region = _one(regions.narrow_by_context(cands, s + context))
        elif not (has_county or prefecture or province):
            if not _OFFICE_WORD.search(rest):
                agency_type, unit = "government", None  # an unlisted place, e.g. 平潭综合实验区
            region = _embedded_county(s, year, context) or _place_from_body(
                rest, year, province, prefecture, context, township=False
            )

    if region:
        prefecture, province = region.prefecture, region.province
    return AgencyInfo(
        s,
        agency_type,
        unit,
        region,
        prefecture,
        province,
        _level(agency_type, region, has_county, prefecture, province),
    )


def _level(
    agency_type: str | None, region: Region | None, has_county: bool, prefecture: str | None, province: str | None
) -> str | None:
    """The body's level. A county printed in the name (even one ambiguous in this year) makes it a county body,
    never a city one: its code stays unknown rather than falling back to the city's."""
    if agency_type == "township":
        return "township"
    if region or has_county:
        return "county"
    if prefecture and prefecture != province:
        return "prefecture"
    if province:
        return "province"
    return None


def level_region(info: AgencyInfo) -> tuple[str | None, str | None]:
    """(region_code, region_name) at the body's level: the county for county and township bodies, the city for
    prefecture-level bodies (淮安市人民政府 → 320800), the province for provincial ones (→ 330000). None where
    the name does not single one out (a city name shared by two provinces)."""
    if info.region:
        return info.region.code, info.region.name
    if info.level == "prefecture" and info.prefecture:
        prefs = [
            p for p in regions.find_prefectures(info.prefecture) if not info.province or p.province == info.province
        ]
        if len({p.code for p in prefs}) == 1:
            return prefs[0].code, prefs[0].name
    if info.level == "province" and info.province:
        codes = [c for c, n in regions.province_names_by_code().items() if n == info.province]
        if len(codes) == 1:
            return regions.province_code6(codes[0]), info.province
    return None, None


def _place_from_body(
    name: str, year: int | None, province: str | None, prefecture: str | None, context: str, *, township: bool
) -> Region | None:
    """The county of a body printed without one: from the report's preamble naming it in full,
    else (townships only) from the shipped township list."""
    printed = _counties_printed_before(name, _preamble(context))
    cands: list[Region] = []
    for county in printed:
        cands += _constrain(regions.find_by_name(county, year), province, prefecture)
    if printed:
        return _one(regions.narrow_by_context(cands, context))
    if not township:
        return None
    return _one(_constrain(regions.find_township(name, year, context), province, prefecture))


def _embedded_county(s: str, year: int | None, context: str) -> Region | None:
    """A county printed inside a longer name: 国家税务总局温州市洞头区税务局 (prefecture first),
    中共嵊泗县委办公室 (a county name alone, used only when it names one unit)."""
    prefs, counties = regions.prefecture_names(), regions.county_names()
    for i in range(len(s)):
        pref = _longest_prefix(s, i, prefs)
        name = _longest_prefix(s, i + len(pref), counties) if pref else None
        if pref and name:
            return _one(_constrain(regions.find_by_name(name, year), None, pref))
    for i in range(len(s)):
        name = _longest_prefix(s, i, counties)
        if name:
            return _one(regions.find_by_name(name, year, s + context))
    return None


# --- entry point ---------------------------------------------------------------------------


def read_metadata(pages_text: list[str], file_name: str = "") -> Metadata:
    """Metadata of one report from the plain text of its pages (page 1 first).

    Without a printed title, the agency and year come from the sentence that names the report
    (特向社会公布…年度报告), else from ``file_name`` when it is a full title
    (…政府信息公开工作年度报告.pdf); ``title`` then stays None. ``template`` is left to the caller."""
    text = "\n".join(pages_text)
    title = next((t for t in map(find_title, pages_text[:2]) if t), None)
    named = title
    if named is None:
        m = _BODY_TITLE.search(_compact("\n".join(pages_text[:2])))
        named = m.group(0)[2:] if m else None  # without 公布/发布
    if named is None and file_name:
        stem = _compact(re.sub(r"\.[A-Za-z0-9]{2,4}$", "", file_name.rsplit("/", 1)[-1]))
        m = _TITLE_END.search(stem)
        named = stem[: m.end()] if m else None
    meta = Metadata(title=title)
    agency, title_year = split_title(named) if named else ("", None)
    meta.report_year = report_year(title_year, text)
    if agency:
        info = parse_agency(agency, meta.report_year, text)
        meta.agency, meta.agency_type, meta.unit = info.agency, info.agency_type, info.unit
        meta.prefecture, meta.province, meta.level = info.prefecture, info.province, info.level
        meta.region_code, meta.region_name = level_region(info)
    return meta
