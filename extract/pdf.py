"""Open a PDF and read each page into positioned `Word`s (the only pdfplumber code in extract/).

Bad inputs are classified here, before any parsing: `sniff` looks at the bytes, `read_pdf`
turns pdfminer's failures into a `BadInput` with one of the `Status` values of the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gidar.extract.model import Word

_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")


class BadInput(Exception):
    """A file that cannot be read as a report; ``status`` is an `extract.model.Status`."""

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

    @property
    def has_text(self) -> bool:
        return any(p.words for p in self.pages)


def sniff(data: bytes) -> None:
    """Raise `BadInput` for files that are not PDFs at all (empty, HTML, other)."""
    if not data.strip():
        raise BadInput("empty", "empty file (0 bytes or only white space)")
    head = data[:1024]
    if b"%PDF-" in head:
        return
    low = head.lstrip().lower()
    if any(low.startswith(m) or m in low for m in _HTML_MARKERS):
        raise BadInput("not_pdf", "not a PDF: the file is an HTML/XML page saved with a .pdf name")
    raise BadInput("not_pdf", f"not a PDF: no %PDF- header (starts with {head[:16]!r})")


def _dedupe_needed(chars: list[dict]) -> bool:
    """Fake bold draws each glyph twice at almost the same place; detect before paying for dedupe."""
    seen = set()
    dup = 0
    for c in chars:
        k = (c["text"], round(c["x0"]), round(c["top"]))
        dup += k in seen
        seen.add(k)
    return dup > 5 and dup > 0.02 * len(chars)


def _rulings(page) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    h: list[tuple[float, float, float]] = []
    v: list[tuple[float, float, float]] = []
    for e in page.edges:
        if e["orientation"] == "h" and e["x1"] - e["x0"] > 3:
            h.append((e["top"], e["x0"], e["x1"]))
        elif e["orientation"] == "v" and e["bottom"] - e["top"] > 3:
            v.append((e["x0"], e["top"], e["bottom"]))
    return h, v


def _classify(e: Exception) -> BadInput:
    """pdfplumber wraps pdfminer's errors (PdfminerException(PDFPasswordIncorrect()))."""
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    causes = [e, *(a for a in e.args if isinstance(a, BaseException))]
    if e.__cause__ is not None:
        causes.append(e.__cause__)
    if any(isinstance(c, PDFPasswordIncorrect | PDFEncryptionError) for c in causes):
        return BadInput("encrypted", "encrypted PDF: a password is needed to open it")
    inner = causes[-1]
    detail = f"{type(inner).__name__}: {inner}".rstrip(": ")
    return BadInput("unreadable", f"corrupt or truncated PDF ({detail})")


def read_pdf(path: Path, with_rulings: bool = True) -> Document:
    """Every page's words (and ruling segments). Raises `BadInput` for encrypted/corrupt PDFs."""
    import pdfplumber

    try:
        pdf = pdfplumber.open(path)
    except Exception as e:
        raise _classify(e) from e
    pages: list[Page] = []
    try:
        with pdf:
            for i, page in enumerate(pdf.pages, start=1):
                try:
                    chars = page.chars
                    p = page.dedupe_chars() if _dedupe_needed(chars) else page
                    raw = p.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False)
                    words = [Word(w["text"], w["x0"], w["top"], w["x1"], w["bottom"], i) for w in raw]
                    h, v = _rulings(page) if with_rulings and words else ([], [])
                    pages.append(Page(i, float(page.width), float(page.height), words, h, v, len(chars)))
                finally:
                    page.close()
    except BadInput:
        raise
    except Exception as e:
        raise _classify(e) from e
    if not pages:
        raise BadInput("unreadable", "PDF has no pages")
    return Document(path, pages)
