"""Multi-year series, image-only copies, and the corpus writer in the shared truth format."""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pdfplumber
import pytest

from gidar.templates import template_for_year
from gidar_dev.synth.__main__ import main
from gidar_dev.synth.corpus import MANIFEST_COLUMNS
from gidar_dev.synth.image import find_cjk_font, make_image_only
from gidar_dev.synth.options import draw_options
from gidar_dev.synth.report import make_report
from gidar_dev.synth.series import make_series

YEARS = list(range(2019, 2026))


def _carry(v: dict, year: int) -> tuple[str, str]:
    rows = template_for_year(year).t3_rows
    return [r.key for r in rows if r.kind == "input"][1], next(r.key for r in rows if r.kind == "carry")


def _links(reports) -> list[tuple[int, bool]]:
    out = []
    for a, b in itertools.pairwise(reports):
        ya, yb = a.truth["metadata"]["report_year"], b.truth["metadata"]["report_year"]
        cf = _carry(a.values, ya)[1]
        co = _carry(b.values, yb)[0]
        same = all(
            a.values[k] == b.values[k.replace(f"t3.{cf}.", f"t3.{co}.")] for k in a.values if k.startswith(f"t3.{cf}.")
        )
        out.append((yb, same))
    return out


def test_series_is_one_body_linked_by_carry_over() -> None:
    rs = make_series(11, years=YEARS)
    assert [r.truth["metadata"]["report_year"] for r in rs] == YEARS
    assert len({r.truth["metadata"]["agency"] for r in rs}) == 1
    assert [r.truth["template"] for r in rs] == ["v2019"] * 2 + ["v2021"] * 5
    assert all(same for _, same in _links(rs))
    assert all(r.truth["expected_violations"] == [] for r in rs)
    assert rs[0].truth["series"]["carry_breaks"] == []


def test_series_break_copy_and_mismatch_are_where_asked() -> None:
    rs = make_series(12, years=YEARS, break_year=2022, copy_year=2024, mismatch_year=2020)
    by_year = {r.truth["metadata"]["report_year"]: r for r in rs}
    links = dict(_links(rs))
    assert links[2022] is False
    assert all(links[y] for y in links if y not in (2022, 2024))
    assert by_year[2024].values == by_year[2023].values
    assert {b["to_year"] for b in rs[0].truth["series"]["carry_breaks"]} <= {2022, 2024}
    assert 2022 in {b["to_year"] for b in rs[0].truth["series"]["carry_breaks"]}
    assert by_year[2020].truth["narrative"]["mismatched"]
    assert not any(by_year[y].truth["narrative"]["mismatched"] for y in YEARS if y != 2020)
    assert all(r.truth["expected_violations"] == [] for r in rs)  # in-report identities still hold
    item = next(i for i in by_year[2020].truth["narrative"]["items"] if i["value"] != i["table_value"])
    assert f"{item['phrase']}{item['value']}件" in by_year[2020].truth["narrative"]["text"]


def test_copy_year_across_template_change_is_refused() -> None:
    with pytest.raises(ValueError):
        make_series(1, years=YEARS, copy_year=2021)


def test_image_only_copy_has_no_text_layer(tmp_path: Path) -> None:
    rs = make_series(3, years=[2021])
    src = rs[0].write(tmp_path, "src")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = make_image_only(src, tmp_path / "img.pdf", dpi=100)
    with pdfplumber.open(src) as a, pdfplumber.open(out) as b:
        assert len(a.pages) == len(b.pages)
        assert all(not p.chars for p in b.pages)
        assert all(len(p.images) == 1 for p in b.pages)
        img = b.pages[0].images[0]
        assert abs(img["srcsize"][0] - a.pages[0].width * 100 / 72) <= 2


@pytest.mark.skipif(find_cjk_font() is None, reason="no CJK font installed; pdfium draws the text blank")
def test_image_only_pages_show_the_text(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    src = make_series(4, years=[2020])[0].write(tmp_path, "src")
    out = make_image_only(src, tmp_path / "img.pdf", dpi=72)
    page = pdfium.PdfDocument(str(out))[0].render(scale=1).to_pil().convert("L")
    dark = sum(page.histogram()[:128])
    assert dark > 2000  # a title, paragraphs and a table, not an empty page


def test_cli_writes_a_corpus_in_the_shared_format(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path), "--n", "4", "--seed", "5", "--error-rate", "1"]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "manifest.csv").read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == MANIFEST_COLUMNS and len(rows) == 4
    for row in rows:
        truth = json.loads((tmp_path / f"{row['id']}.json").read_text(encoding="utf-8"))
        assert (tmp_path / truth["file"]).exists()
        assert truth["injected_error"] and int(row["n_expected_violations"]) == len(truth["expected_violations"]) > 0
        assert set(truth["values"]) == set(template_for_year(truth["metadata"]["report_year"]).value_keys())
    assert "wrote 4 reports" in capsys.readouterr().out


