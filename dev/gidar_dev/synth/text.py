"""How values and labels are printed: zero styles, digit width, padding, separators, signs,
money units and decimals, units in cells, and label drift (numbering, parenthesis width, caption
spacing, wording variants, explanations in brackets, years inside headers, spaced labels)."""

from __future__ import annotations

import random
import re

from gidar.templates import ValueType
from gidar_dev.synth.options import LayoutOptions

_FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
_NUMBERED = re.compile(r"^(\d+)\.")
_SECTION = re.compile(r"^([一二三四五六七八九十]+)、")
THIN_SPACE = "\u2009"
_SIGNS = {"ascii": ("+", "-"), "fullwidth": ("＋", "－"), "minus": ("+", "\u2212")}

# Explanations publishers add in brackets (Hubei's 2020 tables, docs/domain.md §2.1), by canonical
# label; {y} is the report year, {p} the year before.
LABEL_NOTES: dict[str, tuple[str, ...]] = {
    "规章": ("（设区的市、自治州人民政府应提供相关数据）", "（制度）"),
    "规范性文件": ("（行政机关制定发布的涉及公民、法人和其他组织权利义务的文件）",),
    "行政规范性文件": ("（行政机关制定发布的涉及公民、法人和其他组织权利义务的文件）",),
    "上一年项目数量": ("（指{p}年事项数）",),
    "本年增/减": ("（增加用正值表示，减少用负值表示，如-8）",),
    "处理决定数量": ("（指{y}年办件量）",),
}
# A year inside a header, after this word: 本年（2023）制发件数.
YEAR_AFTER = "本年"
EXTRA_ROW_LABELS = (
    "其他主动公开文件（指除规章、规范性文件以外的其他文件）",
    "其他主动公开文件（行政机关主动公开的其他文件）",
)


def money_unit(template_version: str, opts: LayoutOptions | None = None) -> str:
    """The unit money is printed in: 元 for 2019 采购总金额, 万元 for the 2021 fee column, the
    other one when the report deviates (`money_unit_name`)."""
    own = "万元" if template_version == "v2021" else "元"
    if opts is not None and opts.money_unit_name == "other":
        return "元" if own == "万元" else "万元"
    return own


def _group(whole: str, sep: str) -> str:
    return f"{int(whole):,}".replace(",", sep)


def _plain_money(value: float, opts: LayoutOptions, unit: str) -> str:
    sep = opts.thousands_sep
    if float(value).is_integer() and not opts.money_two_decimals and opts.money_decimals == "auto":
        return _group(str(int(value)), sep) if opts.thousands else str(int(value))
    if opts.money_decimals != "auto" and unit == "万元":
        # as many places as asked, never fewer than the value has (money keeps every decimal)
        have = len(f"{value:.6f}".rstrip("0").partition(".")[2])
        s = f"{value:.{max(int(opts.money_decimals), have)}f}"
    elif round(value, 2) == value:
        s = f"{value:.2f}"
    else:
        s = f"{value:.6f}".rstrip("0").rstrip(".")
    if opts.thousands:
        whole, _, frac = s.partition(".")
        s = _group(whole, sep) + (f".{frac}" if frac else "")
    return s


def format_value(
    value: int | float, vtype: ValueType, table: str, opts: LayoutOptions, version: str, *, blank: bool = False
) -> str:
    """The exact printed text of one cell (``blank``: a cell of a table left unfilled)."""
    if blank:
        return ""
    plus, minus = _SIGNS[opts.sign_form]
    if value == 0 and table in opts.zero_tables:
        s = opts.zero
    elif vtype == "money":
        unit = money_unit(version, opts)
        s = _plain_money(float(value), opts, unit)
        if opts.money_unit == "cell":
            s += unit
    else:
        n = int(value)
        s = _group(str(abs(n)), opts.thousands_sep) if opts.thousands else str(abs(n))
        if n < 0:
            s = minus + s
        elif vtype == "signed" and n > 0 and opts.plus_sign:
            s = plus + s
        if table == "t2" and opts.count_unit:
            s += opts.count_unit
    if opts.fullwidth_digits and table in opts.fullwidth_tables:
        s = s.translate(_FULLWIDTH)
    if s and opts.pad and table in opts.pad_tables:
        s = opts.pad + s
    return s


def drift(label: str, opts: LayoutOptions) -> str:
    """A canonical label as this report prints it (punctuation drift only, no wording change)."""
    s = _NUMBERED.sub(lambda m: m.group(1) + opts.numbering[-1], label)
    if opts.section_numbering == "（）":
        s = _SECTION.sub(lambda m: f"（{m.group(1)}）", s)
    if opts.half_width_parens:
        s = s.replace("（", "(").replace("）", ")")
    if opts.caption_space:
        s = s.replace("条第", "条 第")
    return s


def pick_label(label: str, variants: tuple[str, ...], opts: LayoutOptions, rng: random.Random) -> str:
    """Canonical label or (with `use_variants`) one of the registry's wording variants, drifted."""
    if opts.use_variants and variants and rng.random() < 0.7:
        label = rng.choice(variants)
    return drift(label, opts)


def add_note(label: str, printed: str, opts: LayoutOptions, rng: random.Random, year: int) -> tuple[str, str | None]:
    """With `label_notes`: an explanation in brackets after the label (``label_note``), or the
    year inside it (``header_year``); returns the printed text and which it is, if any."""
    if not opts.label_notes:
        return printed, None
    notes = LABEL_NOTES.get(label, ())
    if notes and rng.random() < 0.8:
        return drift(printed + rng.choice(notes).format(y=year, p=year - 1), opts), "label_note"
    if printed.startswith(YEAR_AFTER) and rng.random() < 0.6:
        return printed.replace(YEAR_AFTER, drift(f"{YEAR_AFTER}（{year}）", opts), 1), "header_year"
    return printed, None


def space_out(printed: str, opts: LayoutOptions, rng: random.Random) -> str:
    """With `spaced_labels`: a short label printed with a space inside (规 章)."""
    if opts.spaced_labels and len(printed) <= 4 and rng.random() < 0.7:
        return " ".join(printed) if len(printed) == 2 else printed[:2] + " " + printed[2:]
    return printed
