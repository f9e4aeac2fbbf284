"""The `gidar ingest` command's own process, the single writer, never imports pandas: GX, after corrections
too, runs in the checking process; pyarrow would import pandas there (~45 MB) only to recognise pandas objects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

ROOT = Path(__file__).resolve().parents[2]

# The console script's process (`run` sets the flag), reporting what it imported once the run is over.
PROBE = """
import sys
from gidar.flows import cli
cli._CONSOLE_SCRIPT[0] = True
code = cli.main(["ingest", sys.argv[1], "--data-dir", sys.argv[2], "--progress", "none"])
print("RESULT", code, "pandas" in sys.modules, "great_expectations" in sys.modules)
"""


@pytest.mark.slow
def test_the_ingest_command_process_loads_no_pandas(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "samples"), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    line = next(ln for ln in run.stdout.splitlines() if ln.startswith("RESULT"))
    assert line.split()[1:] == ["0", "False", "False"], run.stdout + run.stderr


@pytest.mark.slow
def test_gx_in_the_checking_process_equals_gx_here(tmp_path: Path) -> None:
    from gidar.extract.api import extract_file
    from gidar.flows import stages
    from gidar.flows.workers import Limits, close_shared_pool, shared_pool
    from gidar.transform.build import build_tables

    result = extract_file(ROOT / "samples" / "county-2023.pdf")
    tables = build_tables(result)
    reports, cells = tables["reports"], tables["cells"]
    assert isinstance(cells, pa.Table) and cells.num_rows
    shared_pool(1, Limits(600, 4096), role="check")
    try:
        validate = stages.validate_in_checking_process()
        assert validate is not None
        there = validate(reports, cells)
    finally:
        close_shared_pool()
    here = stages.validate_tables_job(reports, cells)
    assert there and sorted(map(repr, there)) == sorted(map(repr, here))
