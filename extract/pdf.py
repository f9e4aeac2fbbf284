"""Open a PDF and read each page into positioned `Word`s and ruling segments.

Bad inputs are classified here, before any parsing: `sniff` looks at the bytes, `read_pdf`
picks a backend (`extract.reader`: PDFium by default, pdfplumber as the reference), falls back
to the other when the first cannot read what the second can, and turns failures into a
`BadInput` with one of the `Status` values of the contract. Failure messages are always the
reference backend's, so a file's status and message do not depend on the backend chosen.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Literal

from gidar.extract.budget import DEFAULT_BUDGET, Budget
from gidar.extract.model import Word
from gidar.extract.reader.document import BadInput, Document, Page
from gidar.extract.reader.quiet import quiet_libraries, warnings_to_debug

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "BadInput", "Document", "Page", "read_pdf", "sniff"]

Backend = Literal["pdfium", "pdfplumber"]
BACKENDS: tuple[Backend, ...] = ("pdfium", "pdfplumber")
DEFAULT_BACKEND: Backend = "pdfium"
# pdfminer writes a glyph it has no Unicode for as "(cid:N)". Above this share of a page's glyphs
# the text is unreadable (e.g. an owner-password file pdfminer decrypts wrongly): try PDFium.
UNMAPPED_SHARE = 0.10
# ...and from this share on, neither reader's text is of use: the page is treated as an image.
UNREADABLE_SHARE = 0.5
_CID = re.compile(r"\(cid:\d+\)")

_EOF_WINDOW = 2048  # bytes at the end searched for %%EOF (some writers add a little after it)
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")
_log = logging.getLogger(__name__)


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
    from gidar.extract.filekind import describe

    # Name the kind, never quote the bytes: they may be a local secret (/etc/shadow in a manifest).
    raise BadInput("not_pdf", f"not a PDF: no %PDF- header; the file is {describe(head)}")


def _check_pages(n: int, budget: Budget) -> None:
    if n > budget.max_pages:
        raise BadInput(
            "too_large",
            f"{n} pages, over the limit of {budget.max_pages} pages per file"
            f" (raise it with {budget.setting('max_pages')})",
        )


def read_pdf(
    path: Path,
    backend: str = DEFAULT_BACKEND,
    *,
    data: bytes | None = None,
    budget: Budget = DEFAULT_BUDGET,
    with_rulings: bool = True,
) -> Document:
    """Every page's words and ruling segments; ``Document.backend`` names the backend that read it.

    ``data`` is the file's bytes when the caller has them already (PDFium reads from memory).
    Raises `BadInput` for encrypted, corrupt or over-budget files.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown reading backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    quiet_libraries()
    path = Path(path)
    with warnings_to_debug():
        if backend == "pdfplumber":
            doc = _plumber_first(path, data, budget, with_rulings)
        else:
            doc = _pdfium_first(path, data, budget, with_rulings)
    return without_unreadable_text(doc)


def _plumber(path: Path, budget: Budget, with_rulings: bool) -> Document:
    from gidar.extract.reader import plumber

    pdf = plumber.open_pdf(path)
    try:
        _check_pages(len(pdf.pages), budget)
    except BadInput:
        pdf.close()
        raise
    return plumber.read(path, pdf, budget, with_rulings)


def truncated(data: bytes) -> bool:
    """A PDF ends with ``%%EOF``; without it the download or copy was cut short. PDFium rebuilds
    such a file from whatever objects survive and would read a partial report as a whole one."""
    return b"%%EOF" not in data[-_EOF_WINDOW:]


def _pdfium(path: Path, data: bytes, budget: Budget, with_rulings: bool) -> Document:
    """Raises `pdfium.PdfiumOpenError` when PDFium cannot open the file or one of its pages."""
    from gidar.extract.reader import pdfium

    if truncated(data):
        raise pdfium.PdfiumOpenError("no %%EOF at the end: the file is truncated", password=False)
    with pdfium.PDFIUM_LOCK:
        pdf = pdfium.open_pdf(data)
        try:
            _check_pages(len(pdf), budget)
            return pdfium.read(path, pdf, data, budget, with_rulings)
        finally:
            pdf.close()


def _pdfium_first(path: Path, data: bytes | None, budget: Budget, with_rulings: bool) -> Document:
    from gidar.extract.reader import plumber
    from gidar.extract.reader.pdfium import PdfiumOpenError

    try:
        doc = _pdfium(path, path.read_bytes() if data is None else data, budget, with_rulings)
    except PdfiumOpenError as e:
        # pdfplumber may open what PDFium refuses; if it cannot either, its error is the message
        _log.info("%s: PDFium could not open it (%s); reading with pdfplumber", path, e)
        return _plumber(path, budget, with_rulings)
    blank = [p.number for p in doc.pages if not p.words]
    if blank and plumber.count_glyphs(path, blank) > 0:
        _log.info("%s: PDFium found no text on pages %s where pdfminer does; reading with pdfplumber", path, blank)
        return _plumber(path, budget, with_rulings)
    return doc


def _page_unmapped(words: list[Word]) -> float:
    text = "".join(w.text for w in words)
    folded, cids = _CID.subn("\ufffd", text)  # one glyph each
    return cids / len(folded) if folded else 0.0


def unmapped_share(doc: Document) -> float:
    """The largest share of glyphs without Unicode ("(cid:N)") on any page."""
    return max((_page_unmapped(p.words) for p in doc.pages), default=0.0)


def without_unreadable_text(doc: Document) -> Document:
    """Pages whose text neither reader can map to Unicode have no usable text layer: their
    words go, so the page is read as an image (OCR) rather than taken for a non-report."""
    for p in doc.pages:
        if p.words and _page_unmapped(p.words) >= UNREADABLE_SHARE:
            _log.info("%s: page %d has no Unicode for its glyphs; left to OCR", doc.path, p.number)
            p.words = []
    return doc


def _plumber_first(path: Path, data: bytes | None, budget: Budget, with_rulings: bool) -> Document:
    from gidar.extract.reader.pdfium import PdfiumOpenError

    def pdfium_doc() -> Document:
        return _pdfium(path, path.read_bytes() if data is None else data, budget, with_rulings)

    try:
        doc = _plumber(path, budget, with_rulings)
    except BadInput as reference:
        if reference.status == "too_large":
            raise
        try:  # e.g. an encryption pdfminer does not support, with the empty password viewers use
            doc = pdfium_doc()
        except (PdfiumOpenError, BadInput):
            raise reference from None
        _log.info("%s: pdfplumber could not open it (%s); read with PDFium", path, reference.message)
        return doc
    share = unmapped_share(doc)
    if share > UNMAPPED_SHARE:
        try:
            other = pdfium_doc()
        except (PdfiumOpenError, BadInput):
            return doc
        if other.has_text and unmapped_share(other) < share:
            _log.info("%s: pdfminer has no Unicode for %.0f%% of a page's glyphs; read with PDFium", path, 100 * share)
            return other
    return doc