def _shape(d, depth=0):
    """Key structure of a truth JSON (dict keys, recursively; lists by their first element)."""
    if isinstance(d, dict):
        return {k: _shape(v, depth + 1) for k, v in d.items()} if depth < 4 else set(d)
    if isinstance(d, list) and d:
        return [_shape(d[0], depth + 1)]
    return None


def _covers(ours, theirs, path="") -> list[str]:
    if isinstance(theirs, dict):
        if not isinstance(ours, dict):
            return [path]
        return [
            m
            for k in theirs
            for m in ([f"{path}.{k}"] if k not in ours else _covers(ours[k], theirs[k], f"{path}.{k}"))
        ]
    if isinstance(theirs, list) and theirs and isinstance(ours, list) and ours:
        return _covers(ours[0], theirs[0], path + "[]")
    return []


@pytest.mark.corpus
def test_truth_has_every_field_of_the_shared_corpus(tmp_path: Path, corpus_dir: Path) -> None:
    for name in ("s1-001.json", "s1-002.json", "s1-005.json", "s1-028.json"):
        theirs = json.loads((corpus_dir / name).read_text(encoding="utf-8"))
        theirs["render"].pop("options")  # renderer-specific knobs
        error = (theirs["injected_error"] or {}).get("kind")
        # table 二 in the report's own layout, as in the shared corpus (the generator may mix them)
        opts = draw_options(random.Random(2)).with_(t2_mixed=False)
        ours = make_report(2, year=theirs["metadata"]["report_year"], error=error, options=opts).truth
        assert set(ours["values"]) == set(theirs["values"])
        assert _covers(_shape(ours), _shape(theirs)) == [], name
    manifest = (corpus_dir / "manifest.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert tuple(manifest) == MANIFEST_COLUMNS


def test_score_tool_accepts_the_corpus(tmp_path: Path, shared_dir: Path) -> None:
    """A perfect extraction of a generated corpus scores 100% with the shared scorer."""
    truth_dir, out_dir = tmp_path / "truth", tmp_path / "out"
    main([str(truth_dir), "--n", "3", "--seed", "9", "--error-rate", "0.5"])
    out_dir.mkdir()
    for tp in truth_dir.glob("*.json"):
        t = json.loads(tp.read_text(encoding="utf-8"))
        out = {
            "status": "ok",
            "template": t["template"],
            "metadata": t["metadata"],
            "values": t["values"],
            "violations": t["expected_violations"],
        }
        (out_dir / tp.name).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    res = subprocess.run(
        [sys.executable, str(shared_dir / "tools" / "score_extraction.py"), str(truth_dir), str(out_dir), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(res.stdout[: res.stdout.rindex("}") + 1])["summary"]["text"]
    assert summary["reports"] == 3 and summary["cell_pct"] == 100.0 and summary["reports_exact_pct"] == 100.0
    assert summary["violations_false"] == 0 and summary["violations_found"] == summary["violations_expected"]


def test_cli_series_bodies_cover_every_year(tmp_path: Path) -> None:
    assert main([str(tmp_path), "--n", "0", "--seed", "4", "--series", "2"]) == 0
    truths = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(tmp_path.glob("*.json"))]
    by_series: dict[str, list[int]] = {}
    for t in truths:
        by_series.setdefault(t["series"]["id"], []).append(t["metadata"]["report_year"])
    assert sorted(by_series.values()) == [YEARS, YEARS]
    breaks = {t["series"]["id"]: t["series"]["break_year"] for t in truths}
    assert sum(b is not None for b in breaks.values()) == 1
    # one layout per body unless asked otherwise
    for sid in by_series:
        layouts = {json.dumps(t["render"]["options"], sort_keys=True) for t in truths if t["series"]["id"] == sid}
        assert len(layouts) == 1
