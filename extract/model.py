"""Positioned text, the layout engine's input: from a text layer or from OCR alike."""

from __future__ import annotations

from collections.abc import Iterable
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


_new = object.__new__


def page_words(boxes: Iterable[tuple[str, float, float, float, float]], page: int) -> list[Word]:
    """``Word(text, x0, top, x1, bottom, page)`` for each box: the same objects, made without the
    frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field, half the cost of
    reading a text-layer page's words)."""
    out = []
    for text, x0, top, x1, bottom in boxes:
        w = _new(Word)
        w.__dict__.update(text=text, x0=x0, top=top, x1=x1, bottom=bottom, page=page, conf=None)
        out.append(w)
    return out
