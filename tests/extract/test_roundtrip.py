"""Round trip: seeded synthetic reports (random layouts, some with a planted publisher error)
must extract to exactly the printed values and exactly the expected violations."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from gidar.extract.api import extract_file
from gidar_dev.synth import ERROR_KINDS, SynthReport, make_report
from gidar_dev.synth.compare import truth_diff


def roundtrip_errors(report: SynthReport, tmp_path: Path) -> list[str]:
    """Differences between extraction of the rendered PDF and its truth, with the layout named."""
    res = extract_file(report.write(tmp_path, report.truth["id"]))
    errors = truth_diff(report.truth, res.template, res.values, res.violations)
    if squash(report.truth["narrative"]["text"]) not in squash(res.narrative or ""):
        errors.append("section 一 sentence with the application numbers is not in the narrative")
    if errors:
        errors.insert(0, f"status={res.status} seed layout: {report.truth['render']['variant_description']}")
    return errors


def squash(s: str) -> str:
    return re.sub(r"[\s\u3000]+", "", s)


N_RANDOM = 12  # about 1.5 s each (render + extract)
ERRORS = sorted(ERROR_KINDS)


@pytest.mark.parametrize("seed", range(N_RANDOM))
def test_random_report_round_trips(seed: int, tmp_path: Path) -> None:
    rng = random.Random(f"roundtrip/{seed}")
    error = ERRORS[seed % len(ERRORS)] if seed % 3 == 0 else None
    report = make_report(rng, report_id=f"rt{seed}", error=error, narrative_mismatch=seed % 4 == 1)
    assert roundtrip_errors(report, tmp_path) == []
