"""The PDFium backend (pypdfium2): glyph boxes from the text page, rules from path objects.

PDFium parses a page in C in a few milliseconds where pdfminer's Python interpreter takes tens;
the glyphs and paths it yields go through `glyphs.words` / `glyphs.rulings`, the same grouping
the pdfplumber backend gets from pdfplumber itself, so the layout engine sees the same
`Document`. Positions are mapped into pdfplumber's page space: the page as displayed (its
``/Rotate`` applied), origin top-left, from the MediaBox.
"""

from __future__ import annotations

import ctypes
import re
import struct
import threading
from pathlib import Path
from typing import NamedTuple

from gidar.extract.budget import DEFAULT_BUDGET, Budget
from gidar.extract.model import page_words
from gidar.extract.reader import libpdfium as lib
from gidar.extract.reader.document import BadInput, Document, Page
from gidar.extract.reader.fontmetrics import SUBSET_TAG, font_descents
from gidar.extract.reader.glyphs import MIN_RULE, Glyph, GlyphTuple, dedupe, dedupe_needed, rulings, words
from gidar.extract.reader.libpdfium import Handle, handle

Affine = tuple[float, float, float, float, float, float]  # (a, b, c, d, e, f): x' = ax + cy + e, y' = bx + dy + f

# PDFium is not thread-safe, and ctypes releases the GIL during each call: report tasks that run
# in threads (the ingest flow's task runner) must not use it at once. Anything in gidar calling
# PDFium (reading here, rasterising for OCR) holds this lock; reading a report takes milliseconds.
PDFIUM_LOCK = threading.RLock()

_BREAKS = frozenset(" \r\n")  # what PDFium generates between words and lines
# PDFium's code for a soft hyphen it found at a line end (the glyph is a "-"), and for no code
_SPECIAL = {"\x02": "-", "\x00": "\ufffd"}
_MAX_FORM_DEPTH = 8  # forms nested deeper than this are drawn by no producer we know; stop there


class PdfiumOpenError(Exception):
    """PDFium could not open the file; ``password`` tells a password problem from a broken file."""

    def __init__(self, message: str, password: bool) -> None:
        super().__init__(message)
        self.password = password


class PdfDocument:
    """A document open in PDFium, read from memory (``data`` stays referenced while it is open)."""

    def __init__(self, handle: Handle, data: bytes, pages: int) -> None:
        self.handle: Handle | None = handle
        self.data = data
        self.pages = pages

    def __len__(self) -> int:
        return self.pages

    def close(self) -> None:
        if self.handle is not None:
            lib.FPDF_CloseDocument(self.handle)
            self.handle = None


def open_pdf(data: bytes) -> PdfDocument:
    """Open from memory with the empty password, as a viewer does (owner-password-only files open).
    A document without pages counts as not opened, as with pypdfium2."""
    address = lib.FPDF_LoadMemDocument64(data, len(data), b"")
    doc = handle(address) if address else None
    pages = lib.FPDF_GetPageCount(doc) if doc else 0
    if doc is None or pages < 1:
        code = lib.FPDF_GetLastError()
        if doc:
            lib.FPDF_CloseDocument(doc)
        message = f"Failed to load document (PDFium: {lib.ERRORS.get(code, f'error {code}')})."
        raise PdfiumOpenError(message, code == lib.FPDF_ERR_PASSWORD)
    return PdfDocument(doc, data, pages)


