"""`gidar extract` and `gidar eval`: backend choice, one output per input, clear failures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gidar.flows.cli import EXIT_OK, EXIT_USAGE, main, output_names

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "county-2023.pdf"
OTHER = ROOT / "samples" / "series-2021.pdf"


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gidar.flows.cli", *argv], capture_output=True, text=True, timeout=300, check=False
    )


def test_same_names_in_different_folders_give_distinct_outputs(tmp_path: Path) -> None:
    src = tmp_path / "in"
    for folder, pdf in (("a", SAMPLE), ("b", OTHER), ("b/sub", SAMPLE)):
        (src / folder).mkdir(parents=True)
        shutil.copy(pdf, src / folder / "report.pdf")
    shutil.copy(OTHER, src / "b" / "sub" / "report.PDF")  # same name but for the case
    out = tmp_path / "out"
    assert main(["extract", str(src / "a" / "report.pdf"), str(src / "b"), "--out", str(out), "--workers", "1"]) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    assert len(written) == 4 and len({w.casefold() for w in written}) == 4
    sources = {json.loads((out / w).read_text(encoding="utf-8"))["source"] for w in written}
    assert len(sources) == 4
    assert "sub/report.json" not in written and any(w.startswith("sub/report-") for w in written)


def test_output_names_keep_the_path_below_a_folder(tmp_path: Path) -> None:
    (tmp_path / "x" / "2023").mkdir(parents=True)
    (tmp_path / "x" / "2023" / "a.pdf").write_bytes(b"%PDF-1.7")
    (tmp_path / "y.pdf").write_bytes(b"%PDF-1.7")
    names = output_names([tmp_path / "x", tmp_path / "y.pdf"])
    assert sorted(n.as_posix() for n in names.values()) == ["2023/a.json", "y.json"]


@pytest.mark.parametrize("backend", ["pdfium", "pdfplumber"])
def test_backend_option_is_recorded(tmp_path: Path, backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(SAMPLE), "--out", str(tmp_path), "--workers", "1", "--backend", backend]) == EXIT_OK
    d = json.loads((tmp_path / "county-2023.json").read_text(encoding="utf-8"))
    assert (d["status"], d["backend"]) == ("ok", backend)
    assert "1/1 reports ok" in capsys.readouterr().out


def test_backend_setting_is_read_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GIDAR_BACKEND", "pdfplumber")
    assert main(["extract", str(SAMPLE), "--out", str(tmp_path), "--workers", "1"]) == EXIT_OK
    assert json.loads((tmp_path / "county-2023.json").read_text(encoding="utf-8"))["backend"] == "pdfplumber"
    monkeypatch.setenv("GIDAR_BACKEND", "mupdf")
    assert main(["extract", str(SAMPLE), "--out", str(tmp_path), "--workers", "1"]) == EXIT_USAGE
    assert "GIDAR_BACKEND" in capsys.readouterr().err


def test_extract_of_a_missing_file_fails_in_one_line(tmp_path: Path) -> None:
    r = _run("extract", str(tmp_path / "nope.pdf"), "--out", str(tmp_path / "out"))
    assert r.returncode == EXIT_USAGE
    assert r.stderr.strip().splitlines() == [f"gidar extract: no such file or folder: {tmp_path / 'nope.pdf'}"]
    assert not (tmp_path / "out").exists()


def test_extract_of_a_folder_without_pdfs_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(tmp_path), "--out", str(tmp_path / "out")]) == EXIT_USAGE
    assert "no PDF files" in capsys.readouterr().err


def test_eval_of_a_missing_folder_fails_in_one_line(tmp_path: Path) -> None:
    r = _run("eval", str(tmp_path / "nope"))
    assert r.returncode == EXIT_USAGE
    assert r.stderr.strip().splitlines() == [f"gidar eval: no such folder: {tmp_path / 'nope'}"]
    assert "precision" not in r.stdout


def test_eval_of_a_folder_without_truth_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(SAMPLE, tmp_path / "a.pdf")
    (tmp_path / "notes.json").write_text('{"not": "a truth file"}', encoding="utf-8")
    assert main(["eval", str(tmp_path)]) == EXIT_USAGE
    assert "no truth files" in capsys.readouterr().err


def test_eval_names_the_backend_that_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(ROOT / "samples"), "--backend", "pdfium"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "read by: pdfium" in out and "(100.00%)" in out


def test_without_reading_variables_extract_reads_with_the_settings_defaults_and_no_pydantic(tmp_path: Path) -> None:
    """`gidar extract` skips pydantic-settings (most of its start-up) when no reading variable is
    set; the defaults it takes then must be the ones `Settings` would have given."""
    import os

    from gidar.extract.budget import DEFAULT_BUDGET
    from gidar.extract.pdf import DEFAULT_BACKEND
    from gidar.flows.stages import ReadOptions
    from gidar.settings import Settings

    defaults = ReadOptions.from_settings(Settings.from_env({}))
    assert (defaults.backend, defaults.budget()) == (DEFAULT_BACKEND, DEFAULT_BUDGET)
    code = f"""
import sys
from gidar.flows.cli import main
assert main(["extract", {str(SAMPLE)!r}, "--out", {str(tmp_path)!r}, "--workers", "1"]) == 0
loaded = sorted(m for m in ("pydantic", "pydantic_settings", "pyarrow", "prefect") if m in sys.modules)
assert not loaded, loaded
"""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GIDAR_") and k.upper() != "BACKEND"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "county-2023.json").read_text(encoding="utf-8"))["status"] == "ok"
