"""Session fixtures: each runs GX once (import ~4 s), shared by the tests that read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from expectations_cases import Case, fake_region_lookup, planted_cases, stored, truth_results

from gidar.dq import DQRecord
from gidar.expectations import Frames, build_frames, validate_reports


@dataclass
class Run:
    cases: list[Case]
    frames: Frames
    results: list[DQRecord]


@pytest.fixture(scope="session")
def planted_run() -> Run:
    cases = planted_cases()
    frames = build_frames(*stored([c.result for c in cases]), region_lookup=fake_region_lookup)
    return Run(cases, frames, validate_reports(frames))


@pytest.fixture(scope="session")
def truth_run(corpus_dir: Path) -> tuple[list[tuple[dict, object]], list[DQRecord]]:
    pairs = truth_results(corpus_dir)
    return pairs, validate_reports(build_frames(*stored([r for _, r in pairs])))