def _mul(m: Affine, n: Affine) -> Affine:
    """``m`` then ``n`` (row-vector convention, as in the PDF specification)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


class _View(NamedTuple):
    turn: Affine  # user space → pdfminer's page space (y up): the page turned by /Rotate
    to_page: Affine  # user space → pdfplumber's (x, top)
    width: float
    height: float


def _display(rotation: int, box: tuple[float, float, float, float]) -> _View:
    """How user space maps onto the page as displayed, in pdfplumber's coordinates.

    pdfminer turns the page by ``/Rotate`` (its `process_page` matrices) and pdfplumber flips
    the y axis against the MediaBox; both steps are reproduced so positions agree to the float.
    """
    x0, x1 = sorted((box[0], box[2]))
    y0, y1 = sorted((box[1], box[3]))
    turn: Affine
    if rotation == 90:
        turn = (0, -1, 1, 0, -y0, x1)
        nb = (y0, x0, y1, x1)
    elif rotation == 180:
        turn = (-1, 0, 0, -1, x1, y1)
        nb = (x0, y0, x1, y1)
    elif rotation == 270:
        turn = (0, 1, -1, 0, y1, -x0)
        nb = (y0, x0, y1, x1)
    else:
        turn = (1, 0, 0, 1, -x0, -y0)
        nb = (x0, y0, x1, y1)
    height = nb[3] - nb[1]
    # pdfplumber: x + mediabox x0, top = height - y + mediabox top (= height - nb[3])
    flip: Affine = (1, 0, 0, -1, nb[0], 2 * height - nb[3])
    return _View(turn, _mul(turn, flip), nb[2] - nb[0], height)


def _mediabox(page: Handle) -> tuple[float, float, float, float]:
    # FPDFPage_GetMediaBox reads the page's own entry only; the bounding box inherits from the page tree.
    box = [ctypes.c_float() for _ in range(4)]
    if lib.FPDFPage_GetMediaBox(page, *map(ctypes.byref, box)):
        left, bottom, right, top = (v.value for v in box)
        return left, bottom, right, top
    rect = lib.FS_RECTF()
    if not lib.FPDF_GetPageBoundingBox(page, ctypes.byref(rect)):
        raise PdfiumOpenError("Failed to get page bounding box.", password=False)
    return rect.left, rect.bottom, rect.right, rect.top


_ROTATIONS = {0: 0, 1: 90, 2: 180, 3: 270}  # FPDFPage_GetRotation's codes, in degrees clockwise


def _rotation(page: Handle) -> int:
    code = lib.FPDFPage_GetRotation(page)
    if code not in _ROTATIONS:
        raise PdfiumOpenError("Failed to get page rotation.", password=False)
    return _ROTATIONS[code]


# text page functions, called with the text page (a `Handle`) and C ints
_text_object = lib.FPDFText_GetTextObject
_unicode = lib.FPDFText_GetUnicode
_map_error = lib.FPDFText_HasUnicodeMapError
_is_generated = lib.FPDFText_IsGenerated
_loose_box = lib.FPDFText_GetLooseCharBox
_matrix_of = lib.FPDFText_GetMatrix
_font_size = lib.FPDFText_GetFontSize
_origin = lib.FPDFText_GetCharOrigin
# functions given a text object or font (Python ints) or a float
_font_of = lib.FPDFTextObj_GetFont
_font_name = lib.FPDFFont_GetBaseFontName
_font_descent = lib.FPDFFont_GetDescent
_glyph_width = lib.FPDFFont_GetGlyphWidth


_HORIZONTAL, _VERTICAL, _TURNED = 0, 1, 2  # how a text object's glyph boxes are built


class _Run(NamedTuple):
    """What the glyphs of one text object share."""

    kind: int  # _HORIZONTAL, _VERTICAL, or _TURNED (rotated or skewed: PDFium's ink box)
    upright: bool  # pdfminer's test, on the glyph as the page is turned
    unmapped: bool  # its first glyph has no Unicode: look at every glyph
    a: float  # the text object's matrix (user space), without the font size
    d: float
    size: float  # font size (Tf)
    y_lo: float  # horizontal writing: the em square's bottom and top in user space, from the
    y_hi: float  # baseline (the same for every glyph of the object) and the font's descent


class _Font(NamedTuple):
    descent: float  # below the baseline, in units of the font size (≤ 0)
    vertical: bool  # vertical writing mode (a CID font with a …-V CMap)


class _Fonts:
    """Per-font facts, looked up once per PDFium font: the descriptor's descent (`fontmetrics`,
    else PDFium's own) and the writing mode."""

    def __init__(self, descents: dict[str, float]) -> None:
        self.descents = descents
        self.cache: dict[int | None, _Font] = {}
        self.buf = ctypes.create_string_buffer(256)

    def get(self, font: int | None, tp: Handle, i: int) -> _Font:
        """The font of character ``i`` of text page ``tp`` (its code is read only for a new font)."""
        m = self.cache.get(font)
        if m is None:
            m = self.cache[font] = self._look_up(font, _unicode(tp, i)) if font else _Font(0.0, False)
        return m

    def _look_up(self, font: int, code: int) -> _Font:
        n = _font_name(font, self.buf, len(self.buf))
        name = self.buf.raw[: max(n - 1, 0)].decode("utf-8", "replace") if 0 < n <= len(self.buf) else ""
        descent = self.descents.get(SUBSET_TAG.sub("", name))
        if descent is None:
            d = ctypes.c_float(0.0)
            _font_descent(font, 1.0, ctypes.byref(d))
            descent = -abs(d.value)
        # PDFium gives a vertical font's advance, downwards, as a negative width
        width = ctypes.c_float(0.0)
        vertical = bool(code) and bool(_glyph_width(font, code, 1.0, ctypes.byref(width))) and width.value < 0
        return _Font(descent, vertical)


