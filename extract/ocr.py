"""OCR for image-only (scanned) reports: page image → positioned `Word`s for the table engine.

Offline: pypdfium2 rasterises one page at a time, rapidocr-onnxruntime (PP-OCR models shipped in
its wheel) reads it. The ruled table grid found in the image (extract/ocr_grid.py) lets us split
OCR lines into per-cell tokens and re-read cells the first pass missed or doubted
(extract/ocr_cells.py). Results are cached per (file sha256, page, scale) within the process.

Public: `is_image_only`, `image_only_pages`, `ocr_page_words`, `ocr_page_text`, `reread_cell`.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from gidar.contract import BBox
from gidar.extract.model import Word
from gidar.extract.ocr_cells import review_cells
from gidar.extract.ocr_grid import Grid, find_grid, ink_box, text_crop
from gidar.extract.ocr_tokens import OcrBox, Token, box_chars, reading_lines, split_box

MIN_TEXT_CHARS = 20  # fewer extractable characters than this on a page: treat it as an image
RULE_MIN_PT = 20.0  # a ruling line is at least this long; longer than any stroke of table text
MIN_CELL_PT = 4.0
TABLE_FONT_PT = 10.5  # fallback glyph size when a page has no text boxes to measure
_CACHE_PAGES = 8  # rendered pages kept for re-reads (about 2 MB each at scale 2)
_CACHE_WORDS = 512  # pages of finished words kept

_lock = threading.Lock()  # one onnxruntime session, used from one thread at a time
_cache_lock = threading.RLock()  # taken before _lock, never after


@dataclass(frozen=True)
class PageOcr:
    """First-pass OCR of one rendered page (pixel space) with its table grid."""

    gray: np.ndarray
    boxes: tuple[OcrBox, ...]
    grid: Grid
    scale: float


# --- text layer probe ------------------------------------------------------------------------------


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


def image_only_pages(pdf_path: Path) -> list[int]:
    """1-based numbers of pages without a usable text layer (fewer than MIN_TEXT_CHARS characters)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [i + 1 for i in range(len(pdf)) if _page_text_chars(pdf, i) < MIN_TEXT_CHARS]
    finally:
        pdf.close()


def is_image_only(pdf_path: Path) -> bool:
    """True when no page of the PDF has a usable text layer (a scan or a 图片版 report)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        n = len(pdf)
        return n > 0 and all(_page_text_chars(pdf, i) < MIN_TEXT_CHARS for i in range(n))
    finally:
        pdf.close()


# --- rendering and the recogniser ------------------------------------------------------------------


def render_gray(pdf_path: Path, page_number: int, scale: float) -> np.ndarray:
    """One page as a greyscale uint8 array (pixel = PDF point × scale); the page is closed after."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[page_number - 1]
        try:
            bitmap = page.render(scale=scale, grayscale=True)
            try:
                array = np.array(bitmap.to_numpy(), copy=True)
            finally:
                bitmap.close()
        finally:
            page.close()
    finally:
        pdf.close()
    if array.ndim == 3:  # some pdfium builds return one channel per component even for grey
        array = array[..., 0]
    return array


@lru_cache(maxsize=1)
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    threads = int(os.environ.get("GIDAR_OCR_THREADS", "-1"))
    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=threads)


def _bgr(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., None], 3, axis=2)


def detect_and_read(gray: np.ndarray) -> list[OcrBox]:
    """Full-page detection + recognition; every result kept, however low its score."""
    with _lock:
        result, _ = _engine()(_bgr(gray), use_cls=False, return_word_box=True, text_score=0.0)
    boxes = []
    for item in result or []:
        quad, text, score = item[0], str(item[1]), float(item[2])
        xs = [p[0] for p in quad]
        ys = [p[1] for p in quad]
        x0, x1 = float(min(xs)), float(max(xs))
        char_quads = item[3] if len(item) > 3 else None
        char_confs = item[5] if len(item) > 5 else None
        char_boxes = (
            [(float(min(p[0] for p in q)), float(max(p[0] for p in q))) for q in char_quads] if char_quads else None
        )
        chars = box_chars(text, x0, x1, char_boxes, char_confs, score)
        if text.strip():
            boxes.append(OcrBox(text, score, x0, float(min(ys)), x1, float(max(ys)), chars))
    return boxes


