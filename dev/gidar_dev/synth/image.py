"""Image-only ("scanned") copies of a PDF, for OCR tests: pages rasterised with pypdfium2 and
wrapped back into a PDF without a text layer — turned as a scanner feeds them (90°, 180°,
270°), slightly skewed, at 150–300 dpi; or only some pages, as when a report's table pages are
pasted into a Word export as pictures (`mix_pages`)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
_CJK_HINTS = ("cjk", "wqy", "song", "hei", "ming", "kai", "fang", "droid")
TURNS = (0, 90, 180, 270)  # clockwise quarter turns a scanner may apply


def find_cjk_font() -> str | None:
    """A CJK TrueType/OpenType file on this machine, if any (pdfium needs one to draw the
    non-embedded STSong-Light text; `make_report(font_path=...)` can embed it instead)."""
    for d in _FONT_DIRS:
        base = Path(d)
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*")):
            if p.suffix.lower() in (".ttf", ".ttc", ".otf") and any(h in p.name.lower() for h in _CJK_HINTS):
                return str(p)
    return None


def _warn_without_font() -> None:
    if find_cjk_font() is None:
        warnings.warn(
            "no CJK font installed: pdfium draws non-embedded Chinese text as blanks; "
            "render with make_report(font_path=...) or install a CJK font (e.g. fonts-wqy-microhei)",
            RuntimeWarning,
            stacklevel=3,
        )


def scan_page(image: Image.Image, *, turn: int = 0, skew: float = 0.0) -> Image.Image:
    """A page image as a scanner may deliver it: turned clockwise by ``turn`` degrees (a quarter
    turn) and rotated by ``skew`` degrees counter-clockwise (white fill, same size)."""
    if turn not in TURNS:
        raise ValueError(f"turn must be one of {TURNS}, not {turn}")
    if skew:
        fill = 255 if image.mode == "L" else (255, 255, 255)
        image = image.rotate(skew, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=fill)
    if turn:
        image = image.rotate(-turn, expand=True)  # PIL turns counter-clockwise
    return image


def _images(pdf: pdfium.PdfDocument, pages: Iterable[int], dpi: int, gray: bool) -> list[Image.Image]:
    out = []
    for i in pages:
        page = pdf[i]
        try:
            img = page.render(scale=dpi / 72, grayscale=gray).to_pil()
        finally:
            page.close()
        out.append(img.convert("L" if gray else "RGB"))
    return out


def _image_pdf(images: list[Image.Image], dpi: int, jpeg_quality: int) -> bytes:
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi), quality=jpeg_quality)
    return out.getvalue()


def rasterise(
    pdf: bytes | str | Path,
    dpi: int = 150,
    *,
    gray: bool = True,
    jpeg_quality: int = 70,
    turn: int = 0,
    skew: float = 0.0,
) -> bytes:
    """The PDF re-made from page images at ``dpi`` (no text layer), every page turned by
    ``turn`` degrees clockwise and skewed by ``skew`` degrees."""
    _warn_without_font()
    doc = pdfium.PdfDocument(pdf if not isinstance(pdf, Path) else str(pdf))
    try:
        images = [scan_page(img, turn=turn, skew=skew) for img in _images(doc, range(len(doc)), dpi, gray)]
    finally:
        doc.close()
    return _image_pdf(images, dpi, jpeg_quality)


def mix_pages(pdf: bytes, image_pages: Iterable[int], dpi: int = 150, *, jpeg_quality: int = 70) -> bytes:
    """The PDF with the given pages (0-based) replaced by pictures of themselves; the other pages
    keep their text layer."""
    _warn_without_font()
    wanted = sorted(set(image_pages))
    src = pdfium.PdfDocument(pdf)
    try:
        pictures = (
            pdfium.PdfDocument(_image_pdf(_images(src, wanted, dpi, True), dpi, jpeg_quality)) if wanted else None
        )
        out = pdfium.PdfDocument.new()
        for i in range(len(src)):
            if i in wanted and pictures is not None:
                out.import_pages(pictures, [wanted.index(i)])
            else:
                out.import_pages(src, [i])
        buf = io.BytesIO()
        out.save(buf)
        out.close()
        if pictures is not None:
            pictures.close()
    finally:
        src.close()
    return buf.getvalue()


def page_texts(pdf: bytes) -> list[str]:
    """The text layer of each page (pdfium)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        out = []
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return out
    finally:
        doc.close()


def make_image_only(pdf_path: str | Path, out_path: str | Path, dpi: int = 150) -> Path:
    """Write an image-only copy of `pdf_path` to `out_path`; returns `out_path`."""
    out = Path(out_path)
    out.write_bytes(rasterise(Path(pdf_path), dpi))
    return out
