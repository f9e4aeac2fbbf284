"""Shape test for the one-stroke "nothing" marks of a table cell: ``/`` and a dash.

The line recogniser reads a lone slash or dash with low, unstable confidence (and sometimes as
``#`` or ``1``) because it has no neighbours to give context. A single thin straight stroke is
easy to tell apart geometrically, so we classify it from the cell's ink instead of guessing.
"""

from __future__ import annotations

import cv2
import numpy as np

SLASH, DASH, HYPHEN = "/", "—", "-"


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
    if thickness > max(2.5, 0.18 * max(h, w)):
        return None  # a blob or a glyph with more than one stroke's ink
    if w >= 3 * h:
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
