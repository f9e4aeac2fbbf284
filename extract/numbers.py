"""Printed cell text → number.

Reports print the same value many ways: full-width digits, signs and decimal points (``１２``,
``＋12``, ``－3``, ``−3``, ``１２．５``), U+3000 padding, thousands separators half- or full-width
or as thin spaces (``43,901,121.85``, ``1，234``, ``1 234``), signs (``+650``/``-95``), units in
the cell (``251000元``, ``-76宗``), and zero as blank, ``0``, ``/``, ``-``, ``—``, ``_`` or ``无``.
`parse_cell` folds all of these, returns the unit as printed, and says what it assumed in
``flags``; the raw string is always kept by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from gidar.templates import CELL_UNITS, ValueType

# Printed "nothing here" markers, after NFKC (so － ／ ＿ become - / _).
ZERO_MARKERS = frozenset({"/", "-", "—", "–", "——", "--", "―", "一", "无", "\\", "×", "_", "__"})
# Minus signs NFKC leaves alone (U+2212 MINUS SIGN from Word's autocorrect, figure dash, …).
_MINUS = str.maketrans({"\u2212": "-", "\u2012": "-", "\ufe63": "-", "\u2010": "-", "\u2011": "-"})
_HAS_MINUS = re.compile("[\u2212\u2012\ufe63\u2010\u2011]").search  # str.translate is slow on CJK text
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
# A piece of a number cut by a line wrap inside a narrow cell: it ends inside a thousands group
# (``3,9`` of ``3,977``, ``11,`` of ``11,113``, a lone ``，``) or on the decimal point (``190.`` of
# ``190.4573``).
_FRAGMENT = re.compile(r"^[+-]?(?:\d{1,3},)+\d{0,2}$|^[+-]?[\d,]*\d\d\.$|^[,.]\d{0,2}$")
# ...or inside its unit: ``5,212.95万`` over ``元`` (the starts of the units of more than one character).
UNIT_HEADS = tuple(dict.fromkeys(u[:i] for u in CELL_UNITS for i in range(1, len(u))))


@dataclass(frozen=True)
class Parsed:
    value: int | float | None
    flags: tuple[str, ...] = field(default=())
    unit: str | None = None  # unit printed in the cell (元, 万元, 宗, 件, …)

    @property
    def ok(self) -> bool:
        return self.value is not None


def fold(text: str) -> str:
    """NFKC, one minus sign, and no white space of any kind (U+3000 padding, thin spaces)."""
    s = unicodedata.normalize("NFKC", text)
    return "".join((s.translate(_MINUS) if _HAS_MINUS(s) else s).split())


@lru_cache(maxsize=1 << 14)
def is_value_token(text: str) -> bool:
    """True when a printed word is a table value: a number or a zero marker (not prose)."""
    s = fold(text)
    if not s:
        return False
    # A lone 一 is both a zero marker and a CJK word; only dashes count as tokens here.
    if s in ZERO_MARKERS and s not in ("一", "无"):
        return True
    return parse_cell(text, "money").ok and s not in ("一", "无")


@lru_cache(maxsize=1 << 14)
def is_fragment(text: str) -> bool:
    """True for a piece of a number that a line wrap cut off (never a whole value on its own)."""
    s = fold(text)
    if _FRAGMENT.match(s):
        return True
    head = next((h for h in UNIT_HEADS if s.endswith(h) and len(s) > len(h)), None)
    return head is not None and _NUMBER.match(s[: -len(head)]) is not None


@lru_cache(maxsize=1 << 14)
def is_unit(text: str) -> bool:
    """A unit on its own (``宗`` wrapped below ``19,474`` in a narrow cell)."""
    return fold(text) in CELL_UNITS


def strip_unit(s: str, heads: bool = False) -> tuple[str, str | None]:
    """Folded cell text without a trailing unit, and that unit; with ``heads``, also without
    the start of one that a line wrap cut (``万`` of ``万元``)."""
    for unit in CELL_UNITS + (UNIT_HEADS if heads else ()):
        if s.endswith(unit) and len(s) > len(unit):
            return s[: -len(unit)], unit
    return s, None


@lru_cache(maxsize=1 << 14)  # the same few hundred texts in every report; a `Parsed` is frozen
def parse_cell(text: str, value_type: ValueType = "count") -> Parsed:
    """Parse one printed cell. Blank and zero markers are 0 with a flag; junk is None.

    The value is the number as printed: a unit in the cell is returned, never converted, and
    money keeps every printed decimal."""
    s = fold(text)
    if not s:
        return Parsed(0, ("blank_as_zero",))
    if s in ZERO_MARKERS:
        return Parsed(0, ("marker_as_zero",))
    flags: list[str] = []
    s, unit = strip_unit(s)
    if unit:
        flags.append(f"unit:{unit}")
    m = _NUMBER.match(s)
    if not m:
        return Parsed(None, ("unparsed",), unit)
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
    return Parsed(value, tuple(flags), unit)
