"""OCR for image-only (scanned) pages: page image → positioned `Word`s for the table engine.

Offline: pypdfium2 rasterises one page at a time, the PP-OCR models of rapidocr-onnxruntime read
it (extract/ocr_engine.py, one set per process). Per page:

1. render at SCALE (144 dpi), skip a blank page;
2. detect text lines on a reduced copy; turn a sideways or upside-down page upright and remove
   its skew (extract/ocr_orient.py);
3. find the ruled table grid (extract/ocr_grid.py);
4. cut the detected boxes at the rules into segments, add ink the detector missed, leave out
   running prose unless asked for it, and read each visual line as one strip
   (extract/ocr_lines.py);
5. split the readings into tokens and re-read the doubtful ruled cells (extract/ocr_cells.py).

Words are in PDF points of the upright page (top-left origin); `OcrPage` says how the page was
turned so the caller can size it. Finished pages are cached per (file sha256, page, options).

Public: `is_image_only`, `image_only_pages`, `ocr_page`, `ocr_page_words`, `ocr_page_text`,
`reread_cell`, `page_area`.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gidar.contract import BBox
from gidar.extract import ocr_lines as ol
from gidar.extract import ocr_orient as orient
from gidar.extract.model import Word
from gidar.extract.ocr_cells import GLYPH_CONF, review_cells
from gidar.extract.ocr_engine import DEFAULT_THREADS, Engine, engine
from gidar.extract.ocr_glyph import numeral_by_strokes, stroke_glyph
from gidar.extract.ocr_grid import Grid, dark_mask, find_grid, ink_box, text_crop
from gidar.extract.ocr_tokens import Char, OcrBox, Token, reading_lines, split_box
from gidar.extract.reader.pdfium import PDFIUM_LOCK

SCALE = 2.0  # render scale: 144 dpi, where 8-pt table text is about 16 px high
MIN_TEXT_CHARS = 20  # fewer extractable characters than this on a page: treat it as an image
RULE_MIN_PT = 20.0  # a ruling line is at least this long; longer than any stroke of table text
MIN_CELL_PT = 4.0
TABLE_FONT_PT = 10.5  # fallback glyph size when a page has no text boxes to measure
BLANK_INK = 2e-4  # share of dark pixels under which a page is blank (scanner dust, a page number dot)
BLANK_SCALE = 0.25  # blank pages are recognised on an 18-dpi rendering, before the real one
MAX_RENDER_PIXELS = 60_000_000  # a hard stop under the caller's page-area budget (60 MB grey)
DASH_ROW = 0.3  # a line whose tallest piece is this flat (text heights) holds dashes only
NUMERAL_CHECK_CONF = 0.9  # a row numeral 一二三 read with less confidence is checked by its strokes
SECOND_READ_CONF = 0.85  # a segment read in its strip with less confidence is read again on its own
# A token closer to the image border than this share of its height (about a digit's width; pages
# keep a margin of a centimetre or more) may go on beyond it: a table run off the page, or cropped
# by the scanner. Its reading gets at most EDGE_CONF, under the review threshold, so a value cut
# short is never taken for a clean read, nor its sums for the publisher's error.
EDGE_HEIGHTS = 1.0
EDGE_CONF = 0.5
_CACHE_PAGES = 2  # page images kept for `reread_cell`
_CACHE_WORDS = 512  # pages of finished words kept

_SPECK = re.compile(r"^[.·,，'`’‘\"“”:：;；。、_~～^]+$")
_cache_lock = threading.RLock()


class PageTooLarge(ValueError):
    """The page would rasterise to more than MAX_RENDER_PIXELS."""


@dataclass(frozen=True)
class PageRead:
    """One page read: the upright image (pixels), its grid, the first-pass boxes, and how it got upright."""

    gray: np.ndarray
    grid: Grid
    boxes: tuple[OcrBox, ...]
    tokens: tuple[Token, ...]
    scale: float
    turned: int  # degrees the scan was turned clockwise to stand upright: 0, 90, 180, 270
    skew: float  # degrees of skew removed
    prose_skipped: int  # lines of running prose left unread


@dataclass(frozen=True)
class OcrPage:
    """Words of one OCR'd page and the size of the upright page they are placed on (points)."""

    words: list[Word]
    width: float
    height: float
    turned: int
    skew: float
    prose_skipped: int
    blank: bool = False  # no ink: nothing was detected or read


