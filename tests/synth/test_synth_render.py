"""Every layout option renders, the text layer carries the truth, and rendering is fast and
deterministic."""

from __future__ import annotations

import io
import random

import pdfplumber
import pytest

from gidar.templates import TEMPLATES
from gidar_dev.synth import CHOICES, LayoutOptions, make_report
from gidar_dev.synth.options import draw_options
from gidar_dev.synth.verify import missing_text, printed_tokens

N_SETS = max(len(v) for v in CHOICES.values())


def _cyclic(j: int) -> LayoutOptions:
    """Option set j: every option takes its (j mod n)-th value, so N_SETS sets cover every value."""
    return LayoutOptions(**{k: v[j % len(v)] for k, v in CHOICES.items()})


def test_cyclic_sets_cover_every_option_value() -> None:
    seen = {k: {getattr(_cyclic(j), k) for j in range(N_SETS)} for k in CHOICES}
    assert all(seen[k] == set(CHOICES[k]) for k in CHOICES)


@pytest.mark.parametrize("version", sorted(TEMPLATES))
@pytest.mark.parametrize("j", range(N_SETS))
def test_every_option_value_renders_with_its_truth_in_the_text_layer(j: int, version: str) -> None:
    opts = _cyclic(j)
    r = make_report(100 + j, template=version, options=opts, error="t3_row_total_off_by_one" if j == 1 else None)
    assert r.pdf.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(r.pdf)) as doc:
        assert len(doc.pages) == r.truth["render"]["n_pages"] >= 2
    assert missing_text(r.pdf, r.truth) == []
    assert r.truth["render"]["options"]["rules"] == opts.rules


def test_printed_texts_follow_the_options() -> None:
    opts = LayoutOptions(
        zero="—",
        zero_tables=("t3",),
        fullwidth_digits=True,
        fullwidth_tables=("t4",),
        pad="　",
        pad_tables=("t2",),
        thousands=True,
        money_unit="cell",
    )
    r = make_report(7, template="v2019", options=opts, large=True)
    t3 = {row["key"]: row for row in r.truth["tables"]["t3"]["rows"]}
    for row in t3.values():
        for col, text in row["texts"].items():
            assert (text == "—") == (row["values"][col] == 0)
    big = r.values["t3.new_received.total"]
    assert t3["new_received"]["texts"]["total"] == f"{big:,}"
    for b in r.truth["tables"]["t4"]["blocks"]:
        assert all(ch in "０１２３４５６７８９," for t in b["texts"].values() for ch in t)
    money = next(row for b in r.truth["tables"]["t2"]["blocks"] for row in b["rows"] if b["key"] == "art20_9")
    assert next(iter(money["texts"].values())).startswith("　")
    assert all(
        t.startswith("　")
        for b in r.truth["tables"]["t2"]["blocks"]
        for row in b["rows"]
        for t in row["texts"].values()
    )


def test_signed_changes_print_with_their_sign() -> None:
    opts = LayoutOptions(plus_sign=True, zero_tables=())
    for seed in range(30):
        r = make_report(seed, template="v2019", options=opts)
        for b in r.truth["tables"]["t2"]["blocks"]:
            for row in b["rows"]:
                for col in b["columns"]:
                    if col["value_type"] == "signed":
                        v, text = row["values"][col["key"]], row["texts"][col["key"]]
                        assert text == (f"+{v}" if v > 0 else str(v))


def test_label_drift_is_printed_and_recorded() -> None:
    opts = LayoutOptions(numbering="1、", half_width_parens=True, caption_space=True)
    r = make_report(3, template="v2021", options=opts)
    rendered = [p for row in r.truth["tables"]["t3"]["rows"] for p in row["rendered_label_path"]]
    assert any(p.startswith("1、") for p in rendered)
    assert any(p.startswith("(三)") for p in rendered) and not any("（" in p for p in rendered)
    assert all(" 第" in b["rendered_label"] for b in r.truth["tables"]["t2"]["blocks"])
    with pdfplumber.open(io.BytesIO(r.pdf)) as doc:
        text = "".join(p.extract_text() for p in doc.pages)
    assert "第二十条 第(一)项" in text


def test_same_seed_same_bytes_and_truth() -> None:
    a, b = make_report(42), make_report(42)
    assert a.pdf == b.pdf and a.truth == b.truth
    assert make_report(43).pdf != a.pdf


def test_drawn_options_vary() -> None:
    drawn = [draw_options(random.Random(s)) for s in range(60)]
    for k, values in CHOICES.items():
        assert {getattr(o, k) for o in drawn} == set(values), k
    assert len(printed_tokens(make_report(1).truth)) > 3
