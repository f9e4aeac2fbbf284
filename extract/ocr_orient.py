"""Turn a scanned page upright and straight before it is read (pure geometry on detector boxes).

Scanners feed pages sideways or upside down, and rarely quite straight. The table grid is found
with long horizontal and vertical kernels (extract/ocr_grid.py), which a 1° skew already breaks,
and the recogniser reads horizontal lines only. So: text lines that run vertically mean a page
turned by 90° (turn it and detect again); the detector's boxes give the skew (their long edges'
median angle); the 0°/180° classifier decides whether the upright page is upside down.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

ELONGATED = 3.0  # a box whose long side is this many times its short side shows the text direction
SIDEWAYS_SHARE = 0.6  # ... and when this share of such boxes is vertical, the page is sideways
MIN_SKEW_DEG = 0.05  # below this a rotation would only blur the image
MAX_SKEW_DEG = 10.0  # beyond this the boxes' angles are not a skew (a stamp, a diagonal mark)
UPSIDE_DOWN = 0.5  # mean 180° probability of the page's lines above which it is turned over
CLS_LINES = 12  # longest lines sent to the classifier
# The boxes' skew is refined on the ink's row profile within this many degrees, in these steps, on
# a copy reduced by this factor: short boxes give angles up to a degree off (3.7° for 3.0° on a
# page holding a few lines), and at 0.1° a 1200-px table row drifts by 2 px, under a rule's width.
SKEW_SEARCH_DEG = 1.0
SKEW_STEP_DEG = 0.1
SKEW_REDUCE = 0.5


def _sides(q: np.ndarray) -> tuple[float, float]:
    """(horizontal extent, vertical extent) of a quadrilateral's edges tl→tr and tl→bl."""
    return float(np.linalg.norm(q[1] - q[0])), float(np.linalg.norm(q[3] - q[0]))


def is_sideways(quads: np.ndarray) -> bool:
    """True when most clearly elongated boxes run vertically: text turned by 90° or 270°."""
    wide = tall = 0
    for q in quads:
        w, h = _sides(q)
        if w >= ELONGATED * h:
            wide += 1
        elif h >= ELONGATED * w:
            tall += 1
    return tall >= 3 and tall >= SIDEWAYS_SHARE * (wide + tall)


def skew_degrees(quads: np.ndarray) -> float:
    """The page's skew: median angle of the long edges of wide boxes, weighted by length
    (positive = text rising to the right in image coordinates, y down)."""
    angles, weights = [], []
    for q in quads:
        w, h = _sides(q)
        if w < ELONGATED * h:
            continue
        dx, dy = float(q[1][0] - q[0][0]), float(q[1][1] - q[0][1])
        a = math.degrees(math.atan2(-dy, dx))
        if abs(a) <= MAX_SKEW_DEG:
            angles.append(a)
            weights.append(w)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cum, cum[-1] / 2)])


def refine_skew(ink: np.ndarray, coarse: float) -> float:
    """The skew near ``coarse`` at which the ink's rows are sharpest: the sum of squared
    differences between neighbouring rows' ink counts peaks when text lines and rules lie level.
    It uses every ink pixel (rules, all text), where `skew_degrees` has only the boxes' edges."""
    small = cv2.resize(ink.astype(np.float32), None, fx=SKEW_REDUCE, fy=SKEW_REDUCE, interpolation=cv2.INTER_AREA)
    if not small.any():
        return coarse
    h, w = small.shape
    best, best_score = coarse, -1.0
    steps = round(SKEW_SEARCH_DEG / SKEW_STEP_DEG)
    for k in range(-steps, steps + 1):
        a = coarse + k * SKEW_STEP_DEG
        if abs(a) > MAX_SKEW_DEG:
            continue
        turned = cv2.warpAffine(small, rotation_matrix((h, w), -a), (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
        score = float(np.square(np.diff(turned.sum(axis=1))).sum())
        if score > best_score:
            best, best_score = a, score
    return round(best, 2)


def rotation_matrix(shape: tuple[int, int], degrees: float) -> np.ndarray:
    """Affine 2×3 matrix turning an image of ``shape`` by ``degrees`` counter-clockwise about
    its centre (cv2's convention), keeping its size."""
    h, w = shape
    return cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)


def deskew(gray: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray | None]:
    """The image turned by ``-skew`` (white fill) and the matrix used; unchanged below
    MIN_SKEW_DEG."""
    if abs(degrees) < MIN_SKEW_DEG:
        return gray, None
    m = rotation_matrix(gray.shape, -degrees)
    h, w = gray.shape
    out = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    return out, m


def scanned_area(shape: tuple[int, int], degrees: float) -> np.ndarray:
    """Pixels of an image deskewed by `deskew` (same ``shape`` and ``degrees``) that show the
    scan; the corners turned in from outside it are white fill, not paper."""
    ones = np.ones(shape, np.uint8)
    if abs(degrees) < MIN_SKEW_DEG:
        return ones.astype(bool)
    h, w = shape
    m = rotation_matrix(shape, -degrees)
    return cv2.warpAffine(ones, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0).astype(bool)


def transform_quads(quads: np.ndarray, m: np.ndarray) -> np.ndarray:
    pts = quads.reshape(-1, 2)
    moved = pts @ m[:, :2].T + m[:, 2]
    return moved.reshape(quads.shape).astype(np.float32)


def turn_180_quads(quads: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    out = quads.copy()
    out[..., 0] = w - quads[..., 0]
    out[..., 1] = h - quads[..., 1]
    return out


def line_crops(gray: np.ndarray, quads: np.ndarray, n: int = CLS_LINES) -> list[np.ndarray]:
    """Axis-aligned crops of the ``n`` longest wide boxes (for the 0°/180° classifier)."""
    wide = []
    for q in quads:
        w, h = _sides(q)
        if w >= ELONGATED * h:
            wide.append((w, q))
    wide.sort(key=lambda t: -t[0])
    crops = []
    H, W = gray.shape
    for _, q in wide[:n]:
        x0, y0 = max(0, int(q[:, 0].min())), max(0, int(q[:, 1].min()))
        x1, y1 = min(W, int(q[:, 0].max()) + 1), min(H, int(q[:, 1].max()) + 1)
        if x1 - x0 > 4 and y1 - y0 > 4:
            crops.append(gray[y0:y1, x0:x1])
    return crops
