"""Printed cell text → number.

Reports print the same value many ways: full-width digits (``１２``), U+3000 padding, thousands
separators (``43,901,121.85``), signs (``+650``/``-95``), units in the cell (``251000元``), and
zero as blank, ``0``, ``/``, ``-``, ``—`` or ``无``. `parse_cell` folds all of these and says
what it assumed in ``flags``; the raw string is always kept by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from gidar.templates import ValueType

# Printed "nothing here" markers, after NFKC (so － ／ become - /).
ZERO_MARKERS = frozenset({"/", "-", "—", "–", "——", "--", "―", "一", "无", "\\", "×"})
_UNITS = ("万元", "元", "件", "个", "项", "条", "次", "人")
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")


@dataclass(frozen=True)
class Parsed:
    value: int | float | None
    flags: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.value is not None


def fold(text: str) -> str:
    """NFKC and drop every kind of white space (U+3000 padding included)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def is_value_token(text: str) -> bool:
    """True when a printed word is a table value: a number or a zero marker (not prose)."""
    s = fold(text)
    if not s:
        return False
    # A lone 一 is both a zero marker and a CJK word; only dashes count as tokens here.
    if s in ZERO_MARKERS and s not in ("一", "无"):
        return True
    return parse_cell(text, "money").ok and s not in ("一", "无")


def parse_cell(text: str, value_type: ValueType = "count") -> Parsed:
    """Parse one printed cell. Blank and zero markers are 0 with a flag; junk is None."""
    s = fold(text)
    if not s:
        return Parsed(0, ("blank_as_zero",))
    if s in ZERO_MARKERS:
        return Parsed(0, ("marker_as_zero",))
    flags: list[str] = []
    for unit in _UNITS:
        if s.endswith(unit) and len(s) > len(unit):
            s = s[: -len(unit)]
            flags.append(f"unit:{unit}")
            break
    s = s.replace("，", ",")
    m = _NUMBER.match(s)
    if not m:
        return Parsed(None, ("unparsed",))
    sign, whole, frac = m.groups()
    digits = whole.replace(",", "")
    if "," in whole:
        flags.append("thousands")
    if sign == "+":
        flags.append("plus_sign")
    if sign == "-" and value_type != "signed":
        flags.append("negative")
    value: int | float
    value = float(digits + (frac or "")) if frac or value_type == "money" else int(digits)
    if sign == "-":
        value = -value
    return Parsed(value, tuple(flags))
