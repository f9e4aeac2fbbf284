"""The font descriptors' descents, which the PDFium backend needs and PDFium does not expose.

A glyph's box, as pdfminer draws it, hangs from the baseline by the font descriptor's
``/Descent``. PDFium reports that value too, except when the descriptor says 0 (LibreOffice
writes ``/Ascent 0 /Descent 0``): it then measures the glyph at code ``g``, which in a subset
font is any glyph, so two subsets of one font get different descents and the words of one line
land at different heights. Reading the descriptors themselves keeps the boxes pdfminer's.

Most files are read by `scan_descents`, a scan of the file's plain objects (and of its
Flate-compressed object streams) for font dictionaries: a fraction of a millisecond, and no
pdfminer in the process (its import alone costs a short run 70 ms). Whatever the scan cannot
read for certain (encryption, indirect names or values, other stream filters, two descents
for one name) sends the file to pdfminer's object parser, which reads the page tree's fonts.
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
    scanned = scan_descents(data)
    return scanned if scanned is not None else parsed_descents(data)


# pdfminer's metrics (its AFM tables) of the standard fonts a file may use without a descriptor:
# the descents `parsed_descents` would give them (tests hold the two equal).
STANDARD_DESCENTS = {
    **dict.fromkeys(("Courier", "Courier-Bold", "Courier-BoldOblique", "Courier-Oblique"), -0.194),
    **dict.fromkeys(("CourierNew", "CourierNew,Italic", "CourierNew,Bold", "CourierNew,BoldItalic"), -0.194),
    **dict.fromkeys(("Helvetica", "Helvetica-Bold", "Helvetica-BoldOblique", "Helvetica-Oblique"), -0.207),
    **dict.fromkeys(("Arial", "Arial,Italic", "Arial,Bold", "Arial,BoldItalic"), -0.207),
    **dict.fromkeys(("Times-Roman", "Times-Bold", "Times-BoldItalic", "Times-Italic"), -0.217),
    **dict.fromkeys(
        ("TimesNewRoman", "TimesNewRoman,Italic", "TimesNewRoman,Bold", "TimesNewRoman,BoldItalic"), -0.217
    ),
    "Symbol": -0.0,
    "ZapfDingbats": -0.0,
}
_CID_FONTS = (b"CIDFontType0", b"CIDFontType2")  # descendants: read through their Type0 font


def _font_dicts(value: Any, depth: int = 0) -> Iterator[dict[bytes, Any]]:
    """Font dictionaries in a parsed object (a font object, or resources holding fonts inline)."""
    if depth > 8:
        return
    if isinstance(value, dict):
        if b"BaseFont" in value and value.get(b"Subtype") not in _CID_FONTS:
            yield value
        else:
            for v in value.values():
                yield from _font_dicts(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _font_dicts(v, depth + 1)


def scan_descents(data: bytes) -> dict[str, float] | None:
    """`font_descents` from `pdfscan`, or None when the scan is unsure of the file.

    It reads every font dictionary in the file where pdfminer reads those of the page tree; the
    extra fonts (used by no page) are names PDFium never asks about, so long as one name has one
    descent, which is checked. Each font is read as `_one` reads it."""
    from gidar.extract.reader import pdfscan

    try:
        texts = pdfscan.objects(data)
        cache: dict[int, Any] = {}

        def resolve(v: Any) -> Any:
            depth = 0
            while isinstance(v, pdfscan.Ref):
                if v.num not in texts or depth > 8:
                    return None  # pdfminer resolves a missing object to None too
                if v.num not in cache:
                    cache[v.num] = pdfscan.parse(texts[v.num])
                v, depth = cache[v.num], depth + 1
            return v

        out: dict[str, float] = {}
        n = 0
        for num, text in texts.items():
            if b"/BaseFont" not in text:
                continue
            value = cache[num] = cache[num] if num in cache else pdfscan.parse(text)
            for font in _font_dicts(value):
                n += 1
                if n > _MAX_FONTS:
                    raise pdfscan.Unsure("too many fonts")
                item = _scanned_one(font, resolve)
                if item is not None and out.setdefault(*item) != item[1]:
                    raise pdfscan.Unsure(f"two descents for {item[0]}")
        return out
    except pdfscan.Unsure as e:
        _log.debug("font descriptors left to pdfminer (%s)", e)
        return None


def _scanned_one(font: dict[bytes, Any], resolve: Any) -> tuple[str, float] | None:
    from gidar.extract.reader.pdfscan import Name, Unsure

    name = resolve(font.get(b"BaseFont"))
    if not isinstance(name, Name):
        raise Unsure("a font name that is not a name")
    try:
        base = SUBSET_TAG.sub("", name.decode("utf-8"))
    except UnicodeDecodeError:
        return None  # pdfminer keys it by the bytes' repr, which no name PDFium gives can equal
    descriptor = resolve(font.get(b"FontDescriptor"))
    if resolve(font.get(b"Subtype")) == b"Type0":
        kids = resolve(font.get(b"DescendantFonts")) or []
        kid = resolve(kids[0]) if isinstance(kids, list) and kids else None
        descriptor = resolve(kid.get(b"FontDescriptor")) if isinstance(kid, dict) else None
    if not isinstance(descriptor, dict):
        known = STANDARD_DESCENTS.get(base)
        return None if known is None else (base, known)
    d = resolve(descriptor.get(b"Descent", 0))
    d = d if isinstance(d, int | float) else 0  # as num_value: anything else counts 0
    return base, -abs(float(d or 0)) / 1000


def parsed_descents(data: bytes) -> dict[str, float]:
    """`font_descents` by pdfminer's object parser, through the page tree."""
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