# --- text layer probe and page size ----------------------------------------------------------------


def _page_text_chars(pdf: Any, index: int) -> int:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            return sum(1 for c in textpage.get_text_range() if not c.isspace())
        finally:
            textpage.close()
    finally:
        page.close()


@contextlib.contextmanager
def _opened(pdf_path: Path) -> Iterator[Any]:
    """The PDF open in PDFium, under `PDFIUM_LOCK` (PDFium is not thread-safe; report tasks may
    run in threads). Hold it only for PDFium calls: the OCR itself runs outside it."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(str(pdf_path))
        try:
            yield pdf
        finally:
            pdf.close()


def image_only_pages(pdf_path: Path) -> list[int]:
    """1-based numbers of pages without a usable text layer (fewer than MIN_TEXT_CHARS characters)."""
    with _opened(pdf_path) as pdf:
        return [i + 1 for i in range(len(pdf)) if _page_text_chars(pdf, i) < MIN_TEXT_CHARS]


def is_image_only(pdf_path: Path) -> bool:
    """True when no page of the PDF has a usable text layer (a scan or a 图片版 report)."""
    with _opened(pdf_path) as pdf:
        n = len(pdf)
        return n > 0 and all(_page_text_chars(pdf, i) < MIN_TEXT_CHARS for i in range(n))


def page_area(pdf_path: Path, page_number: int) -> float:
    """The page's area in square points, as it would be rendered (read without rendering)."""
    with _opened(pdf_path) as pdf:
        page = pdf[page_number - 1]
        try:
            w, h = page.get_size()
        finally:
            page.close()
    return float(w) * float(h)


# --- rendering ----------------------------------------------------------------------------------------


def render_gray(pdf_path: Path, page_number: int, scale: float) -> np.ndarray:
    """One page as a greyscale uint8 array (pixel = PDF point × scale); the page is closed after.
    Raises `PageTooLarge` before rendering a page over MAX_RENDER_PIXELS."""
    with _opened(pdf_path) as pdf:
        page = pdf[page_number - 1]
        try:
            w, h = page.get_size()
            if w * h * scale * scale > MAX_RENDER_PIXELS:
                raise PageTooLarge(f"page {page_number} is {w:.0f} × {h:.0f} pt: too large to rasterise")
            bitmap = page.render(scale=scale, grayscale=True)
            try:
                array = np.array(bitmap.to_numpy(), copy=True)
            finally:
                bitmap.close()
        finally:
            page.close()
    if array.ndim == 3:  # some pdfium builds return one channel per component even for grey
        array = array[..., 0]
    return array


def _engine(threads: int = DEFAULT_THREADS) -> Engine:
    return engine(threads)


def is_blank(gray: np.ndarray) -> bool:
    """No ink worth reading: under BLANK_INK of the pixels are dark."""
    return bool(gray.size == 0 or dark_mask(gray).mean() < BLANK_INK)


# --- one page -----------------------------------------------------------------------------------------


def _upright(gray: np.ndarray, eng: Engine) -> tuple[np.ndarray, np.ndarray, int, float]:
    """(upright deskewed image, its detector quads, degrees turned clockwise, skew removed)."""
    quads = eng.detect(gray)
    turned = 0
    if orient.is_sideways(quads):
        gray = cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE)
        quads = eng.detect(gray)
        turned = 90
    skew = orient.refine_skew(dark_mask(gray), orient.skew_degrees(quads))
    gray, m = orient.deskew(gray, skew)
    if m is not None:
        quads = orient.transform_quads(quads, m)
    if eng.upside_down(orient.line_crops(gray, quads)) > orient.UPSIDE_DOWN:
        quads = orient.turn_180_quads(quads, gray.shape)
        gray = cv2.rotate(gray, cv2.ROTATE_180)
        turned = (turned + 180) % 360
    return gray, quads, turned, skew


def page_segments(
    gray: np.ndarray, grid: Grid, quads: np.ndarray, scale: float
) -> tuple[list[ol.Segment], float, np.ndarray]:
    """The page's segments, its typical glyph height (pixels), and its rules: the grid's and
    the rule pieces the grid missed."""
    segs, th, bits = ol.segments(gray, grid, ol.axis_boxes(quads, gray.shape), TABLE_FONT_PT * scale)
    return segs, th, grid.lines | bits


