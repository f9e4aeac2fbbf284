"""Positioned text, the layout engine's input: from a text layer or from OCR alike."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One positioned token on a page, from the text layer or from OCR."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    page: int  # 1-based
    conf: float | None = None  # OCR confidence 0..1; None for a text layer

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2
