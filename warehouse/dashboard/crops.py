"""Cropped page images of failing cells, rendered from the source PDFs with pypdfium2 at build time.

One PNG per (report, page, set of boxes): the full page width (so the printed row labels stay visible) and
the vertical band around the boxes plus some context, with each involved cell outlined. A missing or
unreadable PDF yields no crop — the dashboard says so instead of failing the build.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin top-left

SCALE = 2.0  # 144 dpi: CJK labels stay legible
CONTEXT_PT = 42.0  # about two table rows above and below
MARK_PAD_PT = 1.5


@dataclass(frozen=True)
class CropRequest:
    report_id: str
    source: str | None
    page: int  # 1-based
    boxes: tuple[BBox, ...]

    @property
    def name(self) -> str:
        digest = hashlib.sha1(repr((self.source, self.page, self.boxes)).encode()).hexdigest()[:10]
        return f"{self.report_id[:12]}-p{self.page}-{digest}.png"


def crop_band(boxes: Iterable[BBox], page_height: float, context: float = CONTEXT_PT) -> tuple[float, float]:
    """Top and bottom (points) of the band shown: the boxes' vertical extent plus context, within the page."""
    boxes = list(boxes)
    top = min(b[1] for b in boxes) - context
    bottom = max(b[3] for b in boxes) + context
    return max(0.0, top), min(page_height, bottom)


def resolve_source(
    source: str | None, base_dirs: Iterable[Path] = (), report_id: str = "", cache_dirs: Iterable[Path] = ()
) -> Path | None:
    """The PDF on disk for a report: its stored source path (absolute, or relative to one of
    `base_dirs`), else its copy in a content-addressed download cache (``<cache>/<sha[:2]>/<sha>.pdf``,
    report_id being the sha256) — a downloaded report's source is a URL."""
    candidates: list[Path] = []
    if source and "://" not in source:
        p = Path(source)
        candidates += [p] if p.is_absolute() else [Path.cwd() / p, *(Path(b) / p for b in base_dirs)]
    if report_id:
        candidates += [Path(c) / report_id[:2] / f"{report_id}.pdf" for c in cache_dirs]
    return next((c for c in candidates if c.is_file()), None)


def render_crops(
    requests: Iterable[CropRequest],
    out_dir: Path,
    base_dirs: Iterable[Path] = (),
    max_crops: int = 3000,
    cache_dirs: Iterable[Path] = (),
) -> dict[CropRequest, str]:
    """Render each request once into `out_dir`; return request -> file name (missing PDFs are left out).

    Requests are grouped by PDF so each document is opened once; existing files are reused.
    """
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    out_dir.mkdir(parents=True, exist_ok=True)
    base_dirs, cache_dirs = list(base_dirs), list(cache_dirs)
    by_pdf: dict[Path, list[CropRequest]] = {}
    for req in requests:
        path = resolve_source(req.source, base_dirs, req.report_id, cache_dirs)
        if path is not None and req.boxes and req.page >= 1:
            by_pdf.setdefault(path, []).append(req)
    done: dict[CropRequest, str] = {}
    for path, reqs in by_pdf.items():
        todo = [r for r in reqs if not (out_dir / r.name).exists()]
        done.update({r: r.name for r in reqs if r not in todo})
        if not todo or len(done) >= max_crops:
            continue
        try:
            pdf = pdfium.PdfDocument(str(path))
        except Exception:  # corrupt, encrypted, replaced by something else: no crop
            continue
        try:
            for req in sorted(todo, key=lambda r: r.page):
                if len(done) >= max_crops or req.page > len(pdf):
                    continue
                page = pdf[req.page - 1]
                _, height = page.get_size()
                top, bottom = crop_band(req.boxes, height)
                # render only the band: pdfium's crop is (left, bottom, right, top) points cut from each side
                img = page.render(scale=SCALE, crop=(0, height - bottom, 0, top)).to_pil().convert("RGBA")
                overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
                draw = ImageDraw.Draw(overlay)
                for x0, t, x1, b in req.boxes:
                    rect = [
                        (x0 - MARK_PAD_PT) * SCALE,
                        (t - top - MARK_PAD_PT) * SCALE,
                        (x1 + MARK_PAD_PT) * SCALE,
                        (b - top + MARK_PAD_PT) * SCALE,
                    ]
                    draw.rectangle(rect, fill=(250, 204, 21, 70), outline=(200, 30, 30, 255), width=3)
                img = Image.alpha_composite(img, overlay).convert("RGB")
                img.save(out_dir / req.name, compress_level=1)  # zlib level 6 costs ~4x the time
                done[req] = req.name
                page.close()
        finally:
            pdf.close()
    return done
