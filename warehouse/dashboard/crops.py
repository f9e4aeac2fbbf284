"""Cropped page images of failing cells, rendered from the source PDFs with pypdfium2 at build time.

One JPEG per (report, page, set of boxes): the full page width (so the printed row labels stay visible) and
the vertical band around the boxes plus some context, with each involved cell outlined. A missing or
unreadable PDF yields no crop — the dashboard says so instead of failing the build.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin top-left

SCALE = 2.0  # 144 dpi: CJK labels stay legible
CONTEXT_PT = 42.0  # about two table rows above and below
MARK_PAD_PT = 1.5
MARK_FILL, MARK_ALPHA, MARK_OUTLINE = (250, 204, 21), 0.27, (200, 30, 30)  # translucent yellow, red outline
JPEG_QUALITY = 90
JPEG_SUBSAMPLING = 2  # 4:2:0


@dataclass(frozen=True)
class CropRequest:
    report_id: str
    source: str | None
    page: int  # 1-based
    boxes: tuple[BBox, ...]

    @property
    def name(self) -> str:
        digest = hashlib.sha1(repr((self.source, self.page, self.boxes)).encode()).hexdigest()[:10]
        return f"{self.report_id[:12]}-p{self.page}-{digest}.jpg"


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


def _mark(img: Any, boxes: Iterable[BBox], top: float) -> None:
    """Outline each cell over a translucent fill. Drawing in RGBA mode blends the fill into the RGB image
    in place, one call per box (a blended copy of each box cost more than the rest of the marking)."""
    from PIL import ImageDraw

    draw = ImageDraw.Draw(img, "RGBA")
    rects = []
    for x0, t, x1, b in boxes:
        rect = (
            max(0, round((x0 - MARK_PAD_PT) * SCALE)),
            max(0, round((t - top - MARK_PAD_PT) * SCALE)),
            min(img.width, round((x1 + MARK_PAD_PT) * SCALE)),
            min(img.height, round((b - top + MARK_PAD_PT) * SCALE)),
        )
        if rect[2] > rect[0] and rect[3] > rect[1]:
            draw.rectangle(rect, fill=(*MARK_FILL, round(MARK_ALPHA * 255)))
            rects.append(rect)
    for rect in rects:  # after every fill: a neighbour's fill never tints an outline
        draw.rectangle(rect, outline=MARK_OUTLINE, width=3)


def render_crops(
    requests: Iterable[CropRequest],
    out_dir: Path,
    base_dirs: Iterable[Path] = (),
    max_crops: int = 3000,
    cache_dirs: Iterable[Path] = (),
    submit: Callable[..., Future] | None = None,
) -> dict[CropRequest, str]:
    """Render each request once into `out_dir`; return request -> file name (missing PDFs are left out).

    Requests are grouped by PDF so each document is opened once; existing files are reused, so a rebuild
    renders only new reports' crops. ``submit(fn, *args)`` (an executor's, returning a Future) renders the
    PDFs side by side in other processes; without it they are rendered here.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    base_dirs, cache_dirs = list(base_dirs), list(cache_dirs)
    by_pdf: dict[Path, list[CropRequest]] = {}
    for req in requests:
        path = resolve_source(req.source, base_dirs, req.report_id, cache_dirs)
        if path is not None and req.boxes and req.page >= 1:
            by_pdf.setdefault(path, []).append(req)
    done: dict[CropRequest, str] = {}
    jobs: list[tuple[str, list[CropRequest]]] = []
    budget = max_crops
    for path, reqs in by_pdf.items():
        todo = [r for r in reqs if not (out_dir / r.name).exists()]
        done.update({r: r.name for r in reqs if r not in todo})
        budget -= len(reqs) - len(todo)
        if todo and budget > 0:
            jobs.append((str(path), todo[:budget]))
            budget -= len(todo[:budget])
    if submit is None:
        results = [render_pdf(path, reqs, str(out_dir)) for path, reqs in jobs]
    else:
        results = [f.result() for f in [submit(render_pdf, path, reqs, str(out_dir)) for path, reqs in jobs]]
    for (_, reqs), names in zip(jobs, results, strict=True):
        if isinstance(names, list):  # else the job failed in its process (a Failure): no crops of that PDF
            done.update({r: r.name for r in reqs if r.name in set(names)})
    return done


def render_pdf(path: str, requests: list[CropRequest], out_dir: str) -> list[str]:
    """Render one PDF's crops into ``out_dir``; returns the files written."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except Exception:  # corrupt, encrypted, replaced by something else: no crop
        return []
    written = []
    page: Any = None
    page_no = 0
    try:
        for req in sorted(requests, key=lambda r: r.page):
            if req.page > len(pdf):
                continue
            if req.page != page_no:  # a page's crops share its one parse
                if page is not None:
                    page.close()
                page, page_no = pdf[req.page - 1], req.page
            _, height = page.get_size()
            top, bottom = crop_band(req.boxes, height)
            # render only the band: pdfium's crop is (left, bottom, right, top) points cut from each side;
            # RGB byte order, so the image needs no conversion (a copy) before it is marked
            img = page.render(scale=SCALE, crop=(0, height - bottom, 0, top), rev_byteorder=True).to_pil()
            if img.mode != "RGB":
                img = img.convert("RGB")
            _mark(img, req.boxes, top)
            # JPEG: a seventh of PNG's encoding time at the same size. Glyphs live in the luminance, kept
            # whole; the colour is subsampled (4:2:0), a third less encoding than 4:4:4 with no visible change
            # to the 3-pixel outlines. Written under a temporary name, then renamed: a crop that exists is complete.
            tmp = Path(out_dir) / f".{req.name}.{os.getpid()}.tmp"
            img.save(tmp, format="JPEG", quality=JPEG_QUALITY, subsampling=JPEG_SUBSAMPLING)
            os.replace(tmp, Path(out_dir) / req.name)
            written.append(req.name)
    finally:
        if page is not None:
            page.close()
        pdf.close()
    return written
