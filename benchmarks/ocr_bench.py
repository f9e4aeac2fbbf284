"""OCR speed and memory: seconds per page and peak RSS over the scanned corpus reports.

usage: .venv/bin/python benchmarks/ocr_bench.py [CORPUS_DIR] [--pages N]

Uses the corpus' scanned reports (manifest renderer=scanned); where the corpus is absent, a
generated image-only report (gidar_dev.synth is not needed: a reportlab table wrapped as an image).
Each page is OCR'd once, cold (no cache), with `extract.ocr.ocr_page_words` — first pass, grid and
cell re-reads included. Peak RSS is the process high-water mark (``ru_maxrss``), models included.
"""

from __future__ import annotations

import csv
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

from gidar.extract import ocr


def _generated(tmp: Path) -> list[tuple[Path, int]]:
    import pypdfium2 as pdfium
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from gidar.templates import TEMPLATES

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    tpl = TEMPLATES["v2021"]
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("STSong-Light", 10)
    w, h = A4
    xs = [60, 250] + [250 + 40 * (i + 1) for i in range(len(tpl.t3_columns))]
    y = h - 80
    c.line(xs[0], y, xs[-1], y)
    for r, row in enumerate(tpl.t3_rows):
        c.drawString(xs[0] + 3, y - 14, row.label[:16])
        for i in range(len(tpl.t3_columns)):
            c.drawCentredString((xs[i + 1] + xs[i + 2]) / 2, y - 14, str((r * 7 + i * 3) % 11))
        y -= 20
        c.line(xs[0], y, xs[-1], y)
    for x in xs:
        c.line(x, h - 80, x, y)
    c.showPage()
    c.save()
    page = pdfium.PdfDocument(buf.getvalue())[0]
    png = io.BytesIO()
    page.render(scale=150 / 72, grayscale=True).to_pil().save(png, format="PNG")
    out = tmp / "generated-scan.pdf"
    c = canvas.Canvas(str(out), pagesize=A4)
    c.drawImage(ImageReader(io.BytesIO(png.getvalue())), 0, 0, w, h)
    c.showPage()
    c.save()
    return [(out, 1)]


def _corpus(corpus: Path) -> list[tuple[Path, int]]:
    with open(corpus / "manifest.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["renderer"] == "scanned"]
    return [(corpus / r["file"], int(r["n_pages"])) for r in rows]


def main(argv: list[str]) -> None:
    args = [a for a in argv[1:] if not a.startswith("--")]
    max_pages = int(argv[argv.index("--pages") + 1]) if "--pages" in argv else None
    if max_pages is not None and str(max_pages) in args:
        args.remove(str(max_pages))
    corpus = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    tmp = tempfile.TemporaryDirectory()
    files = _corpus(corpus) if (corpus / "manifest.csv").exists() else _generated(Path(tmp.name))
    t0 = time.perf_counter()
    ocr._engine()  # model load, reported apart
    print(f"model load {time.perf_counter() - t0:.2f}s")
    n_pages, total = 0, 0.0
    for pdf, pages in files:
        for p in range(1, (min(pages, max_pages) if max_pages else pages) + 1):
            t = time.perf_counter()
            words = ocr.ocr_page_words(pdf, p)
            dt = time.perf_counter() - t
            n_pages, total = n_pages + 1, total + dt
            print(f"{pdf.name} p{p}: {dt:.2f}s {len(words)} words")
        ocr.clear_cache()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pages {n_pages}  seconds/page {total / max(n_pages, 1):.2f}  peak RSS {peak_mb:.0f} MB")
    tmp.cleanup()


if __name__ == "__main__":
    main(sys.argv)
