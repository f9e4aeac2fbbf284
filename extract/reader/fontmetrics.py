"""The font descriptors' descents, which the PDFium backend needs and PDFium does not expose.

A glyph's box, as pdfminer draws it, hangs from the baseline by the font descriptor's
``/Descent``. PDFium reports that value too, except when the descriptor says 0 (LibreOffice
writes ``/Ascent 0 /Descent 0``): it then measures the glyph at code ``g``, which in a subset
font is any glyph, so two subsets of one font get different descents and the words of one line
land at different heights. Reading the descriptors themselves (pdfminer's object parser, not
its content-stream interpreter: a few milliseconds per file) keeps the boxes pdfminer's.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

_log = logging.getLogger(__name__)
_MAX_FONTS = 2000  # a report has a few dozen; stop scanning a file built to exhaust us
SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")  # "ABCDEF+SimSun": PDFium names fonts without it


def _descent(descriptor: dict[str, Any]) -> float:
    from pdfminer.pdftypes import num_value

    d = float(num_value(descriptor.get("Descent", 0)) or 0)
    return -abs(d) / 1000  # pdfminer forces a positive Descent (PScript5) negative


def _one(font: dict[str, Any]) -> tuple[str, float] | None:
    from pdfminer.fontmetrics import FONT_METRICS
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import literal_name

    name = font.get("BaseFont")
    if name is None:
        return None
    base = SUBSET_TAG.sub("", literal_name(resolve1(name)))
    descriptor = resolve1(font.get("FontDescriptor"))
    if literal_name(font.get("Subtype")) == "Type0":
        kids = resolve1(font.get("DescendantFonts")) or []
        kid = resolve1(kids[0]) if kids else {}
        descriptor = resolve1(kid.get("FontDescriptor")) if isinstance(kid, dict) else None
    if not isinstance(descriptor, dict):
        known = FONT_METRICS.get(base)
        if known is None:
            return None
        descriptor = known[0]
    return base, _descent(descriptor)


def font_descents(data: bytes) -> dict[str, float]:
    """Base font name (without a subset tag) → descent in units of the font size, for the fonts
    of every page and of the forms they draw.
    Empty when the file's objects cannot be parsed: the caller keeps PDFium's own values."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import PDFStream, resolve1

    out: dict[str, float] = {}
    seen: set[int] = set()

    def visit(resources: Any, depth: int = 0) -> None:
        resources = resolve1(resources)
        if not isinstance(resources, dict) or id(resources) in seen or depth > 4:
            return
        seen.add(id(resources))
        fonts = resolve1(resources.get("Font"))
        for ref in (fonts or {}).values() if isinstance(fonts, dict) else ():
            font = resolve1(ref)
            if isinstance(font, dict) and len(out) < _MAX_FONTS:
                item = _one(font)
                if item is not None:
                    out.setdefault(*item)
        xobjects = resolve1(resources.get("XObject"))
        for ref in (xobjects or {}).values() if isinstance(xobjects, dict) else ():
            xobj = resolve1(ref)
            if isinstance(xobj, PDFStream) and xobj.get("Resources") is not None:
                visit(xobj.get("Resources"), depth + 1)

    try:
        doc = PDFDocument(PDFParser(io.BytesIO(data)), password="")
        for page in PDFPage.create_pages(doc):
            visit(page.resources)
    except Exception as e:  # PDFium opened it; its own metrics will do
        _log.debug("font descriptors not read (%s: %s)", type(e).__name__, e)
    return out
