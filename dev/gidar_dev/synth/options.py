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
    "zero": ("0", "", "/", "-", "—"),
    "fullwidth_digits": (False, True),
    "pad": ("", "　", "　　"),
    "thousands": (False, True),
    "plus_sign": (False, True),
    "money_unit": ("none", "cell", "header"),
    "value_align": ("center", "right"),
    "label_align": ("left", "center"),
}


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

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["margins_cm"] = list(self.margins_cm)
        d["zero_tables"] = list(self.zero_tables)
        d["fullwidth_tables"] = list(self.fullwidth_tables)
        d["pad_tables"] = list(self.pad_tables)
        return d

    def with_(self, **changes: Any) -> LayoutOptions:
        return replace(self, **changes)

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
        ]
        return "reportlab canvas (synth): " + ", ".join(b for b in bits if b)


def _subset(rng: random.Random) -> tuple[str, ...]:
    picked = tuple(t for t in TABLES if rng.random() < 0.6)
    return picked or (rng.choice(TABLES),)


def draw_options(rng: random.Random) -> LayoutOptions:
    """Random layout options; every categorical option is drawn uniformly from `CHOICES`."""
    pick = {k: rng.choice(v) for k, v in CHOICES.items()}
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
