"""A generated corpus with every template bend and number form, read end to end: every value
exact, every planted publisher error found, no publisher blamed for a misreading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gidar.extract.api import extract_file
from gidar_dev.synth.compare import bends_diff, truth_diff
from gidar_dev.synth.corpus import write_corpus

N = 30  # reports; about 0.3 s each to render and read


@pytest.mark.slow
def test_generated_deviations_read_exactly(tmp_path: Path) -> None:
    truths = write_corpus(tmp_path, N, seed=4242, error_rate=0.3)
    shown: set[str] = set()
    errors: list[str] = []
    for t in truths:
        res = extract_file(tmp_path / t["file"])
        shown |= set(t["render"]["deviations"])
        errors += [f"{t['id']} {e}" for e in truth_diff(t, res.template, res.values, res.violations)]
        errors += [f"{t['id']} {e}" for e in bends_diff(t, res.to_json())]
        if t["blank_tables"]:
            assert res.status == "uncertain" and "blank" in res.message, t["id"]
    assert errors == []
    assert sum(bool(t["expected_violations"]) for t in truths) >= 3  # planted errors were found
    assert len(shown) >= 20, sorted(shown)  # most bends and forms occur in a corpus this small
    assert json.loads((tmp_path / "g4242-001.json").read_text(encoding="utf-8"))["render"]["deviations"]
