"""Both backends on every corpus PDF: the same cells, statuses, violations and everything else.

Corpora: the shared corpus (text and scanned reports, bad files), the real PDFs, samples/ and
reports generated here with fresh seeds. pdfplumber needs about a second per report, hence
`slow`. A scanned report (no text on any page under either backend) is compared as the
documents both readers hand on: OCR then renders the same pages from the file whichever
backend opened it, and its own tests (test_corpus_scanned) score those cells.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gidar.contract import ExtractionResult
from gidar.extract.api import extract_file, pdf_files
from gidar.extract.pdf import BadInput, read_pdf
from gidar_dev.synth.corpus import write_corpus

pytestmark = [pytest.mark.slow, pytest.mark.corpus]

ROOT = Path(__file__).resolve().parents[2]
# Cells keep where they were read; the two readers place glyphs within a point of each other
# (pdfminer leaves out the character spacing after a string's last glyph).
BBOX_TOL = 1.0
FRESH_SEEDS = (8801, 9902)


def comparable(r: ExtractionResult) -> dict[str, Any]:
    """Everything a reading decides, without timings, the backend name and cell boxes."""
    d = r.to_json()
    for k in ("seconds", "backend", "source"):
        d.pop(k)
    for c in (*d["cells"], *d["extra_cells"]):
        c.pop("bbox")
    return d


def _image_only(path: Path) -> bool:
    try:
        if read_pdf(path, "pdfium").has_text:  # (it reads with pdfplumber where pdfminer finds text)
            return False
        docs = [read_pdf(path, backend) for backend in ("pdfplumber", "pdfium")]
    except BadInput:
        return False
    assert not docs[0].has_text, path.name
    assert [(p.number, round(p.width, 1), round(p.height, 1)) for p in docs[0].pages] == [
        (p.number, round(p.width, 1), round(p.height, 1)) for p in docs[1].pages
    ], path.name
    return True


def differences(path: Path) -> Iterator[str]:
    ref, got = extract_file(path, backend="pdfplumber"), extract_file(path, backend="pdfium")
    a, b = comparable(ref), comparable(got)
    for k in a:
        if a[k] != b[k]:
            yield f"{path.name} {k}: pdfplumber {str(a[k])[:200]} | pdfium {str(b[k])[:200]}"
    for c, d in zip(ref.cells, got.cells, strict=False):
        if (c.bbox is None) != (d.bbox is None) or (
            c.bbox and d.bbox and max(abs(x - y) for x, y in zip(c.bbox, d.bbox, strict=True)) > BBOX_TOL
        ):
            yield f"{path.name} {c.key} bbox {c.bbox} | {d.bbox}"
    if ref.backend is not None:
        # a file one reader cannot open goes to the other under either choice
        assert got.backend in ("pdfium", "pdfplumber") and ref.backend in ("pdfium", "pdfplumber")


def _check(files: list[Path]) -> None:
    full = [f for f in files if not _image_only(f)]
    assert full  # text-layer reports (and bad files) are compared in full
    wrong = [d for f in full for d in differences(f)]
    assert wrong == []


def test_shared_corpus(corpus_dir: Path) -> None:
    _check(pdf_files([corpus_dir]))


def test_real_reports(real_dir: Path) -> None:
    _check(pdf_files([real_dir]))


def test_samples() -> None:
    _check(pdf_files([ROOT / "samples"]))


@pytest.mark.parametrize("seed", FRESH_SEEDS)
def test_freshly_generated_reports(tmp_path: Path, seed: int) -> None:
    write_corpus(tmp_path, 6, seed)
    _check(pdf_files([tmp_path]))