def read_segments(
    gray: np.ndarray, rules: np.ndarray, segs: list[ol.Segment], keep: list[int], eng: Engine, text_h: float
) -> tuple[list[OcrBox], list[OcrBox]]:
    """Read the kept segments: visual lines and stacks as strips; a lone straight stroke (``/``,
    ``—``, ``-``) by its shape, which the recogniser reads unreliably alone; a segment read with
    doubt (under SECOND_READ_CONF) once more apart from its line, keeping the surer reading.
    Returns the boxes of visual lines and those of characters printed one per line."""
    ink = dark_mask(gray) & ~rules
    lines = ol.visual_lines([segs[i] for i in keep])
    stack_h = {}  # median character height of each stack
    for line in lines:
        on_line = [segs[keep[j]] for j in line]
        if on_line[0].stack >= 0:
            stack_h[on_line[0].stack] = float(np.median([m.h for m in on_line]))
    strips = [ol.build_strip(gray, rules, segs, [keep[j] for j in line]) for line in lines]
    found: dict[int, OcrBox] = {}
    for strip, hits in zip(strips, eng.read_strips([s.image for s in strips], pack=True), strict=True):
        found.update(ol.split_hits(strip, hits, segs, ink))
    band = _line_bands(segs, [[keep[j] for j in line] for line in lines], text_h)
    glyphs = set()
    for i in keep:
        s = segs[i]
        if s.stack >= 0 and i in found and s.h < ol.FRAGMENT * stack_h[s.stack]:
            # the one small mark of a label printed down the page: 三、本年度… (read as - or ·)
            found[i] = replace(found[i], text="、", chars=(Char("、", s.x0, s.x1, found[i].score),))
        # measured against its own line: a page mixes 8-pt tables with 14-pt prose
        line_h = float(band[i][1] - band[i][0]) if i in band else text_h
        if s.stack >= 0 or s.w > 2.5 * line_h or s.h > 1.3 * line_h:
            continue
        glyph = stroke_glyph(ink[s.y0 : s.y1, s.x0 : s.x1], line_h)
        if glyph:
            found[i] = OcrBox(glyph, GLYPH_CONF, s.x0, s.y0, s.x1, s.y1, (Char(glyph, s.x0, s.x1, GLYPH_CONF),))
            glyphs.add(i)
    # a second, packed reading of what the first read with doubt, apart from its line
    doubtful = [
        i
        for i in keep
        if segs[i].stack < 0 and i not in glyphs and (i not in found or found[i].score < SECOND_READ_CONF)
    ]
    alone = [ol.build_strip(gray, rules, segs, [i]) for i in doubtful]
    for strip, hits in zip(alone, eng.read_strips([s.image for s in alone], pack=True), strict=True):
        for i, box in ol.split_hits(strip, hits, segs, ink).items():
            if i not in found or box.score > found[i].score:
                found[i] = box
    for i in list(found):
        if i not in glyphs and segs[i].w <= 2.5 * text_h and _SPECK.match(found[i].text):
            del found[i]  # a dot of scanner dust read as punctuation, not a printed token
    for i, box in list(found.items()):
        fixed = _row_numeral(box, ink, segs[i])
        if fixed is not box:
            found[i] = fixed
    # One box per visual line, as tall as the line (a dash is not a line of its own, as in a
    # text layer): words are told apart by `split_box` from the characters and the page's
    # gaps, so 6、 and 属于… boxed apart by the detector still make one label.
    out: list[OcrBox] = []
    stacked: list[OcrBox] = []
    for line in lines:
        members = [keep[j] for j in line if keep[j] in found]
        if not members:
            continue
        if segs[members[0]].stack >= 0:
            stacked += [replace(found[i], top=float(band[i][0]), bottom=float(band[i][1])) for i in members]
            continue
        chars = tuple(c for i in members for c in found[i].chars)
        top, bottom = min(band[i][0] for i in members), max(band[i][1] for i in members)
        out.append(
            OcrBox(
                "".join(c.text for c in chars),
                float(np.mean([found[i].score for i in members])),
                min(found[i].x0 for i in members),
                float(top),
                max(found[i].x1 for i in members),
                float(bottom),
                chars,
            )
        )
    return sorted(out, key=lambda b: (b.top, b.x0)), stacked


_NUMERAL_AT = re.compile(r"^[（(]?[一二三][、.）)]")


