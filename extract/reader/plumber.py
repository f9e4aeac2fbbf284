"""The pdfplumber backend: the reference reader the layout engine was built on.

Slow (pdfminer interprets every content stream in Python) but the yardstick: the PDFium
backend is tested to give the same cells, statuses and violations on every corpus file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gidar.extract.budget import DEFAULT_BUDGET, Budget
from gidar.extract.model import Word
from gidar.extract.reader.document import BadInput, Document, Page
from gidar.extract.reader.glyphs import MIN_RULE, X_TOLERANCE, Y_TOLERANCE, Glyph, dedupe_needed


def _rulings(page: Any) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    h: list[tuple[float, float, float]] = []
    v: list[tuple[float, float, float]] = []
    for e in page.edges:
        if e["orientation"] == "h" and e["x1"] - e["x0"] > MIN_RULE:
            h.append((e["top"], e["x0"], e["x1"]))
        elif e["orientation"] == "v" and e["bottom"] - e["top"] > MIN_RULE:
            v.append((e["x0"], e["top"], e["bottom"]))
    return h, v


def classify(e: Exception) -> BadInput:
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


def open_pdf(path: Path, pages: list[int] | None = None) -> Any:
    """pdfplumber's PDF (the empty password is tried, as a viewer does); `BadInput` if it cannot open."""
    import pdfplumber

    try:
        return pdfplumber.open(path, pages=pages)
    except Exception as e:
        raise classify(e) from e


def count_glyphs(path: Path, numbers: list[int]) -> int:
    """Visible (non-blank) glyphs pdfminer finds on the given 1-based pages; 0 if it cannot read them."""
    try:
        with open_pdf(path, pages=numbers) as pdf:
            n = 0
            for page in pdf.pages:
                n += sum(not c["text"].isspace() for c in page.chars)
                page.close()
            return n
    except Exception:
        return 0


def read(path: Path, pdf: Any, budget: Budget = DEFAULT_BUDGET, with_rulings: bool = True) -> Document:
    """Every page's words and ruling segments; `BadInput` for pdfminer failures while parsing."""
    pages: list[Page] = []
    try:
        with pdf:
            for i, page in enumerate(pdf.pages, start=1):
                try:
                    chars = page.chars
                    drawn = sum(len(objs) for objs in page.objects.values())
                    message = budget.too_many_objects(i, drawn)  # after pdfminer paid for them
                    if message:
                        raise BadInput("too_large", message)
                    glyphs = [Glyph(c["text"], c["x0"], c["top"], c["x1"], c["bottom"]) for c in chars]
                    fake_bold = dedupe_needed(glyphs)
                    p = page.dedupe_chars() if fake_bold else page
                    raw = p.extract_words(x_tolerance=X_TOLERANCE, y_tolerance=Y_TOLERANCE, keep_blank_chars=False)
                    words = [Word(w["text"], w["x0"], w["top"], w["x1"], w["bottom"], i) for w in raw]
                    h, v = _rulings(page) if with_rulings and words else ([], [])
                    pages.append(Page(i, float(page.width), float(page.height), words, h, v, len(chars)))
                finally:
                    page.close()
    except BadInput:
        raise
    except Exception as e:
        raise classify(e) from e
    if not pages:
        raise BadInput("unreadable", "PDF has no pages")
    return Document(path, pages, backend="pdfplumber")