class _Scratch:
    """ctypes buffers reused for every text object of a page."""

    def __init__(self) -> None:
        self.mat = lib.FS_MATRIX()
        self.mat_p = ctypes.byref(self.mat)
        self.ox, self.oy = ctypes.c_double(), ctypes.c_double()
        self.ox_p, self.oy_p = ctypes.byref(self.ox), ctypes.byref(self.oy)


_MATRIX = struct.Struct("6f").unpack_from  # FS_MATRIX (a, b, c, d, e, f), read in one call
_IDENTITY: Affine = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)  # a page object without a matrix


def _run(
    tp: Handle, i: int, obj: int | None, turn: Affine, fonts: _Fonts, scratch: _Scratch, top_level: set[int]
) -> _Run:
    """The run of text object ``obj``, of which character ``i`` is the first drawn (~600 a report).
    ``top_level``: the page's own objects (not those inside forms), or none when not known."""
    _matrix_of(tp, i, scratch.mat_p)
    ma, mb, mc, md, _, mf = _MATRIX(scratch.mat)
    ta, tb, tc, td, _, _ = turn
    a, b = ma * ta + mb * tc, ma * tb + mb * td
    c, d = mc * ta + md * tc, mc * tb + md * td
    font_key = _font_of(obj) if obj else None
    font = fonts.cache.get(font_key) or fonts.get(font_key, tp, i)
    size = _font_size(tp, i)
    turned = abs(mb) >= 1e-6 or abs(mc) >= 1e-6
    kind = _TURNED if turned else _VERTICAL if font.vertical else _HORIZONTAL
    if kind != _HORIZONTAL:
        y_lo = 0.0  # unused: only horizontal runs give their glyphs the run's y's
    elif mb == 0.0 and mf != 0.0 and obj in top_level:
        # PDFium's origin is this matrix applied to the pen position, which horizontal writing
        # keeps on the baseline (y = 0): with b = 0 its y is f, to the bit (a zero f could differ
        # in sign). Not so in a form: an /ActualText glyph's origin skips the form's matrix.
        y_lo = mf + md * font.descent * size
    else:
        _origin(tp, i, scratch.ox_p, scratch.oy_p)
        y_lo = scratch.oy.value + md * font.descent * size
    upright = a * d > 0 and b * c <= 0
    unmapped = _map_error(tp, i) == 1
    return tuple.__new__(_Run, (kind, upright, unmapped, ma, md, size, y_lo, y_lo + md * size))


def _page_text(textpage: Handle, n: int) -> str | None:
    """All of the text page's characters in one call, or None when PDFium's text does not line
    up one character per glyph (it drops control characters; UTF-16 splits non-BMP ones)."""
    buf = (ctypes.c_ushort * (n + 1))()
    written = lib.FPDFText_GetText(textpage, 0, n, buf)
    text = bytes(buf)[: 2 * max(written - 1, 0)].decode("utf-16-le", "replace")
    return text if len(text) == n else None


