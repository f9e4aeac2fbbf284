"""How values and labels are printed: zero styles, digit width, padding, separators, signs,
money units, and label drift (numbering, parenthesis width, caption spacing, wording variants)."""

from __future__ import annotations

import random
import re

from gidar.templates import ValueType
from gidar_dev.synth.options import LayoutOptions

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_NUMBERED = re.compile(r"^(\d+)\.")


def money_unit(template_version: str) -> str:
    """The unit money is printed in: 元 for 2019 采购总金额, 万元 for the 2021 fee column."""
    return "万元" if template_version == "v2021" else "元"


def _plain_money(value: float, opts: LayoutOptions) -> str:
    if float(value).is_integer() and not opts.money_two_decimals:
        return f"{int(value):,}" if opts.thousands else str(int(value))
    if round(value, 2) == value:
        return f"{value:,.2f}" if opts.thousands else f"{value:.2f}"
    s = f"{value:.4f}".rstrip("0").rstrip(".")
    if opts.thousands:
        whole, _, frac = s.partition(".")
        s = f"{int(whole):,}" + (f".{frac}" if frac else "")
    return s


def format_value(value: int | float, vtype: ValueType, table: str, opts: LayoutOptions, version: str) -> str:
    """The exact printed text of one cell."""
    if value == 0 and table in opts.zero_tables:
        s = opts.zero
    elif vtype == "money":
        s = _plain_money(float(value), opts)
        if opts.money_unit == "cell":
            s += money_unit(version)
    else:
        n = int(value)
        s = f"{abs(n):,}" if opts.thousands else str(abs(n))
        if n < 0:
            s = "-" + s
        elif vtype == "signed" and n > 0 and opts.plus_sign:
            s = "+" + s
    if opts.fullwidth_digits and table in opts.fullwidth_tables:
        s = s.translate(_FULLWIDTH)
    if s and opts.pad and table in opts.pad_tables:
        s = opts.pad + s
    return s


def drift(label: str, opts: LayoutOptions) -> str:
    """A canonical label as this report prints it (punctuation drift only, no wording change)."""
    s = _NUMBERED.sub(lambda m: m.group(1) + opts.numbering[-1], label)
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
