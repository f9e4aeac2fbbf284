"""The standing baseline every speed figure is a ratio to: what an engineer writes in an afternoon,
pdfplumber's text and tables of every page of every file, in one process."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def naive_loop(files: Iterable[str | Path]) -> None:
    import pdfplumber

    for f in files:
        with pdfplumber.open(f) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.extract_tables()
                page.close()  # as a careful user would: pdfplumber keeps each page's objects otherwise
