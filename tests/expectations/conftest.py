"""Session fixtures: each runs GX once (import ~4 s), shared by the tests that read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from expectations_cases import Case, fake_region_lookup, planted_cases, truth_results

from gidar.expectations import DQResult, Frames, build_frames, validate_reports


@dataclass
class Run:
    cases: list[Case]
    frames: Frames
    results: list[DQResult]
    docs: Path


@pytest.fixture(scope="session")
def planted_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    cases = planted_cases()
    frames = build_frames([c.result for c in cases], region_lookup=fake_region_lookup)
    docs = tmp_path_factory.mktemp("data_docs")
    return Run(cases, frames, validate_reports(frames, data_docs_dir=docs), docs)


@pytest.fixture(scope="session")
def truth_run(corpus_dir: Path) -> tuple[list[tuple[dict, object]], list[DQResult]]:
    pairs = truth_results(corpus_dir)
    return pairs, validate_reports(build_frames([r for _, r in pairs]))
