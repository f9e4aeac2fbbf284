"""Table grid of a page image: ruling lines and the cells they enclose (pixel space, pure numpy/cv2).

OCR reads labels well but drops some isolated single-digit cells and splits tokens unlike a text
layer. The ruled grid of the printed table tells us where every cell is, so that empty-looking cells
can be re-read from a crop and OCR boxes that straddle a rule can be split at it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PixBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, exclusive ends

DARK = 160  # grey level below which a pixel counts as ink (scans are anti-aliased grey JPEGs)


@dataclass(frozen=True)
class Grid:
    cells: list[PixBox]  # enclosed regions between ruling lines, merged cells included
    lines: np.ndarray  # bool mask of ruling-line pixels (dilated), same shape as the image
    index: np.ndarray  # int32 map: pixel → position in ``cells``, -1 outside any cell

    def cell_at(self, x: float, y: float) -> int:
        h, w = self.index.shape
        xi, yi = int(x), int(y)
        if not (0 <= xi < w and 0 <= yi < h):
            return -1
        return int(self.index[yi, xi])


def dark_mask(gray: np.ndarray) -> np.ndarray:
    return gray < DARK


def _attached(segments: np.ndarray, rules: np.ndarray, ink: np.ndarray, vertical: bool, tol: int = 2) -> np.ndarray:
    """Segments whose two ends both touch ``rules`` (the other direction's rules) and that stand
    alone: a glyph stroke spanning a tight row has the rest of its glyph beside it, a rule has not."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(segments, connectivity=8)
    keep = np.zeros(n, bool)
    if not vertical:  # the same test on the transposed image
        rules, ink = rules.T, ink.T
        stats = stats[:, [1, 0, 3, 2, 4]]
    w = rules.shape[1]
    gap, side = tol + 1, 3 * tol + 2
    for i in range(1, n):
        x, y, cw, ch, _area = (int(v) for v in stats[i])
        xs = slice(max(0, x - tol), min(w, x + cw + tol))
        if not (
            rules[max(0, y - tol) : y + tol + 1, xs].any() and rules[max(0, y + ch - 1 - tol) : y + ch + tol, xs].any()
        ):
            continue
        inner = slice(y + ch // 5, y + ch - ch // 5)
        left = ink[inner, max(0, x - gap - side) : max(0, x - gap)]
        right = ink[inner, min(w, x + cw + gap) : min(w, x + cw + gap + side)]
        keep[i] = left.any(axis=1).mean() < 0.2 and right.any(axis=1).mean() < 0.2 if left.size and right.size else True
    return keep[labels]


LONG_RULE_FACTOR = 3  # × the minimum rule length: longer than a stroke of any title glyph (60 pt)


def _touching(parts: np.ndarray, other: np.ndarray, tol: int = 2) -> np.ndarray:
    """The connected components of ``parts`` that touch ``other`` (within ``tol`` pixels)."""
    if not parts.any() or not other.any():
        return np.zeros_like(parts)
    n, labels = cv2.connectedComponents(parts.astype(np.uint8), connectivity=8)
    near = cv2.dilate(other.astype(np.uint8), np.ones((2 * tol + 1, 2 * tol + 1), np.uint8)).astype(bool)
    keep = np.zeros(n, bool)
    keep[np.unique(labels[near & parts])] = True
    keep[0] = False
    return keep[labels]


def line_mask(gray: np.ndarray, min_len: int, min_seg: int | None = None) -> np.ndarray:
    """Pixels of ruling lines: dark runs of at least ``min_len`` pixels, plus shorter runs (at least
    ``min_seg``) that join two rules of the other direction (cell borders of a single low row).

    ``min_len`` must exceed the longest straight stroke of table text (a CJK 一 or a dash), so
    only rules survive the morphological opening; a short stroke of text never spans a whole row.
    """
    ink = dark_mask(gray).astype(np.uint8)
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, min_len), np.uint8)).astype(bool)
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((min_len, 1), np.uint8)).astype(bool)
    # A stroke of a large title glyph can be min_len long: a rule is either longer than any
    # glyph, or meets such a long rule of the other direction (the grid of a table).
    long_len = LONG_RULE_FACTOR * min_len
    horiz_long = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, long_len), np.uint8)).astype(bool)
    vert_long = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((long_len, 1), np.uint8)).astype(bool)
    horiz = horiz_long | _touching(horiz, vert_long)
    vert = vert_long | _touching(vert, horiz_long)
    seg = min_seg or max(3, min_len // 3)
    short_v = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((seg, 1), np.uint8)).astype(bool) & ~vert
    short_h = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, seg), np.uint8)).astype(bool) & ~horiz
    dark = ink.astype(bool)
    vert_all = vert | _attached(short_v.astype(np.uint8), horiz, dark, vertical=True)
    horiz_all = horiz | _attached(short_h.astype(np.uint8), vert, dark, vertical=False)
    lines = (vert_all | horiz_all).astype(np.uint8)
    # Close pixel gaps at rule joints (JPEG noise) so cells are really enclosed.
    return cv2.dilate(lines, np.ones((3, 3), np.uint8)).astype(bool)


