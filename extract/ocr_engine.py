"""The OCR models, one set per process: text detection, line recognition, 0°/180° line classifier.

rapidocr-onnxruntime ships the PP-OCR ONNX models with their pre/post-processing; we use its
detector as is, but drive the recogniser ourselves: its own batching pads every crop to at least
320 px, which makes a cell holding ``0`` cost as much as a line of ten characters. Here many short
pieces of one visual line are read together in one *strip* (extract/ocr_lines.py), and every
character comes back with its position in the strip (the CTC time step), so the pieces can be told
apart again.

Models are loaded once per process, on first use, and used under a lock: an onnxruntime session
is thread-safe, but two concurrent large inputs would double the peak memory.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

REC_HEIGHT = 48  # the recogniser's input height (PP-OCRv4)
REC_MIN_WIDTH = 320  # inputs are padded to at least this width, as the model was trained
REC_BATCH_PIXELS = 48 * 320 * 8  # padded input pixels per recogniser call: bounds the peak memory
DET_MIN_SIDE = 736  # detector input: the shorter page side in pixels (rapidocr's default limit)
DET_TILE = 320  # rows of the detector's input read at once ...
DET_OVERLAP = 48  # ... with this many rows of context on each side (a few text lines)
PACK_WIDTH = 960  # short strips are read side by side in rows up to this wide ...
PACK_GAP = 32  # ... this far apart (wider than any gap inside a strip)
CLS_SHAPE = (48, 192)  # the 0°/180° classifier's input


@dataclass(frozen=True)
class CharHit:
    """One decoded character: its text, x centre in the input image's pixels, probability."""

    text: str
    x: float
    conf: float


# Glyphs that print the same thing in a table cell: the recogniser spreads its belief over them
# (a lone 0 is 0, O, o or 〇 to it), so each one's confidence is its group's total. The text is
# kept; `ocr_tokens.normalise_token` maps the variants.
SAME_READING = ("0Oo〇○０Ｏ", ",，", ".．", "-－‐‑–—―一", "/／")


# One onnxruntime thread per process by default: gidar reads files in parallel processes, one per
# core, and threads beyond that only contend. 0 lets onnxruntime choose (GIDAR_OCR_THREADS).
DEFAULT_THREADS = 1


def _decode(preds: np.ndarray, charset: list[str], width: int, groups: list[np.ndarray]) -> list[list[CharHit]]:
    """CTC greedy decoding that keeps each character's time step (as an x position)."""
    idx = preds.argmax(axis=2)
    conf = preds.max(axis=2)
    for ids in groups:
        member = np.isin(idx, ids)
        if member.any():
            conf = np.where(member, preds[:, :, ids].sum(axis=2), conf)
    n, steps = idx.shape
    step_px = width / steps
    out = []
    for b in range(n):
        row = idx[b]
        keep = row != 0
        keep[1:] &= row[1:] != row[:-1]
        ts = np.nonzero(keep)[0]
        out.append([CharHit(charset[row[t]], (t + 0.5) * step_px, float(conf[b, t])) for t in ts])
    return out


