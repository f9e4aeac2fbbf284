"""Shape test for the one-stroke "nothing" marks of a table cell: ``/`` and a dash.

The line recogniser reads a lone slash or dash with low, unstable confidence (and sometimes as
``#`` or ``1``) because it has no neighbours to give context. A single thin straight stroke is
easy to tell apart geometrically, so we classify it from the cell's ink instead of guessing.
"""

from __future__ import annotations

import cv2
import numpy as np

SLASH, DASH, HYPHEN = "/", "—", "-"
THIN = 0.2  # a horizontal mark at most this share of the text height thick is a dash, however short


def _single_stroke(ink: np.ndarray) -> np.ndarray | None:
    """The ink as one component (specks under 5% of the ink dropped), or None if several."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if n < 2:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    total = int(areas.sum())
    big = [i + 1 for i, a in enumerate(areas) if a >= 0.05 * total]
    if len(big) != 1:
        return None
    return labels == big[0]


def stroke_glyph(ink: np.ndarray, text_height: float) -> str | None:
    """``/``, ``—`` or ``-`` when ``ink`` (bool, cropped to the cell's ink) is one straight stroke of
    that shape; None otherwise (digits, CJK, anything with a bar, loop or second stroke).

    ``text_height`` is the expected glyph height in pixels (dash length is measured against it).
    """
    stroke = _single_stroke(ink)
    if stroke is None:
        return None
    ys, xs = np.nonzero(stroke)
    h = int(ys.max() - ys.min() + 1)
    w = int(xs.max() - xs.min() + 1)
    thickness = len(ys) / max(h, w)  # ink area over stroke length
    if thickness > max(2.5, 0.18 * max(h, w), THIN * text_height):
        return None  # a blob or a glyph with more than one stroke's ink
    if w >= 3 * h or (h <= THIN * text_height and w >= 1.5 * h):
        return DASH if w >= 0.6 * text_height else HYPHEN
    if h < 0.5 * text_height or h < 1.3 * w:
        return None
    # A slash leans right: x falls as y grows (image rows go down), steadily, with no bar.
    slope, intercept = np.polyfit(ys.astype(float), xs.astype(float), 1)
    if slope > -0.15:
        return None  # upright: 1, l, |
    residual = np.abs(xs - (slope * ys + intercept))
    if np.percentile(residual, 95) > max(2.0, 0.6 * thickness + 1.0):
        return None  # curved or barred (7, 2, 4 …)
    return SLASH


_STROKE_NUMERALS = "一二三"
STROKE_SPAN = 0.5  # a stroke of 一二三 spans at least half the glyph's width


def count_strokes(ink: np.ndarray) -> int | None:
    """Horizontal strokes in ``ink`` (bool, the columns of one glyph): connected pieces at least
    STROKE_SPAN of its width wide and flat. 一, 二 and 三 differ only in this count, which the
    recogniser sometimes gets wrong for a lone numeral; the ink does not. None when other ink
    of some weight is there too (a neighbour's stroke, the next line): no clean count."""
    if not ink.any():
        return None
    xs = np.nonzero(ink.any(axis=0))[0]
    width = int(xs[-1] - xs[0] + 1)
    _n, _labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    stroke = (w >= STROKE_SPAN * width) & (w >= 2 * h)
    if np.any(~stroke & (area >= 0.15 * area.sum())):
        return None
    return int(np.sum(stroke))


def numeral_by_strokes(ink: np.ndarray, read: str) -> str:
    """``read`` (一, 二 or 三) corrected to the numeral with as many strokes as the ink shows."""
    n = count_strokes(ink)
    return _STROKE_NUMERALS[n - 1] if read in _STROKE_NUMERALS and n is not None and 1 <= n <= 3 else read
