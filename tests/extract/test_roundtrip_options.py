"""Round trip of one layout option at a time, from a plain baseline (full rules, canonical
labels, plain digits): a failure names the option value the reader cannot handle yet."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gidar.extract.api import extract_file
from gidar.templates import V2021
from gidar_dev.synth import CHOICES, LayoutOptions, SynthReport, make_report
from gidar_dev.synth.compare import bends_diff, truth_diff
from gidar_dev.synth.options import RARE
from gidar_dev.synth.values import draw_values


def roundtrip_errors(report: SynthReport, tmp_path: Path) -> list[str]:
    res = extract_file(report.write(tmp_path, report.truth["id"]))
    errors = truth_diff(report.truth, res.template, res.values, res.violations)
    errors += bends_diff(report.truth, res.to_json())
    if errors:
        errors.insert(0, f"status={res.status}")
    return errors


BASE = LayoutOptions()
CASES = [(k, v) for k, values in CHOICES.items() for v in values if v != getattr(BASE, k)]
CASES += [(k, v) for k, odds in RARE.items() for v, _ in odds if v != getattr(BASE, k)]
# Every way publishers bend the template and print numbers, at once (in both templates).
BENT = BASE.with_(
    rules="none",
    t2_layout="single",
    t3_label_width="narrow",
    numbering="1、",
    half_width_parens=True,
    caption_space=True,
    use_variants=True,
    zero="_",
    zero_tables=("t3",),
    fullwidth_digits=True,
    fullwidth_tables=("t4",),
    pad="　",
    pad_tables=("t2",),
    thousands=True,
    thousands_sep="\u2009",
    sign_form="minus",
    money_unit="header",
    section_numbering="（）",
    label_notes=True,
    spaced_labels=True,
    cell_newline=True,
    trailing_columns=1,
    caption_missing=True,
    count_unit="宗",
    money_decimals="6",
    money_unit_name="other",
    narrow_values=True,
    t2_mixed=True,
    extra_row=True,
)


def test_baseline_round_trips(tmp_path: Path) -> None:
    for i, version in enumerate(("v2019", "v2021")):
        report = make_report(500 + i, report_id=f"base-{version}", template=version, options=BASE)
        assert roundtrip_errors(report, tmp_path) == []


@pytest.mark.parametrize(("option", "value"), CASES, ids=[f"{k}={v!r}" for k, v in CASES])
def test_single_option_round_trips(option: str, value: object, tmp_path: Path) -> None:
    version = "v2019" if len(option) % 2 else "v2021"
    report = make_report(600 + CASES.index((option, value)), template=version, options=BASE.with_(**{option: value}))
    assert roundtrip_errors(report, tmp_path) == []


# The same with blank zeros and full-width digits in table 三: rows whose own cells are blank sit
# between rows of long numbers wrapped over five lines (３ / ， / ８ / ３ / ２).
BENT_BLANK = BENT.with_(zero="", fullwidth_tables=("t3",), thousands_sep="，", value_align="right")


@pytest.mark.parametrize("version", ["v2019", "v2021"])
@pytest.mark.parametrize("bent", [BENT, BENT_BLANK], ids=["bent", "bent-blank"])
def test_every_bend_at_once_round_trips(version: str, bent: LayoutOptions, tmp_path: Path) -> None:
    report = make_report(700, template=version, options=bent, error="t3_row_total_off_by_one")
    assert roundtrip_errors(report, tmp_path) == []


def test_a_blank_row_below_long_wrapped_numbers(tmp_path: Path) -> None:
    """Numbers wrapped over five lines (３ / ， / ８ / ３ / ２) above a row whose own cells are all
    blank: the blank row must not take the ends of those numbers for its value line."""
    values = draw_values(V2021, random.Random(1))
    values.update(dict.fromkeys(V2021.value_keys("t3"), 0))
    for col, n in (("natural_person", 3832), ("commercial", 1031), ("total", 4863)):
        for row in ("new_received", "granted", "result_total"):
            values[f"t3.{row}.{col}"] = n
    opts = BASE.with_(
        rules="none",
        t3_label_width="narrow",
        t3_group_style="vertical",
        narrow_values=True,
        zero="",
        zero_tables=("t3",),
        fullwidth_digits=True,
        fullwidth_tables=("t3",),
        thousands=True,
        thousands_sep="，",
        value_align="right",
    )
    assert roundtrip_errors(make_report(1, year=2023, values=values, options=opts), tmp_path) == []


@pytest.mark.parametrize("rules", ["all", "hrules", "none"])
def test_a_ruled_extra_row_of_blanks_is_read_as_zeros(rules: str, tmp_path: Path) -> None:
    """An extra table-二 row whose zeros are printed as nothing has no value on its line: where the grid draws
    it as a row of its own, its cells are extra cells of value 0, as a reader of the page would take them.
    Without rules, a row it is when it sits as a row does: in the label column, one row's gap below the last."""
    opts = BASE.with_(rules=rules, extra_row=True, extra_row_zero=True, zero="", zero_tables=("t2",))
    report = make_report(880, template="v2021", options=opts)
    assert report.truth["extra_cells"] and all(
        v == 0 for x in report.truth["extra_cells"] for v in x["values"].values()
    )
    assert roundtrip_errors(report, tmp_path) == []