def _row_numeral(box: OcrBox, ink: np.ndarray, seg: ol.Segment) -> OcrBox:
    """A row or section number (一、 （二） 三.) read with doubt whose numeral the ink's stroke
    count contradicts, corrected: the recogniser reads a lone 一 as 二 now and then, and the
    row is then lost. A confident reading is left alone (the box may reach into the next line)."""
    if not _NUMERAL_AT.match(box.text):
        return box
    k = 1 if box.text[0] in "（(" else 0
    ch = box.chars[k]
    if ch.conf >= NUMERAL_CHECK_CONF:
        return box
    x0, x1 = int(ch.x0), math.ceil(ch.x1)
    right = numeral_by_strokes(ink[seg.y0 : seg.y1, x0:x1], ch.text)
    if right == ch.text:
        return box
    chars = list(box.chars)
    chars[k] = replace(ch, text=right)
    return replace(box, text=box.text[:k] + right + box.text[k + 1 :], chars=tuple(chars))


def _line_bands(segs: list[ol.Segment], lines: list[list[int]], text_h: float) -> dict[int, tuple[int, int]]:
    """Each segment's vertical extent as a word of its visual line: the line's median top and
    bottom, widened to the segment's own ink; a line of marks only (a row of dashes) a text
    height about their middle. Characters of a stack keep their own."""
    out = {}
    for line in lines:
        tallest = max(segs[i].h for i in line)
        full = [segs[i] for i in line if segs[i].h >= 0.5 * tallest]  # not the dashes and dots
        top = int(np.median([s.y0 for s in full]))
        bottom = int(np.median([s.y1 for s in full]))
        if tallest < DASH_ROW * text_h:
            mid = (top + bottom) / 2
            top, bottom = int(mid - text_h / 2), math.ceil(mid + text_h / 2)
        for i in line:
            s = segs[i]
            out[i] = (s.y0, s.y1) if s.stack >= 0 else (min(top, s.y0), max(bottom, s.y1))
    return out


def _at_edge(t: Token, scanned: np.ndarray) -> bool:
    """The token comes within EDGE_HEIGHTS of its height of the scan's edge (the image border,
    or the white corners deskewing turned in)."""
    h, w = scanned.shape
    m = max(2.0, EDGE_HEIGHTS * (t.bottom - t.top))
    x0, y0, x1, y1 = int(t.x0 - m), int(t.top - m), math.ceil(t.x1 + m), math.ceil(t.bottom + m)
    if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
        return True
    return not bool(scanned[y0:y1, x0:x1].all())


def read_image(
    gray: np.ndarray, scale: float = SCALE, prose_top: float = 0.0, prose: bool = False, threads: int = DEFAULT_THREADS
) -> PageRead:
    """Read one page image (grey, ``scale`` pixels per point). Running prose is read only above
    ``prose_top`` (a fraction of the page height) unless ``prose`` is set. ``threads``: onnxruntime
    threads of the process's engine, when this call creates it (`ocr_engine.engine`)."""
    if is_blank(gray):
        empty = Grid([], np.zeros(gray.shape, bool), np.full(gray.shape, -1, np.int32))
        return PageRead(gray, empty, (), (), scale, 0, 0.0, 0)
    eng = _engine(threads)
    gray, quads, turned, skew = _upright(gray, eng)
    grid = find_grid(gray, min_len=round(RULE_MIN_PT * scale), min_cell=round(MIN_CELL_PT * scale))
    segs, th, rules = page_segments(gray, grid, quads, scale)
    ink = dark_mask(gray) & ~rules
    if segs:
        text_width = max(s.x1 for s in segs) - min(s.x0 for s in segs)
        limit = prose_top * gray.shape[0]
        skip = {i for i, s in enumerate(segs) if not prose and s.y0 >= limit and ol.is_prose(s, ink, text_width, th)}
    else:
        skip = set()
    keep = [i for i in range(len(segs)) if i not in skip]
    lined, stacked = read_segments(gray, rules, segs, keep, eng, th)
    ocr_boxes = tuple(sorted(lined + stacked, key=lambda b: (b.top, b.x0)))
    # a lone 一 on a line is a dash (—1—, a zero marker): no label is the single numeral
    tokens = [replace(t, text="—") if t.text == "一" else t for box in lined for t in split_box(box, grid.cell_at)]
    tokens += [t for box in stacked for t in split_box(box, grid.cell_at)]
    tokens = review_cells(gray, grid, tokens, eng.read_lines, th)
    scanned = orient.scanned_area(gray.shape, skew)
    tokens = [replace(t, conf=min(t.conf, EDGE_CONF)) if _at_edge(t, scanned) else t for t in tokens]
    return PageRead(gray, grid, ocr_boxes, tuple(tokens), scale, turned, skew, len(skip))


