"""County-level administrative divisions (GB/T 2260) by report year, and name look-ups.

Data: ``gidar/data/divisions/*.csv`` (today's national list, CC0) plus
``gidar/data/zhejiang_changes.json`` (Zhejiang's units and township moves since 2019) and
``gidar/data/divisions/townships_33.csv`` (Zhejiang's townships → county). Loaded lazily, once.

Years are *report* (statistics) years. Units outside Zhejiang have no recorded history here, so
they count as valid in every year. Name look-ups return every candidate that survives the year
and context filters; callers treat more than one as "unknown" rather than pick one.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, cached_property
from operator import itemgetter
from typing import Any

__all__ = [
    "LEVELS",
    "Division",
    "Prefecture",
    "Region",
    "county_names",
    "division",
    "divisions",
    "find_by_name",
    "find_prefectures",
    "find_township",
    "lookup",
    "narrow_by_context",
    "prefecture_names",
    "prefectures",
    "province_code6",
    "province_names",
    "province_names_by_code",
    "provinces_in_text",
    "short_name",
    "units",
]


@dataclass(frozen=True)
class Region:
    code: str  # 6-digit county-level code, e.g. "330922"
    name: str  # e.g. "嵊泗县"
    prefecture: str | None  # e.g. "舟山市"; the municipality itself for 北京/天津/上海/重庆
    prefecture_code: str | None  # 6-digit, e.g. "330900"
    province: str  # e.g. "浙江省"
    province_code: str  # 2-digit, e.g. "33"
    kind: str  # 市辖区 | 县级市 | 县 | 自治县 | 旗 | 自治旗 | 林区 | 特区


@dataclass(frozen=True)
class Prefecture:
    code: str  # 6-digit
    name: str
    province: str
    province_code: str


# Levels of a reporting body; a region code is always the code of the body's own level (a township body
# carries its county's code: township codes are not shipped for every province).
LEVELS = ("province", "prefecture", "county", "township")


@dataclass(frozen=True)
class Division:
    """One row of the region dimension: a province, a prefecture-level city or a county-level unit."""

    code: str  # 6-digit (province 330000, prefecture 330900, county 330922)
    name: str
    level: str  # province | prefecture | county
    parent_code: str | None  # the prefecture of a county, the province of a prefecture
    province_code: str  # 2-digit
    kind: str  # 省/自治区/直辖市…, 地级市/盟/…, or the county-level kind of `Region`
    valid_from: int | None  # first report year (None: before any recorded history)
    valid_to: int | None  # last report year (None: still valid)


def province_code6(code: str) -> str:
    """ "33" or "330922" → "330000"."""
    return str(code).strip()[:2] + "0000"


@dataclass(frozen=True)
class _Entry:
    region: Region
    first_year: int | None
    last_year: int | None

    def valid(self, year: int | None) -> bool:
        if year is None:
            return True
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )


@dataclass(frozen=True)
class _Town:
    name: str
    code: str  # county code today
    moves: tuple[tuple[int, str], ...]  # (last_year, county code up to and including that year)

    def county(self, year: int | None) -> str:
        if year is not None:
            for last_year, code in sorted(self.moves):
                if year <= last_year:
                    return code
        return self.code


# --- names ---------------------------------------------------------------------------------

_ETHNIC_AUTONOMOUS = re.compile(r"^(.{2,}?)(?:[^族]{1,4}族)+自治(?:县|旗|州|区)$")
_SUFFIXES = ("特别行政区", "自治区", "自治州", "地区", "林区", "特区", "省", "市", "县", "区", "旗", "盟", "州")


def short_name(name: str) -> str | None:
    """The name without its administrative suffix (嵊泗县 → 嵊泗, 景宁畲族自治县 → 景宁,
    广西壮族自治区 → 广西), or None when that would leave fewer than two characters (和县)."""
    m = _ETHNIC_AUTONOMOUS.match(name)
    if m:
        return m.group(1)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def _kind(name: str) -> str:
    for suffix, kind in (
        ("自治县", "自治县"),
        ("自治旗", "自治旗"),
        ("林区", "林区"),
        ("特区", "特区"),
        ("旗", "旗"),
        ("县", "县"),
        ("市", "县级市"),
        ("区", "市辖区"),
    ):
        if name.endswith(suffix):
            return kind
    return "其他"


# --- loading -------------------------------------------------------------------------------


_PADDED = re.compile(r"[^\S\r\n]")  # white space other than line ends: some cell may need stripping


def _data(name: str) -> str:
    """A file of ``gidar/data`` as text, through this module's loader (a zip import reads it too).
    Not `importlib.resources`: its import (zipfile, tempfile, shutil, …) took longer than the
    tables' load, at the first report of every `gidar extract` process."""
    loader = __spec__.loader if __spec__ is not None else None
    path = os.path.join(os.path.dirname(__file__), "data", *name.split("/"))
    if loader is not None and hasattr(loader, "get_data"):
        return loader.get_data(path).decode("utf-8-sig")  # type: ignore[no-any-return]
    with open(path, encoding="utf-8-sig") as f:
        return f.read()


