"""Resource budgets for reading one file, checked before the work they bound.

A government website can serve anything: a 300-page blank scan, a page of 20000 × 20000 pt, a
file of millions of text operators. Each limit turns such a file into its own status
(``too_large``) with a message naming the limit and the setting that raises it, instead of
taking the machine or the run down. The flow maps ``GIDAR_MAX_*`` settings onto a `Budget`;
extract/ itself reads no environment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    # Annual reports run to 5–40 pages; 500 leaves room for annexes without reading a whole archive.
    max_pages: int = 500
    # A4 is about 0.5 m²·(72 pt/in)² ≈ 500k pt²; A3 twice that. Rasterising is what a huge page costs.
    max_page_area: float = 4_000_000.0
    # Pages OCR may read per file: tables 二–四 fill 2–8 pages of a scan; the rest is prose.
    max_ocr_pages: int = 16
    # Bytes of a file we agree to open at all.
    max_file_bytes: int = 200 * 1024 * 1024
    # Objects one page may draw (glyphs, paths, images): a dense report page draws one or two
    # thousand; a few kilobytes of compressed content can draw hundreds of thousands.
    max_page_objects: int = 100_000
    # onnxruntime threads of the OCR engine in one reading process: 1, as gidar reads files in one
    # process per core (more would only contend); 0 lets onnxruntime choose. A cost, not a limit.
    ocr_threads: int = 1

    def setting(self, field: str) -> str:
        """The environment variable that raises a limit (read by gidar.settings)."""
        return f"GIDAR_{field.upper()}"

    def too_many_objects(self, page: int, n: int) -> str | None:
        """The `too_large` message for a page drawing ``n`` objects, or None within the limit."""
        if n <= self.max_page_objects:
            return None
        return (
            f"page {page} draws {n} objects, over the limit of {self.max_page_objects} per page"
            f" (raise it with {self.setting('max_page_objects')})"
        )


DEFAULT_BUDGET = Budget()