# --- caches ------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_sha256(pdf_path: Path) -> str:
    st = os.stat(pdf_path)
    return _sha256(str(pdf_path), st.st_mtime_ns, st.st_size)


_Key = tuple[str, int, float, float, bool]
_reads: OrderedDict[_Key, PageRead] = OrderedDict()
_pages: OrderedDict[_Key, OcrPage] = OrderedDict()


def page_read(
    pdf_path: Path, page_number: int, prose_top: float = 0.0, prose: bool = False, threads: int = DEFAULT_THREADS
) -> PageRead:
    """The page read (cached: the last few pages' images are kept for cell re-reads)."""
    key = (file_sha256(pdf_path), page_number, SCALE, prose_top, prose)
    with _cache_lock:
        hit = _reads.get(key)
        if hit is not None:
            _reads.move_to_end(key)
            return hit
        read = read_image(render_gray(pdf_path, page_number, SCALE), SCALE, prose_top, prose, threads)
        _reads[key] = read
        while len(_reads) > _CACHE_PAGES:
            _reads.popitem(last=False)
        return read


def clear_cache() -> None:
    with _cache_lock:
        _reads.clear()
        _pages.clear()


# --- public API -------------------------------------------------------------------------------------


def _to_word(t: Token, page_number: int, scale: float) -> Word:
    return Word(t.text, t.x0 / scale, t.top / scale, t.x1 / scale, t.bottom / scale, page_number, round(t.conf, 4))


def ocr_page(
    pdf_path: Path, page_number: int, prose_top: float = 0.0, prose: bool = False, threads: int = DEFAULT_THREADS
) -> OcrPage:
    """Words of an image-only page in PDF points of the upright page (top-left origin), one per
    printed token, with OCR confidence in ``conf``; running prose only above ``prose_top`` (a
    fraction of the page height) unless ``prose``; ``threads`` as in `read_image`. Raises on an
    unreadable PDF, a page number out of range, or `PageTooLarge`."""
    key = (file_sha256(pdf_path), page_number, SCALE, prose_top, prose)
    with _cache_lock:
        if key not in _pages:
            thumb = render_gray(pdf_path, page_number, BLANK_SCALE)
            if is_blank(thumb):
                h, w = thumb.shape
                _pages[key] = OcrPage([], w / BLANK_SCALE, h / BLANK_SCALE, 0, 0.0, 0, blank=True)
            else:
                r = page_read(pdf_path, page_number, prose_top, prose, threads)
                h, w = r.gray.shape
                words = [_to_word(t, page_number, r.scale) for t in r.tokens]
                _pages[key] = OcrPage(words, w / r.scale, h / r.scale, r.turned, r.skew, r.prose_skipped)
            while len(_pages) > _CACHE_WORDS:
                _pages.popitem(last=False)
        return _pages[key]


def ocr_page_words(pdf_path: Path, page_number: int, prose_top: float = 0.0, prose: bool = False) -> list[Word]:
    return list(ocr_page(pdf_path, page_number, prose_top, prose).words)


def ocr_page_text(pdf_path: Path, page_number: int, prose: bool = True) -> str:
    """Page text in reading order (lines top to bottom, boxes left to right), prose included by default."""
    return "\n".join(reading_lines(page_read(pdf_path, page_number, prose=prose).boxes))


def reread_cell(pdf_path: Path, page_number: int, bbox: BBox) -> tuple[str, float]:
    """Read the ink inside ``bbox`` (PDF points of the upright page) again with the line
    recogniser: (text, conf); ("", 1.0) when the box holds no ink (a blank cell)."""
    page = page_read(pdf_path, page_number)
    scale = page.scale
    h, w = page.gray.shape
    x0, top, x1, bottom = bbox
    box = (
        max(0, int(x0 * scale)),
        max(0, int(top * scale)),
        min(w, int(x1 * scale) + 1),
        min(h, int(bottom * scale) + 1),
    )
    ink = ink_box(page.gray, page.grid.lines, box, inset=0)
    if ink is None:
        return "", 1.0
    text, conf = _engine().read_lines([text_crop(page.gray, page.grid.lines, ink)])[0]
    return text.strip(), conf