def _rows_named(name: str, *columns: str) -> list[tuple[str, ...]]:
    """The named columns (two or more) of a shipped CSV, in that order, cells stripped; blank lines
    skipped. Read with csv.reader and itemgetter: DictReader's per-row dicts were most of the load."""
    text = _data(name)
    lines = text.splitlines()
    header = [h.strip() for h in next(csv.reader(lines[:1]))]
    at = [header.index(c) for c in columns]
    rows = [row for row in csv.reader(lines[1:]) if row]
    if not _PADDED.search(text) and all(len(row) == len(header) for row in rows):
        get = itemgetter(*at)
        return [get(row) for row in rows]
    return [tuple(row[i].strip() if i < len(row) else "" for i in at) for row in rows]


class _Tables:
    """The loaded tables. Every extraction looks names up, so the name indexes are built at
    load; `Region` objects (and short names) are made on first use, as few reports ask for more
    than a handful of the ~3,000 units."""

    def __init__(self) -> None:
        self.provinces = {
            code: name for code, name in _rows_named("divisions/provinces.csv", "code", "name") if code.isdigit()
        }
        self.prefectures: dict[str, Prefecture] = {}
        for code, name, pcode in _rows_named("divisions/cities.csv", "code", "name", "provinceCode"):
            # 北京/天津/上海/重庆 list their districts under a "市辖区" pseudo-prefecture.
            full = self.provinces[pcode] if name in ("市辖区", "县") else name
            self.prefectures[code] = Prefecture(code + "00", full, self.provinces[pcode], pcode)
        # code → (name, prefecture code (4 digits), province code, first year, last year)
        self.rows: dict[str, tuple[str, str, str, int | None, int | None]] = {
            code: (name, city, prov, None, None)
            for code, name, city, prov in _rows_named("divisions/areas.csv", "code", "name", "cityCode", "provinceCode")
        }
        changes = json.loads(_data("zhejiang_changes.json"))
        for u in changes["units"]:
            self.rows[u["code"]] = (u["name"], u["cityCode"], u["provinceCode"], u["first_year"], u["last_year"])
        self._township_moves: list[dict[str, Any]] = changes["township_moves"]
        by_name: dict[str, list[str]] = defaultdict(list)
        for code, row in self.rows.items():
            by_name[row[0]].append(code)
        self.by_name = dict(by_name)
        pref_by_name: dict[str, list[Prefecture]] = defaultdict(list)
        for p in self.prefectures.values():
            pref_by_name[p.name].append(p)
        self.pref_by_name = dict(pref_by_name)
        self.county_names = frozenset(self.by_name)
        self.prefecture_names = frozenset(self.pref_by_name)
        self.province_names = frozenset(self.provinces.values())
        self._entries: dict[str, _Entry] = {}

    def entry(self, code: str) -> _Entry | None:
        e = self._entries.get(code)
        if e is None:
            row = self.rows.get(code)
            if row is None:
                return None
            name, city, prov, first, last = row
            pref = self.prefectures.get(city)
            region = Region(
                code=code,
                name=name,
                prefecture=pref.name if pref else None,
                prefecture_code=pref.code if pref else None,
                province=self.provinces[prov],
                province_code=prov,
                kind=_kind(name),
            )
            e = self._entries[code] = _Entry(region, first, last)
        return e

    def entries(self) -> list[_Entry]:
        """Every unit, in the order of the tables (areas.csv, then units only Zhejiang's history has)."""
        return [e for e in map(self.entry, self.rows) if e is not None]

    def named(self, name: str) -> list[_Entry]:
        return [e for e in map(self.entry, self.by_name.get(name, ())) if e is not None]

    @cached_property
    def towns(self) -> dict[str, list[_Town]]:
        """Zhejiang's townships by name: built when a township body is first looked up (few reports)."""
        moves: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for m in self._township_moves:
            for n in m["names"]:
                moves[f"{m['to_code']}:{n}"].append((m["last_year"], m["from_code"]))
        towns: dict[str, list[_Town]] = defaultdict(list)
        for name, area in _rows_named("divisions/townships_33.csv", "name", "areaCode"):
            towns[name].append(_Town(name, area, tuple(moves.get(f"{area}:{name}", ()))))
        return dict(towns)

    @cached_property
    def by_short(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for code, row in self.rows.items():
            s = short_name(row[0])
            if s:
                out[s].append(code)
        return dict(out)

    def short_named(self, short: str) -> list[_Entry]:
        return [e for e in map(self.entry, self.by_short.get(short, ())) if e is not None]


@cache
def _tables() -> _Tables:
    return _Tables()


# --- public API ----------------------------------------------------------------------------


def lookup(code: str, year: int | None) -> Region | None:
    """The county-level unit with this code, if it existed in report year ``year``."""
    e = _tables().entry(str(code).strip())
    return e.region if e and e.valid(year) else None


def units(province_code: str, year: int | None) -> list[Region]:
    """All county-level units of a province valid in ``year``, by code. ``province_code`` may be
    "33" or "330000"."""
    pc = str(province_code).strip()[:2]
    es = _tables().entries()
    return sorted((e.region for e in es if e.region.province_code == pc and e.valid(year)), key=lambda r: r.code)


def prefectures(province_code: str) -> list[Prefecture]:
    """Prefecture-level units of a province, by code (e.g. Zhejiang's 11 cities)."""
    pc = str(province_code).strip()[:2]
    return sorted((p for p in _tables().prefectures.values() if p.province_code == pc), key=lambda p: p.code)


def county_names() -> frozenset[str]:
    """Every county-level name the tables know, of any year (for scanning text)."""
    return _tables().county_names


def prefecture_names() -> frozenset[str]:
    """Every prefecture-level name (municipalities included)."""
    return _tables().prefecture_names


def province_names_by_code() -> dict[str, str]:
    """2-digit province code → name."""
    return dict(_tables().provinces)


def province_names() -> frozenset[str]:
    """Every province-level name (浙江省, 上海市, 广西壮族自治区, …)."""
    return _tables().province_names


def find_prefectures(name: str) -> list[Prefecture]:
    """Prefecture-level units whose full name is ``name`` (municipalities included)."""
    return list(_tables().pref_by_name.get(name, ()))


def find_by_name(name: str, year: int | None, context_text: str = "") -> list[Region]:
    """County-level units called ``name`` in ``year`` (full name such as 普陀区, or the short
    form 普陀 when no full name matches). Several candidates are narrowed by the prefecture or
    province names found in ``context_text``; an empty list or more than one means unknown."""
    t = _tables()
    key = re.sub(r"\s+", "", name)
    found = [e.region for e in t.named(key) if e.valid(year)]
    if not found and len(key) >= 2:
        found = [e.region for e in t.short_named(key) if e.valid(year)]
    return narrow_by_context(found, context_text)


def narrow_by_context(candidates: list[Region], context_text: str) -> list[Region]:
    """Keep the candidates whose prefecture or province the text names (full names count more
    than short ones); unchanged when the text names none or cannot tell them apart."""
    if len(candidates) <= 1 or not context_text:
        return candidates
    text = re.sub(r"\s+", "", context_text)

    def score(r: Region) -> int:
        s = 0
        for full in {n for n in (r.prefecture, r.province) if n}:
            if full in text:
                s = max(s, 2)
            else:
                short = short_name(full)
                if short and short in text:
                    s = max(s, 1)
        return s

    scored = [(score(r), r) for r in candidates]
    best = max(s for s, _ in scored)
    if best == 0:
        return candidates
    return [r for s, r in scored if s == best]


def provinces_in_text(text: str) -> set[str]:
    """Province codes evidenced by full province or prefecture names in ``text``."""
    t = _tables()
    compact = re.sub(r"\s+", "", text)
    found = {c for c, n in t.provinces.items() if n in compact}
    for pname, prefs in t.pref_by_name.items():
        if pname in compact:
            found.update(p.province_code for p in prefs)
    return found


def find_township(name: str, year: int | None, context_text: str = "") -> list[Region]:
    """County-level units that have a township (街道/镇/乡) called ``name`` in ``year``.

    Only Zhejiang's townships are shipped, so a text that evidences only other provinces gets
    no answer. Same-named townships are narrowed by the county, prefecture or province names
    in ``context_text``."""
    t = _tables()
    towns: list[_Town] = t.towns.get(re.sub(r"\s+", "", name), [])
    if not towns:
        return []
    evidenced = provinces_in_text(context_text) if context_text else set()
    if evidenced and "33" not in evidenced:
        return []
    found: list[Region] = []
    for town in towns:
        r = lookup(town.county(year), year)
        if r and r not in found:
            found.append(r)
    if len(found) > 1 and context_text:
        compact = re.sub(r"\s+", "", context_text)
        named = [r for r in found if r.name in compact]
        found = named if len(named) == 1 else narrow_by_context(found, context_text)
    return found


def _province_kind(name: str) -> str:
    for suffix in ("特别行政区", "自治区", "省", "市"):
        if name.endswith(suffix):
            return {"市": "直辖市"}.get(suffix, suffix)
    return "其他"


def _prefecture_kind(name: str, municipality: bool) -> str:
    if municipality:
        return "直辖市辖区"
    for suffix in ("自治州", "地区", "盟", "市"):
        if name.endswith(suffix):
            return {"市": "地级市"}.get(suffix, suffix)
    return "其他"


@cache
def divisions() -> tuple[Division, ...]:
    """Every province, prefecture-level and county-level unit with its parent and validity (report years).

    A prefecture-level city without counties (东莞市 441900) is listed twice, as the prefecture and as its own
    county-level unit, with the same code: codes are unique per level."""
    t = _tables()
    municipalities = {p.province_code for p in t.prefectures.values() if p.name == p.province}
    out = [Division(c + "0000", n, "province", None, c, _province_kind(n), None, None) for c, n in t.provinces.items()]
    out += [
        Division(
            p.code,
            p.name,
            "prefecture",
            province_code6(p.province_code),
            p.province_code,
            _prefecture_kind(p.name, p.province_code in municipalities),
            None,
            None,
        )
        for p in t.prefectures.values()
    ]
    for e in t.entries():
        r = e.region
        out.append(
            Division(r.code, r.name, "county", r.prefecture_code, r.province_code, r.kind, e.first_year, e.last_year)
        )
    return tuple(sorted(out, key=lambda d: (d.code, LEVELS.index(d.level))))


def division(code: str, level: str) -> Division | None:
    """The unit with this code at this level (validity not checked)."""
    return _by_code_level().get((code, level))


@cache
def _by_code_level() -> dict[tuple[str, str], Division]:
    return {(d.code, d.level): d for d in divisions()}
