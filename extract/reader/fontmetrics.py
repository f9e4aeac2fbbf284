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
from collections.abc import Iterator
from typing import Any

_log = logging.getLogger(__name__)
_MAX_FONTS = 2000  # a report has a few dozen; stop scanning a file built to exhaust us
_DESCRIPTOR_REF = re.compile(rb"/FontDescriptor\s+(\d+)\s+\d+\s+R")
SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")  # "ABCDEF+SimSun": PDFium names fonts without it


def _descent(descriptor: dict[str, Any]) -> float:
    from pdfminer.pdftypes import num_value

    d = float(num_value(descriptor.get("Descent", 0)) or 0)
    return -abs(d) / 1000  # pdfminer forces a positive Descent (PScript5) negative


def _descendant_descriptor(doc: Any, data: bytes, ref: Any) -> Any:
    """A CID font's /FontDescriptor, read without parsing the font's /W array (thousands of
    numbers, most of the time pdfminer would spend here). None when the object is not plainly
    in the file (in an object stream, or no reference found): the caller parses it then."""
    from pdfminer.pdftypes import resolve1

    objid = getattr(ref, "objid", None)
    if objid is None:
        return None
    for xref in doc.xrefs:
        try:
            stream, pos, _ = xref.get_pos(objid)
        except Exception:
            continue
        if stream is not None:
            return None
        end = data.find(b"endobj", pos)
        m = _DESCRIPTOR_REF.search(data, pos, end if end >= 0 else len(data))
        return resolve1(doc.getobj(int(m.group(1)))) if m else None
    return None


def _one(doc: Any, data: bytes, font: dict[str, Any]) -> tuple[str, float] | None:
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
        descriptor = _descendant_descriptor(doc, data, kids[0]) if kids else None
        if descriptor is None and kids:
            kid = resolve1(kids[0])
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
                item = _one(doc, data, font)
                if item is not None:
                    out.setdefault(*item)
        xobjects = resolve1(resources.get("XObject"))
        for ref in (xobjects or {}).values() if isinstance(xobjects, dict) else ():
            xobj = resolve1(ref)
            if isinstance(xobj, PDFStream) and xobj.get("Resources") is not None:
                visit(xobj.get("Resources"), depth + 1)

    def page_resources(node: Any, inherited: Any, depth: int = 0) -> Iterator[Any]:
        """The page tree walked for /Resources only (pdfminer's PDFPage also resolves contents)."""
        node = resolve1(node)
        if not isinstance(node, dict) or id(node) in walked or depth > 64:
            return
        walked.add(id(node))
        resources = node.get("Resources", inherited)
        kids = resolve1(node.get("Kids"))
        if isinstance(kids, list):
            for kid in kids:
                yield from page_resources(kid, resources, depth + 1)
        else:
            yield resources

    walked: set[int] = set()
    try:
        doc = PDFDocument(PDFParser(io.BytesIO(data)), password="")
        found = False
        for resources in page_resources(doc.catalog.get("Pages"), None):
            found = True
            visit(resources)
        if not found:  # a broken page tree: pdfminer's own search for page objects
            for page in PDFPage.create_pages(doc):
                visit(page.resources)
    except Exception as e:  # PDFium opened it; its own metrics will do
        _log.debug("font descriptors not read (%s: %s)", type(e).__name__, e)
    return out