def find_grid(gray: np.ndarray, min_len: int, min_cell: int, min_seg: int | None = None) -> Grid:
    """Cells = connected regions of non-rule pixels that do not touch the image border.

    Regions outside the tables all connect to the page margin, so they are excluded; merged cells
    come out as one region. ``min_cell`` drops slivers between double rules.
    """
    lines = line_mask(gray, min_len, min_seg)
    free = (~lines).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(free, connectivity=4)
    h, w = gray.shape
    found: list[tuple[PixBox, int]] = []
    for i in range(1, n):
        x, y, cw, ch, _area = (int(v) for v in stats[i])
        if x == 0 or y == 0 or x + cw >= w or y + ch >= h:
            continue  # the page background around the tables
        if cw < min_cell or ch < min_cell or cw * ch > 0.25 * w * h:
            continue
        found.append(((x, y, x + cw, y + ch), i))
    found.sort(key=lambda f: (f[0][1], f[0][0]))
    lut = np.full(n, -1, np.int32)
    for pos, (_, label) in enumerate(found):
        lut[label] = pos
    return Grid(cells=[b for b, _ in found], lines=lines, index=lut[labels])


def ink_box(gray: np.ndarray, lines: np.ndarray, box: PixBox, inset: int = 2, min_pixels: int = 6) -> PixBox | None:
    """Bounding box of the ink inside ``box`` (rules excluded), or None for a blank cell."""
    x0, y0, x1, y1 = box
    x0, y0, x1, y1 = x0 + inset, y0 + inset, x1 - inset, y1 - inset
    if x1 <= x0 or y1 <= y0:
        return None
    ink = dark_mask(gray[y0:y1, x0:x1]) & ~lines[y0:y1, x0:x1]
    if int(ink.sum()) < min_pixels:
        return None
    ys, xs = np.nonzero(ink)
    return (x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1)


def text_crop(gray: np.ndarray, lines: np.ndarray, box: PixBox, pad_y: float = 0.25, pad_x: float = 0.5) -> np.ndarray:
    """The ink of ``box`` on white with a margin for the line recogniser (BGR uint8).

    Rules are whitened so a cell border is not read as ``1`` or ``|``. The margins (fractions of
    the ink height) were chosen on the scanned corpus: wider white margins make the recogniser see
    extra characters, none at all lowers its confidence; upscaling the crop ourselves did not help
    (the recogniser resizes to its 48-pixel input anyway).
    """
    x0, y0, x1, y1 = box
    crop = gray[y0:y1, x0:x1].copy()
    crop[lines[y0:y1, x0:x1]] = 255
    th = max(1, y1 - y0)
    py, px = max(2, round(pad_y * th)), max(2, round(pad_x * th))
    crop = cv2.copyMakeBorder(crop, py, py, px, px, cv2.BORDER_CONSTANT, value=255)
    return cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