def _glyphs(
    textpage: Handle, view: _View, fonts: _Fonts, top_level: set[int]
) -> tuple[list[GlyphTuple], int, set[int | None]]:
    """Every drawn glyph (PDFium's generated spaces and line breaks left out), their count, and
    the text objects that draw them (``top_level``: the page's own objects, as for `_run`).

    Boxes are pdfminer's: from the pen position, font descent and font size up (the height
    of the em square), and across the advance width (PDFium's loose box, which also takes in
    ink overflowing the advance: a fraction of a point on some digits).
    """
    n = lib.FPDFText_CountChars(textpage)
    text = _page_text(textpage, n)
    tp = textpage
    scratch = _Scratch()
    out: list[GlyphTuple] = []
    runs: dict[int | None, _Run] = {}
    key: int | None = -1
    run: _Run | None = None
    rect = lib.FS_RECTF()
    rect_p = ctypes.byref(rect)
    ox, oy = ctypes.c_double(), ctypes.c_double()
    ox_p, oy_p = ctypes.byref(ox), ctypes.byref(oy)
    left, right, bottom, top_ = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    left_p, right_p, bottom_p, top_p = map(ctypes.byref, (left, right, bottom, top_))
    a, b, c, d, e, f = view.to_page
    turn = view.turn
    # an upright page maps x and y on their own: a horizontal run's glyphs share their page y's
    axis_aligned = b == 0 and c == 0
    # the facts of the current text object's run, as locals: read per glyph
    kind, upright, unmapped, run_a, run_d, size, run_lo, run_hi = _HORIZONTAL, True, False, 1.0, 1.0, 0.0, 0.0, 0.0
    fast = False  # the run's glyphs take the shortcut below
    top = bottom_ = 0.0  # its page y's, when they do
    chars = text if text is not None else "".join(chr(_unicode(tp, i)) for i in range(n))
    append = out.append
    cr = -1  # the last generated "\r": PDFium generates a line break as "\r\n", the two together
    # PDFium's codes for a soft hyphen and for no code, spelt as pdfminer spells them
    spelt = chars.replace("\x02", _SPECIAL["\x02"]).replace("\x00", _SPECIAL["\x00"])
    for i, ch in enumerate(spelt):
        if ch in _BREAKS and ((ch == "\n" and cr == i - 1) or _is_generated(tp, i)):
            if ch == "\r":
                cr = i
            continue
        obj = _text_object(tp, i)
        if obj != key:  # (never at the first glyph: no object is -1)
            key = obj
            run = runs.get(obj)
            if run is None:
                run = runs[obj] = _run(tp, i, obj, turn, fonts, scratch, top_level)
            kind, upright, unmapped, run_a, run_d, size, run_lo, run_hi = run
            fast = kind == _HORIZONTAL and axis_aligned
            if fast:
                # sorted((ya, yb)), spelt out: swapped only when yb < ya
                ya, yb = d * run_lo + f, d * run_hi + f
                top, bottom_ = (yb, ya) if yb < ya else (ya, yb)
        # no Unicode for it: pdfminer's notation, so both backends agree
        glyph = f"(cid:{_unicode(tp, i)})" if unmapped and _map_error(tp, i) == 1 else ch
        _loose_box(tp, i, rect_p)
        x_lo, x_hi = rect.left, rect.right
        if fast and x_hi - x_lo > 1e-3:  # the general case below, with b = c = 0 and the run's y's
            xa, xb = a * x_lo + e, a * x_hi + e
            if xa > xb:
                xa, xb = xb, xa
            append((glyph, xa, top, xb, bottom_, upright, "", 0.0))
            continue
        if kind == _HORIZONTAL and x_hi - x_lo > 1e-3:
            y_lo, y_hi = run_lo, run_hi
        elif kind == _VERTICAL:
            # pdfminer: the em square centred on the pen, its top 0.12 em above the pen. PDFium's
            # origin is the em square's lower corner moved by half the glyph's own width (the
            # PDF default), and its loose box puts the half-em back, without the text matrix.
            _origin(tp, i, ox_p, oy_p)
            x_lo, y_lo = ox.value + run_a * (x_lo - ox.value), oy.value
            x_hi, y_hi = x_lo + run_a * size, y_lo + run_d * size
        else:  # rotated or skewed text: PDFium's ink box (its loose box assumes horizontal text)
            lib.FPDFText_GetCharBox(textpage, i, left_p, right_p, bottom_p, top_p)
            x_lo, y_lo, x_hi, y_hi = left.value, bottom.value, right.value, top_.value
        xa, ya = a * x_lo + c * y_lo + e, b * x_lo + d * y_lo + f
        xb, yb = a * x_hi + c * y_hi + e, b * x_hi + d * y_hi + f
        if xa > xb:
            xa, xb = xb, xa
        if ya > yb:
            ya, yb = yb, ya
        # font and size stay blank: a redrawn glyph is the same text ≤ 1 pt away (see glyphs.dedupe)
        out.append((glyph, xa, ya, xb, yb, upright, "", 0.0))
    return (_join_surrogates(out) if _HIGH_SURROGATE(chars) else out), len(out), set(runs)


