"""Layout options of one synthetic report, drawn per report from a seeded RNG.

Each field is one phenomenon of real reports (docs/domain.md §4.2). `CHOICES` lists every value a
categorical option can take, so tests can force each one.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, replace
from typing import Any

TABLES = ("t2", "t3", "t4")

CHOICES: dict[str, tuple[Any, ...]] = {
    "rules": ("all", "hrules", "none"),
    "frame": (False, True),
    "title_form": ("agency_year", "year_agency", "two_lines"),
    "footer": ("第{p}页", "- {p} -", "— {p} —", "{p}", ""),
    "t2_layout": ("blocks", "single"),
    "t2_caption": ("row", "line"),
    "t3_group_style": ("vertical", "wrapped"),
    "t3_label_width": ("wide", "narrow"),
    "t3_break": ("none", "natural", "forced"),
    "repeat_header": (False, True),
    "t3_note": ("above", "corner", "none"),
    "t4_layout": ("wide", "stacked"),
    "numbering": ("1.", "1、", "1．"),
    "half_width_parens": (False, True),
    "caption_space": (False, True),
    "use_variants": (False, True),
    "zero": ("0", "", "/", "-", "—", "_"),
    "fullwidth_digits": (False, True),
    "pad": ("", "　", "　　"),
    "thousands": (False, True),
    "plus_sign": (False, True),
    "money_unit": ("none", "cell", "header"),
    "value_align": ("center", "right"),
    "label_align": ("left", "center"),
    # --- how real publishers bend the template and print their numbers ---------------------
    "thousands_sep": (",", "，", "\u2009"),  # half-width, full-width, thin space
    "sign_form": ("ascii", "fullwidth", "minus"),  # +12/-3, ＋12/－3, +12/−3 (U+2212)
    "section_numbering": ("、", "（）"),  # 一、本年新收… or （一）本年新收…
    "label_notes": (False, True),  # Hubei-style explanations in brackets, years inside headers
    "spaced_labels": (False, True),  # 规 章: a space inside short row labels
    "cell_newline": (False, True),  # value cells padded with a line break
    "trailing_columns": (0, 1, 2),  # empty columns right of tables 二 and 三
    "caption_missing": (False, True),  # no 第二十条第（一）项 caption row
    "count_unit": ("", "件", "宗", "个"),  # a unit printed in table-二 count cells (124宗)
    "money_decimals": ("auto", "4", "6"),  # 万元 amounts printed with 4 or 6 decimals (18.8710)
    "money_unit_name": ("template", "other"),  # 2021 fee in 元 (not 万元); 2019 purchase in 万元
    "narrow_values": (False, True),  # value columns too narrow for long numbers: they wrap
}
# Deviations drawn less often than uniformly (a report rarely has them), with their odds.
RARE: dict[str, tuple[tuple[Any, float], ...]] = {
    "t2_mixed": ((False, 0.7), (True, 0.3)),  # 2021+ report printing table 二 in the 2019 layout
    "extra_row": ((False, 0.7), (True, 0.3)),  # 其他主动公开文件（…） added to table 二
    "blank_table": ((None, 0.88), ("t2", 0.04), ("t3", 0.04), ("t4", 0.04)),  # an unfilled table
}


# The options that bend the template or print numbers in the forms real reports use.
BENDS: tuple[str, ...] = (
    "thousands_sep",
    "sign_form",
    "section_numbering",
    "label_notes",
    "spaced_labels",
    "cell_newline",
    "trailing_columns",
    "caption_missing",
    "count_unit",
    "money_decimals",
    "money_unit_name",
    "narrow_values",
    *RARE,
)


@dataclass(frozen=True)
class LayoutOptions:
    rules: str = "all"
    frame: bool = False
    title_form: str = "agency_year"
    footer: str = "第{p}页"
    body_size: float = 12.0
    title_size: float = 20.0
    table_size: dict[str, float] = field(default_factory=lambda: {"t2": 10.0, "t3": 9.0, "t4": 9.0})
    margins_cm: tuple[float, float, float, float] = (2.8, 3.0, 2.6, 2.8)  # left, top, right, bottom
    table_width_frac: float = 1.0
    value_width: float = 34.0  # points per value column of table 三
    t2_layout: str = "blocks"
    t2_caption: str = "row"
    t3_group_style: str = "wrapped"
    t3_label_width: str = "wide"
    t3_break: str = "none"
    t3_break_row: int = 10  # body row index before which a forced break goes
    repeat_header: bool = False
    t3_note: str = "above"
    t4_layout: str = "wide"
    numbering: str = "1."
    half_width_parens: bool = False
    caption_space: bool = False
    use_variants: bool = False
    zero: str = "0"
    zero_tables: tuple[str, ...] = TABLES
    fullwidth_digits: bool = False
    fullwidth_tables: tuple[str, ...] = TABLES
    pad: str = ""
    pad_tables: tuple[str, ...] = ("t2",)
    thousands: bool = False
    plus_sign: bool = True
    money_unit: str = "none"
    money_two_decimals: bool = True
    value_align: str = "center"
    label_align: str = "left"
    signature: bool = True
    narrative_mismatch: bool = False  # set on request, never drawn
    thousands_sep: str = ","
    sign_form: str = "ascii"
    section_numbering: str = "、"
    label_notes: bool = False
    spaced_labels: bool = False
    cell_newline: bool = False
    trailing_columns: int = 0
    caption_missing: bool = False
    count_unit: str = ""
    money_decimals: str = "auto"
    money_unit_name: str = "template"
    narrow_values: bool = False
    t2_mixed: bool = False
    extra_row: bool = False
    extra_row_zero: bool = False  # the extra row's values all 0 (printed blank with zero=""); tests only
    blank_table: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["margins_cm"] = list(self.margins_cm)
        d["zero_tables"] = list(self.zero_tables)
        d["fullwidth_tables"] = list(self.fullwidth_tables)
        d["pad_tables"] = list(self.pad_tables)
        return d

    def with_(self, **changes: Any) -> LayoutOptions:
        return replace(self, **changes)

    def unbent(self) -> LayoutOptions:
        """The same layout with none of the `BENDS` (a report that keeps to the template)."""
        plain = LayoutOptions()
        return replace(self, **{k: getattr(plain, k) for k in BENDS})

    @property
    def variant(self) -> str:
        return {"all": "ruled", "hrules": "hrules", "none": "norules"}[self.rules]

    def describe(self) -> str:
        bits = [
            {"all": "full rules", "hrules": "horizontal rules only", "none": "no rules"}[self.rules],
            "page frame" if self.frame else "",
            f"table 三 labels {self.t3_group_style}/{self.t3_label_width}",
            {"none": "", "natural": "table 三 split by the page end", "forced": "table 三 split by a page break"}[
                self.t3_break
            ],
            "header repeated" if self.repeat_header and self.t3_break != "none" else "",
            f"zero {self.zero!r}" if self.zero != "0" else "",
            "full-width digits" if self.fullwidth_digits else "",
            "U+3000 padding" if self.pad else "",
            "thousands separators" if self.thousands else "",
            f"money unit in {self.money_unit}" if self.money_unit != "none" else "",
            "label drift" if (self.numbering != "1." or self.half_width_parens or self.caption_space) else "",
            "table 二 in the 2019 layout" if self.t2_mixed else "",
            "extra table-二 row" if self.extra_row else "",
            f"table {self.blank_table} left blank" if self.blank_table else "",
            "narrow value columns (numbers wrap)" if self.narrow_values else "",
        ]
        return "reportlab canvas (synth): " + ", ".join(b for b in bits if b)


def _subset(rng: random.Random) -> tuple[str, ...]:
    picked = tuple(t for t in TABLES if rng.random() < 0.6)
    return picked or (rng.choice(TABLES),)


def draw_options(rng: random.Random) -> LayoutOptions:
    """Random layout options; every categorical option is drawn uniformly from `CHOICES`."""
    pick = {k: rng.choice(v) for k, v in CHOICES.items()}
    for k, odds in RARE.items():
        pick[k] = rng.choices([v for v, _ in odds], weights=[w for _, w in odds])[0]
    body = rng.choice([10.5, 12.0, 13.0, 14.0])
    t3 = rng.choice([8.0, 8.5, 9.0, 9.5, 10.0])
    return LayoutOptions(
        **pick,
        body_size=body,
        title_size=rng.choice([16.0, 18.0, 20.0, 22.0]),
        table_size={"t2": rng.choice([9.0, 10.0, 10.5]), "t3": t3, "t4": rng.choice([8.0, 9.0, t3])},
        margins_cm=(
            round(rng.uniform(2.2, 3.2), 1),
            round(rng.uniform(2.4, 3.7), 1),
            round(rng.uniform(2.2, 3.0), 1),
            round(rng.uniform(2.3, 3.5), 1),
        ),
        table_width_frac=round(rng.uniform(0.92, 1.0), 2),
        value_width=round(rng.uniform(t3 * 3.0, t3 * 4.2), 1),
        t3_break_row=rng.randint(3, 18),
        zero_tables=_subset(rng),
        fullwidth_tables=_subset(rng),
        pad_tables=_subset(rng),
        money_two_decimals=rng.random() < 0.6,
        signature=rng.random() < 0.7,
    )
