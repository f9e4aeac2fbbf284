"""What a reading backend yields: pages of positioned words and ruling segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gidar.extract.model import Word


class BadInput(Exception):
    """A file that cannot be read as a report; ``status`` is a `gidar.contract.Status`."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Page:
    number: int  # 1-based
    width: float
    height: float
    words: list[Word]
    hlines: list[tuple[float, float, float]] = field(default_factory=list)  # (y, x0, x1) ruling segments
    vlines: list[tuple[float, float, float]] = field(default_factory=list)  # (x, top, bottom)
    n_chars: int = 0


@dataclass
class Document:
    path: Path
    pages: list[Page]
    backend: str = ""  # the backend that read it: pdfium | pdfplumber

    @property
    def has_text(self) -> bool:
        return any(p.words for p in self.pages)