_HIGH_SURROGATE = re.compile("[\ud800-\udbff]").search  # a page's text holds a pair's first half


def _join_surrogates(rows: list[GlyphTuple]) -> list[GlyphTuple]:
    """PDFium counts a character beyond the BMP (𬒗 in a rare place name) as two UTF-16 halves:
    one glyph of the pair, or the text could not even be written as UTF-8."""
    if not any("\ud800" <= g[0] <= "\udbff" for g in rows):
        return rows
    glyphs = list(map(Glyph._make, rows))
    out: list[Glyph] = []
    for g in glyphs:
        prev = out[-1] if out else None
        low = "\udc00" <= g.text <= "\udfff"
        if prev is not None and low and len(prev.text) == 1 and "\ud800" <= prev.text <= "\udbff":
            text = (prev.text + g.text).encode("utf-16", "surrogatepass").decode("utf-16")
            box = (min(prev.x0, g.x0), min(prev.top, g.top), max(prev.x1, g.x1), max(prev.bottom, g.bottom))
            out[-1] = prev._replace(text=text, x0=box[0], top=box[1], x1=box[2], bottom=box[3])
        else:
            out.append(g)
    # a half without its other half is no character at all
    return [g._replace(text="\ufffd") if "\ud800" <= g.text <= "\udfff" else g for g in out]


_object_address = lib.FPDFPage_GetObject
_obj_type = lib.FPDFPageObj_GetType
_obj_bounds = lib.FPDFPageObj_GetBounds
_obj_matrix = lib.FPDFPageObj_GetMatrix
_draw_mode = lib.FPDFPath_GetDrawMode
_count_segments = lib.FPDFPath_CountSegments
_segment = lib.FPDFPath_GetPathSegment
_segment_type = lib.FPDFPathSegment_GetType
_segment_point = lib.FPDFPathSegment_GetPoint
_segment_closes = lib.FPDFPathSegment_GetClose
_form_count = lib.FPDFFormObj_CountObjects
_form_object = lib.FPDFFormObj_GetObject
_FORM = lib.FPDF_PAGEOBJ_FORM
_MOVE, _BEZIER = lib.FPDF_SEGMENT_MOVETO, lib.FPDF_SEGMENT_BEZIERTO


class _PathReader:
    """Painted subpaths of a page's path objects, in page space, with reused ctypes buffers."""

    def __init__(self) -> None:
        self.f = [ctypes.c_float() for _ in range(4)]
        self.fp = [ctypes.byref(v) for v in self.f]
        self.fill, self.stroke = ctypes.c_int(), ctypes.c_int()
        self.fill_p, self.stroke_p = ctypes.byref(self.fill), ctypes.byref(self.stroke)
        self.m = lib.FS_MATRIX()
        self.m_p = ctypes.byref(self.m)

    def _small(self, obj: Handle) -> bool:
        """Bounds (stroke included) no wider or taller than a rule's minimum: no segment can count
        (a form of small drawings, a logo, is skipped whole)."""
        left, bottom, right, top = self.f
        if not _obj_bounds(obj, *self.fp):
            return False
        return right.value - left.value <= MIN_RULE and top.value - bottom.value <= MIN_RULE

    def subpaths(self, objects: list[int], ctm: Affine, depth: int = 0) -> list[list[tuple[float, float]]]:
        """Subpaths of every path object (given by address), inside forms too (a form's matrix
        maps its objects onto the page).

        A page's paths share a few matrices (most the identity): each one's product with ``ctm``
        is computed once, keyed by the matrix's bytes (so -0.0 and 0.0 stay apart)."""
        out: list[list[tuple[float, float]]] = []
        combined: dict[bytes | None, Affine] = {}
        m, m_p = self.m, self.m_p
        for address in objects:
            obj = handle(address)
            if _draw_mode(obj, self.fill_p, self.stroke_p):  # a path: no other object has a draw mode
                if self.fill.value == lib.FPDF_FILLMODE_NONE and not self.stroke.value:
                    continue  # neither filled nor stroked (a clipping path): paints nothing
                key = bytes(m) if _obj_matrix(obj, m_p) else None
                to_page = combined.get(key)
                if to_page is None:
                    to_page = combined[key] = _mul(_MATRIX(m) if key is not None else _IDENTITY, ctm)
                self._segments(obj, to_page, out)
            elif depth < _MAX_FORM_DEPTH and _obj_type(obj) == _FORM and not self._small(obj):
                inner = [a for k in range(_form_count(obj)) if (a := _form_object(address, k))]
                form = _MATRIX(m) if _obj_matrix(obj, m_p) else _IDENTITY
                out += self.subpaths(inner, _mul(form, ctm), depth + 1)
        return out

    def _segments(self, obj: Handle, ctm: Affine, out: list[list[tuple[float, float]]]) -> None:
        """Like pdfminer: a Bézier piece counts by its end point only; a closed subpath ends on
        its start point."""
        a, b, c, d, e, f = ctm
        x, y = self.f[0], self.f[1]
        xp, yp = self.fp[0], self.fp[1]
        pts: list[tuple[float, float]] = []
        beziers = 0
        last = _count_segments(obj) - 1
        for k in range(last + 1):
            seg = handle(_segment(obj, k))
            kind = _segment_type(seg)
            _segment_point(seg, xp, yp)
            px, py = x.value, y.value
            p = (a * px + c * py + e, b * px + d * py + f)
            if kind == _MOVE:
                if len(pts) > 1:
                    out.append(pts)
                pts = [p]
                beziers = 0
                continue
            if kind == _BEZIER:
                beziers += 1
                if beziers % 3:  # control points
                    continue
            if pts:
                pts.append(p)
            # closing the path's last subpath draws no new rule when it retraces the subpath's
            # only piece (a line: `rulings` counts a piece once) or starts where the subpath
            # began (a rectangle's fifth point): PDFium is not asked then
            if pts and (k < last or (len(pts) > 2 and pts[-1] != pts[0])) and _segment_closes(seg):
                pts.append(pts[0])
        if len(pts) > 1:
            out.append(pts)