class Engine:
    """Detector, recogniser and orientation classifier sessions (CPU)."""

    def __init__(self, threads: int = DEFAULT_THREADS) -> None:
        from rapidocr_onnxruntime.ch_ppocr_cls import TextClassifier
        from rapidocr_onnxruntime.ch_ppocr_det import TextDetector
        from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer
        from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
        from rapidocr_onnxruntime.utils import read_yaml, update_model_path

        config = update_model_path(read_yaml(DEFAULT_CFG_PATH))
        for part in ("Det", "Rec", "Cls"):
            config[part]["intra_op_num_threads"] = threads
            config[part]["inter_op_num_threads"] = 1
        # we size the detector's input ourselves (`detect`): rapidocr only rounds it to 32 px
        config["Det"]["limit_type"] = "max"
        config["Det"]["limit_side_len"] = 1 << 16
        self.det = TextDetector(config["Det"])
        self.rec = TextRecognizer(config["Rec"])
        self.cls = TextClassifier(config["Cls"])
        self.charset: list[str] = self.rec.postprocess_op.character
        self.groups = [np.array([i for i, c in enumerate(self.charset) if c in g], np.int64) for g in SAME_READING]
        self.lock = threading.Lock()

    # --- detection ----------------------------------------------------------------------------

    def detect(self, gray: np.ndarray) -> np.ndarray:
        """Text line quadrilaterals (N, 4, 2) in ``gray``'s pixels.

        The page is shrunk so that its shorter side is DET_MIN_SIDE (text of 8 pt and up is
        still found; cost and memory grow with the pixel count), then read in horizontal bands
        of DET_TILE rows with DET_OVERLAP rows of context above and below: the detector's
        intermediate buffers grow with its input, and a whole page took 400 MB. A box belongs
        to the band holding its centre, so a line on a band edge is found once, whole."""
        h, w = gray.shape
        f = min(1.0, DET_MIN_SIDE / min(h, w))
        small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1.0 else gray
        height = small.shape[0]
        found = []
        for c0 in range(0, height, DET_TILE):
            c1 = min(height, c0 + DET_TILE)
            t0, t1 = max(0, c0 - DET_OVERLAP), min(height, c1 + DET_OVERLAP)
            with self.lock:
                boxes, _ = self.det(cv2.cvtColor(small[t0:t1], cv2.COLOR_GRAY2BGR))
            if boxes is None or len(boxes) == 0:
                continue
            boxes = np.asarray(boxes, np.float32)
            boxes[:, :, 1] += t0
            yc = boxes[:, :, 1].mean(axis=1)
            found.append(boxes[(yc >= c0) & (yc < c1)])
        if not found:
            return np.zeros((0, 4, 2), np.float32)
        return np.concatenate(found) / f

    # --- recognition --------------------------------------------------------------------------

    @staticmethod
    def _input(img: np.ndarray, width: int) -> np.ndarray:
        """One grey image of height REC_HEIGHT → the model's normalised CHW input, padded
        with zeros (the normalised mid grey the model was trained with) to ``width``."""
        x = np.zeros((3, REC_HEIGHT, width), np.float32)
        w = img.shape[1]
        x[:, :, :w] = (img.astype(np.float32) / 127.5 - 1.0)[None]
        return x

    def read_strips(self, strips: list[np.ndarray], pack: bool = False) -> list[list[CharHit]]:
        """Characters of each strip (grey, height REC_HEIGHT), with x in the strip's pixels.

        With ``pack``, strips narrower than PACK_WIDTH are first laid side by side (a white gap
        between) into rows of up to PACK_WIDTH, so that short lines share one input instead of
        each being padded to REC_MIN_WIDTH; their characters are handed back by position."""
        if not pack:
            return self._read(strips)
        rows: list[list[int]] = []
        width = 0
        for i in sorted(range(len(strips)), key=lambda i: strips[i].shape[1]):
            w = strips[i].shape[1]
            if rows and len(rows[-1]) and width + PACK_GAP + w <= PACK_WIDTH:
                rows[-1].append(i)
                width += PACK_GAP + w
            else:
                rows.append([i])
                width = w
        images, offsets = [], []
        for row in rows:
            parts, spans, x = [], [], 0
            for k, i in enumerate(row):
                if k:
                    parts.append(np.full((REC_HEIGHT, PACK_GAP), 255, np.uint8))
                    x += PACK_GAP
                parts.append(strips[i])
                spans.append((i, x, x + strips[i].shape[1]))
                x += strips[i].shape[1]
            images.append(np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0])
            offsets.append(spans)
        out: list[list[CharHit]] = [[] for _ in strips]
        for hits, spans in zip(self._read(images), offsets, strict=True):
            for h in hits:
                i, a, _b = min(spans, key=lambda sp: 0 if sp[1] - PACK_GAP / 2 <= h.x < sp[2] + PACK_GAP / 2 else 1)
                out[i].append(CharHit(h.text, h.x - a, h.conf))
        return out

    def _read(self, strips: list[np.ndarray]) -> list[list[CharHit]]:
        """Strips batched by width, each padded to the widest of its batch (and to at least
        REC_MIN_WIDTH); a batch holds at most REC_BATCH_PIXELS padded pixels."""
        out: list[list[CharHit]] = [[] for _ in strips]
        order = sorted(range(len(strips)), key=lambda i: strips[i].shape[1])
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order):
                w = max(REC_MIN_WIDTH, strips[order[end]].shape[1])
                if (end - start + 1) * w > REC_BATCH_PIXELS // REC_HEIGHT:
                    break
                end += 1
            batch = order[start:end]
            width = max(REC_MIN_WIDTH, max(strips[i].shape[1] for i in batch))
            width = int(math.ceil(width / 8) * 8)
            x = np.stack([self._input(strips[i], width) for i in batch])
            with self.lock:
                preds = self.rec.session(x)[0]
            for i, hits in zip(batch, _decode(preds, self.charset, width, self.groups), strict=True):
                out[i] = hits
            start = end
        return out

    def read_lines(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """(text, mean character probability) of single-line crops (BGR or grey, any height),
        the second opinion of cell re-reads: read apart from their line (packed side by side
        with a wide gap, so a short crop does not cost a padded recogniser input)."""
        out = []
        for hits in self.read_strips([to_strip(c) for c in crops], pack=True):
            text = "".join(h.text for h in hits)
            out.append((text, float(np.mean([h.conf for h in hits])) if hits else 0.0))
        return out

    # --- orientation --------------------------------------------------------------------------

    def upside_down(self, crops: list[np.ndarray]) -> float:
        """Share of the line crops (grey) the classifier reads as turned 180°, weighted by its
        confidence; 0.0 without crops."""
        if not crops:
            return 0.0
        ch, cw = CLS_SHAPE
        batch = []
        for c in crops:
            h, w = c.shape[:2]
            rw = min(cw, max(1, math.ceil(ch * w / h)))
            x = np.zeros((3, ch, cw), np.float32)
            x[:, :, :rw] = (cv2.resize(c, (rw, ch)).astype(np.float32) / 127.5 - 1.0)[None]
            batch.append(x)
        with self.lock:
            probs = self.cls.infer(np.stack(batch))[0]
        # label_list ['0', '180']: column 1 is the probability of 180°
        return float(np.mean(probs[:, 1]))


def to_strip(crop: np.ndarray) -> np.ndarray:
    """A crop (grey or BGR) scaled to the recogniser's height, grey."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    h, w = gray.shape
    rw = max(1, math.ceil(REC_HEIGHT * w / max(1, h)))
    return cv2.resize(gray, (rw, REC_HEIGHT), interpolation=cv2.INTER_AREA if h > REC_HEIGHT else cv2.INTER_LINEAR)


_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine(threads: int = DEFAULT_THREADS) -> Engine:
    """The process's one engine (created on first use; ``threads`` counts only then)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine(threads)
        return _engine


def loaded() -> Any:
    """The engine if this process has loaded it (for tests and benchmarks), else None."""
    return _engine
