"""Image-only ("scanned") copies of a PDF, for OCR tests: every page rasterised with pypdfium2
and wrapped back into a PDF that has no text layer."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pypdfium2 as pdfium

_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
_CJK_HINTS = ("cjk", "wqy", "song", "hei", "ming", "kai", "fang", "droid")


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


def rasterise(pdf: bytes | str | Path, dpi: int = 150, *, gray: bool = True, jpeg_quality: int = 70) -> bytes:
    """The PDF re-made from page images at `dpi` (no text layer)."""
    if find_cjk_font() is None:
        warnings.warn(
            "no CJK font installed: pdfium draws non-embedded Chinese text as blanks; "
            "render with make_report(font_path=...) or install a CJK font (e.g. fonts-wqy-microhei)",
            RuntimeWarning,
            stacklevel=2,
        )
    doc = pdfium.PdfDocument(pdf if not isinstance(pdf, Path) else str(pdf))
    try:
        images = []
        for i in range(len(doc)):
            img = doc[i].render(scale=dpi / 72, grayscale=gray).to_pil()
            images.append(img.convert("L" if gray else "RGB"))
    finally:
        doc.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi), quality=jpeg_quality)
    return out.getvalue()


def make_image_only(pdf_path: str | Path, out_path: str | Path, dpi: int = 150) -> Path:
    """Write an image-only copy of `pdf_path` to `out_path`; returns `out_path`."""
    out = Path(out_path)
    out.write_bytes(rasterise(Path(pdf_path), dpi))
    return out