def _check(budget: Budget, number: int, n: int) -> None:
    message = budget.too_many_objects(number, n)
    if message:
        raise BadInput("too_large", message)


def read_page(pdf: PdfDocument, index: int, fonts: _Fonts, budget: Budget, with_rulings: bool = True) -> Page:
    address = lib.FPDF_LoadPage(pdf.handle, index)
    if not address:
        raise PdfiumOpenError("page not loaded: Failed to load page.", password=False)
    page = handle(address)
    number = index + 1
    try:
        n_objects = lib.FPDFPage_CountObjects(page)
        _check(budget, number, n_objects)
        view = _display(_rotation(page), _mediabox(page))
        # the page's objects: text objects among them need not be asked their origin (`_run`);
        # the others are where rules are drawn
        addresses = [_object_address(page, k) for k in range(n_objects)] if with_rulings else []
        text_address = lib.FPDFText_LoadPage(page)
        if not text_address:
            raise PdfiumOpenError("page not loaded: Failed to load text page.", password=False)
        textpage = handle(text_address)
        try:
            _check(budget, number, lib.FPDFText_CountChars(textpage))  # glyphs drawn by forms count too
            glyphs, n_chars, texts = _glyphs(textpage, view, fonts, set(addresses))
        finally:
            lib.FPDFText_ClosePage(textpage)
        if dedupe_needed(glyphs):
            glyphs = list(dedupe(list(map(Glyph._make, glyphs))))
        ws = page_words(words(glyphs), number)
        h: list[tuple[float, float, float]] = []
        v: list[tuple[float, float, float]] = []
        if with_rulings and ws:
            # the text objects are known: no need to ask each its type
            objs = [a for a in addresses if a not in texts]
            h, v = rulings(_PathReader().subpaths(objs, view.to_page))
        return Page(number, float(view.width), float(view.height), ws, h, v, n_chars)
    finally:
        lib.FPDF_ClosePage(page)


def read(
    path: Path, pdf: PdfDocument, data: bytes, budget: Budget = DEFAULT_BUDGET, with_rulings: bool = True
) -> Document:
    """Every page of a document opened from ``data``. Raises `BadInput` for a document without
    pages and `PdfiumOpenError` when a page cannot be loaded (a damaged page tree)."""
    n = len(pdf)
    if n == 0:
        raise BadInput("unreadable", "PDF has no pages")
    fonts = _Fonts(font_descents(data))
    pages = [read_page(pdf, i, fonts, budget, with_rulings) for i in range(n)]
    return Document(path, pages, backend="pdfium")