def recognise(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Recognition alone on single-line crops (BGR), batched."""
    if not crops:
        return []
    with _lock:
        result, _ = _engine().text_rec(crops)
    return [(str(t), float(c)) for t, c, *_ in result]


# --- caches -----------------------------------------------------------------------------------------


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


_pages: OrderedDict[tuple[str, int, float], PageOcr] = OrderedDict()
_words: OrderedDict[tuple[str, int, float], list[Word]] = OrderedDict()


def page_ocr(pdf_path: Path, page_number: int, scale: float = 2.0) -> PageOcr:
    """First-pass OCR of a page, cached (a few pages' images are kept for cell re-reads)."""
    key = (file_sha256(pdf_path), page_number, scale)
    with _cache_lock:
        hit = _pages.get(key)
        if hit is not None:
            _pages.move_to_end(key)
            return hit
        gray = render_gray(pdf_path, page_number, scale)
        grid = find_grid(gray, min_len=round(RULE_MIN_PT * scale), min_cell=round(MIN_CELL_PT * scale))
        page = PageOcr(gray, tuple(detect_and_read(gray)), grid, scale)
        _pages[key] = page
        while len(_pages) > _CACHE_PAGES:
            _pages.popitem(last=False)
        return page


def clear_cache() -> None:
    with _cache_lock:
        _pages.clear()
        _words.clear()


# --- public API -------------------------------------------------------------------------------------


def _to_word(t: Token, page_number: int, scale: float) -> Word:
    return Word(t.text, t.x0 / scale, t.top / scale, t.x1 / scale, t.bottom / scale, page_number, round(t.conf, 4))


def text_height(page: PageOcr) -> float:
    """Typical glyph height in pixels: OCR line boxes carry some margin around the glyphs."""
    heights = [b.bottom - b.top for b in page.boxes]
    return 0.8 * float(np.median(heights)) if heights else TABLE_FONT_PT * page.scale


def page_tokens(page: PageOcr) -> list[Token]:
    """Per-token reading of a page in pixels: split OCR lines, then re-read doubtful table cells."""
    tokens = [t for box in page.boxes for t in split_box(box, page.grid.cell_at)]
    return review_cells(page.gray, page.grid, tokens, recognise, text_height(page))


def ocr_page_words(pdf_path: Path, page_number: int, scale: float = 2.0) -> list[Word]:
    """Words of an image-only page in PDF points (top-left origin), one per printed token, with
    OCR confidence in ``conf``. Raises on an unreadable PDF or a page number out of range."""
    key = (file_sha256(pdf_path), page_number, scale)
    with _cache_lock:
        if key not in _words:
            page = page_ocr(pdf_path, page_number, scale)
            _words[key] = [_to_word(t, page_number, scale) for t in page_tokens(page)]
            while len(_words) > _CACHE_WORDS:
                _words.popitem(last=False)
        return list(_words[key])


def ocr_page_text(pdf_path: Path, page_number: int, scale: float = 2.0) -> str:
    """Page text in reading order (lines top to bottom, boxes left to right), for titles and prose."""
    return "\n".join(reading_lines(page_ocr(pdf_path, page_number, scale).boxes))


def reread_cell(pdf_path: Path, page_number: int, bbox: BBox, scale: float = 2.0) -> tuple[str, float]:
    """Read the ink inside ``bbox`` (PDF points) again with the line recogniser: (text, conf);
    ("", 1.0) when the box holds no ink (a blank cell)."""
    page = page_ocr(pdf_path, page_number, scale)
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
    text, conf = recognise([text_crop(page.gray, page.grid.lines, ink)])[0]
    return text.strip(), conf
