"""Cell text → number: every printed form of a value seen in reports."""

from __future__ import annotations

import pytest

from gidar.extract.numbers import is_value_token, parse_cell


@pytest.mark.parametrize(
    ("text", "vtype", "value"),
    [
        ("12", "count", 12),
        ("１２", "count", 12),  # full-width digits
        ("\u3000\u300059", "count", 59),  # ideographic-space padding
        ("3,831", "count", 3831),
        ("+650", "signed", 650),
        ("-95", "signed", -95),
        ("－95", "signed", -95),  # full-width minus
        ("43,901,121.85", "money", 43901121.85),
        ("251000元", "money", 251000.0),
        ("4068.208", "money", 4068.208),
        ("３１０,０００", "money", 310000.0),
        ("7件", "count", 7),
    ],
)
def test_numbers(text: str, vtype: str, value: float) -> None:
    p = parse_cell(text, vtype)  # type: ignore[arg-type]
    assert p.value == value
    assert type(p.value) is type(value)


@pytest.mark.parametrize("text", ["", "\u3000", "/", "-", "—", "－", "–", "无", "／"])
def test_zero_forms_are_zero_with_a_flag(text: str) -> None:
    p = parse_cell(text)
    assert p.value == 0
    assert p.flags and p.flags[0] in ("blank_as_zero", "marker_as_zero")


@pytest.mark.parametrize("text", ["12a", "1.2.3", "abc", "12,34", "2023年"])
def test_junk_is_not_a_number(text: str) -> None:
    assert parse_cell(text).value is None


def test_signs_and_separators_are_flagged() -> None:
    assert "plus_sign" in parse_cell("+650", "signed").flags
    assert "thousands" in parse_cell("3,831").flags
    assert "negative" in parse_cell("-3").flags  # a negative count is suspicious


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("0", True),
        ("—", True),
        ("/", True),
        ("12.5", True),
        ("一", False),
        ("规章", False),
        ("2023年", False),
        ("第2页", False),
    ],
)
def test_value_tokens(text: str, token: bool) -> None:
    assert is_value_token(text) is token


@pytest.mark.parametrize(
    ("text", "vtype", "value", "unit"),
    [
        ("_", "count", 0, None),  # an underscore for zero
        ("＿", "count", 0, None),
        ("1，234", "count", 1234, None),  # full-width separator
        ("1 234", "count", 1234, None),  # thin space (as one word)
        ("＋12", "signed", 12, None),
        ("－3", "signed", -3, None),
        ("\u22123", "signed", -3, None),  # U+2212 MINUS SIGN
        ("１２．５", "money", 12.5, None),  # full-width decimal point
        ("-76宗", "signed", -76, "宗"),
        ("124宗", "count", 124, "宗"),
        ("184719元", "money", 184719.0, "元"),
        ("190.457379", "money", 190.457379, None),  # every printed decimal kept
        ("18.8710", "money", 18.871, None),
    ],
)
def test_more_printed_forms(text: str, vtype: str, value: float, unit: str | None) -> None:
    p = parse_cell(text, vtype)  # type: ignore[arg-type]
    assert p.value == value and type(p.value) is type(value)
    assert p.unit == unit


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("3,9", True),
        ("11,", True),
        ("，", True),
        ("190.", True),
        ("５，２１２．９５万", True),  # a line wrap cut its unit: 万 / 元
        ("-3万", True),
        ("万", False),
        ("万元", False),
        ("3,977", False),
        ("77", False),
        ("1.", False),
        ("-", False),
    ],
)
def test_pieces_of_wrapped_numbers(text: str, fragment: bool) -> None:
    from gidar.extract.numbers import is_fragment

    assert is_fragment(text) is fragment
