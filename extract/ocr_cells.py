"""Second reading of table cells (pure decisions; the recogniser is passed in).

One OCR pass drops some isolated single digits (a whole row of zeros at times) and mis-reads others
(``1`` → ``T``, ``0`` → ``C``). Every ruled cell that has ink but no token, or whose value-like
reading is doubtful, is cropped and read again by the line recogniser alone, and its ink is checked
for a lone ``/`` or dash (`ocr_glyph`). The readings vote; agreement keeps the best confidence,
dissent lowers it, so a doubtful cell goes to review instead of being papered over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from gidar.extract.ocr_glyph import stroke_glyph
from gidar.extract.ocr_grid import Grid, PixBox, dark_mask, ink_box, text_crop
from gidar.extract.ocr_tokens import DASH, Token, has_cjk, is_value_text, normalise_token

Recognise = Callable[[list[np.ndarray]], list[tuple[str, float]]]

CONF_OK = 0.97  # a first-pass value token at or above this is not re-read
RETRY_CONF = 0.8  # a re-read below this is read once more from a slightly larger crop
GLYPH_CONF = 0.9  # confidence of a stroke recognised by shape
NOISE_WEIGHT = 0.25  # weight of a non-value reading against a value reading in a numeric cell
UNREAD = "?"  # emitted for a cell with clear ink that no reading could make sense of
# Pieces of one number wrapped down its cell (2, / 68 / 9) are at most this many piece heights
# apart: a line spacing, or two when a lone separator's line was dropped as a speck.
WRAP_GAP = 2.5
_PIECE = re.compile(r"^[+\-]?[\d,.，．]*\d[\d,.，．]*$|^[,，.．]$")  # digits and separators only


@dataclass(frozen=True)
class CellCheck:
    cell: int  # index into Grid.cells
    ink: PixBox
    tokens: tuple[Token, ...]  # first-pass tokens checked: the cell's, or one line's of it (may be empty)
    glyph: str | None  # "/", "—" or "-" when the ink is one such stroke


@dataclass(frozen=True)
class Reading:
    text: str
    conf: float


def tokens_by_cell(tokens: Sequence[Token], grid: Grid) -> tuple[dict[int, list[Token]], list[Token]]:
    """Tokens grouped by the cell holding their centre; tokens outside any cell separately."""
    inside: dict[int, list[Token]] = {}
    outside: list[Token] = []
    for t in tokens:
        c = grid.cell_at(t.xc, t.yc)
        if c < 0:
            outside.append(t)
        else:
            inside.setdefault(c, []).append(t)
    return inside, outside


def needs_check(tokens: Sequence[Token], conf_ok: float = CONF_OK) -> bool:
    """Empty cells (checked for ink later), and value-like cells (no CJK) read with doubt or in pieces."""
    if not tokens:
        return True
    if any(has_cjk(t.text) and not DASH.match(t.text) for t in tokens):
        return False  # a label: the first pass reads labels well and the engine matches them loosely
    if len(tokens) == 1 and DASH.match(tokens[0].text) and tokens[0].conf >= GLYPH_CONF:
        return False  # a dash or slash known by its shape
    return len(tokens) > 1 or any(t.conf < conf_ok or not is_value_text(t.text) for t in tokens)


def cell_lines(tokens: Sequence[Token]) -> list[list[Token]]:
    """A cell's tokens in lines, top to bottom: a token joins the line its centre falls within."""
    lines: list[list[Token]] = []
    for t in sorted(tokens, key=lambda t: t.yc):
        if lines and t.yc < max(u.bottom for u in lines[-1]):
            lines[-1].append(t)
        else:
            lines.append([t])
    return lines


def join_wrapped(tokens: Sequence[Token]) -> list[Token]:
    """A ruled cell's tokens with the pieces of each number wrapped down the cell joined, top to
    bottom, into one token: pieces of digits and separators stacked over each other (overlapping
    columns), each within WRAP_GAP piece heights of the one above. A lone separator's line is
    easily lost as a speck, and without it the table engine would not know ``2`` over ``689``
    for one number; inside a ruled cell the stack is one value."""
    out: list[Token] = []
    stacks: list[list[Token]] = []
    for t in sorted(tokens, key=lambda t: (t.top, t.x0)):
        if not _PIECE.match(t.text):
            out.append(t)
            continue
        h = t.bottom - t.top
        for s in stacks:
            last = s[-1]
            if last.bottom <= t.yc and t.x0 < last.x1 and last.x0 < t.x1 and t.top - last.bottom <= WRAP_GAP * h:
                s.append(t)
                break
        else:
            stacks.append([t])
    for s in stacks:
        if len(s) == 1 or s[0].text[0] in ",，.．":
            out += s  # a single piece, or a stack starting with a separator: not one number
            continue
        text = normalise_token("".join(p.text for p in s))
        box = (min(p.x0 for p in s), s[0].top, max(p.x1 for p in s), s[-1].bottom)
        out.append(Token(text, *box, min(p.conf for p in s)))
    return out


def _line_checks(
    gray: np.ndarray, grid: Grid, i: int, lines: list[list[Token]], min_pixels: int, th: float, conf_ok: float
) -> list[CellCheck]:
    """Checks of a cell printing more than one line (a number wrapped inside its cell: ``3,9`` over
    ``77``), one per doubtful line, each on that line's ink: a crop of the whole cell would hold
    two lines, which the line recogniser cannot read. The lines stay apart, as a text layer
    prints them, for the table engine to join."""
    cx0, cy0, cx1, cy1 = grid.cells[i]
    checks = []
    for line in lines:
        if not needs_check(line, conf_ok):
            continue
        box = (
            max(cx0, int(min(t.x0 for t in line)) - 2),
            max(cy0, int(min(t.top for t in line)) - 1),
            min(cx1, int(max(t.x1 for t in line)) + 3),
            min(cy1, int(max(t.bottom for t in line)) + 2),
        )
        ink = ink_box(gray, grid.lines, box, inset=0, min_pixels=min_pixels)
        if ink is not None:
            x0, y0, x1, y1 = ink
            mask = dark_mask(gray[y0:y1, x0:x1]) & ~grid.lines[y0:y1, x0:x1]
            checks.append(CellCheck(i, ink, tuple(line), stroke_glyph(mask, th)))
    return checks


def plan_checks(
    gray: np.ndarray, grid: Grid, inside: dict[int, list[Token]], text_height: float, conf_ok: float = CONF_OK
) -> list[CellCheck]:
    min_pixels = max(6, round((text_height / 10) ** 2))  # about a full stop; less is scan noise
    checks = []
    for i, cell in enumerate(grid.cells):
        tokens = inside.get(i, [])
        lines = cell_lines(tokens)
        if len(lines) > 1:
            checks += _line_checks(gray, grid, i, lines, min_pixels, text_height, conf_ok)
            continue
        if not needs_check(tokens, conf_ok):
            continue
        ink = ink_box(gray, grid.lines, cell, min_pixels=min_pixels)
        if ink is None:
            continue  # a blank cell: nothing printed, nothing to read
        x0, y0, x1, y1 = ink
        mask = dark_mask(gray[y0:y1, x0:x1]) & ~grid.lines[y0:y1, x0:x1]
        checks.append(CellCheck(i, ink, tuple(tokens), stroke_glyph(mask, text_height)))
    return checks


def _key(text: str) -> str:
    return "—" if DASH.match(text) and text != "/" else text


def vote(readings: Sequence[Reading]) -> Reading | None:
    """The winning reading, its confidence scaled by its share of the (weighted) votes.

    In a value cell a reading that is no value (``T``, ``#``) is recogniser noise and weighs
    little; dashes of any width count as one answer.
    """
    readings = [r for r in readings if r.text]
    if not readings:
        return None
    any_value = any(is_value_text(r.text) for r in readings)
    weights: dict[str, float] = {}
    best: dict[str, Reading] = {}
    for r in readings:
        k = _key(r.text)
        w = r.conf * (NOISE_WEIGHT if any_value and not is_value_text(r.text) else 1.0)
        weights[k] = weights.get(k, 0.0) + w
        if k not in best or r.conf > best[k].conf:
            best[k] = r
    winner = max(weights, key=lambda k: (is_value_text(best[k].text), weights[k]))
    share = weights[winner] / sum(weights.values()) if sum(weights.values()) > 0 else 0.0
    return Reading(best[winner].text, best[winner].conf * share)


def resolve(check: CellCheck, rereads: Sequence[tuple[str, float]], text_height: float) -> list[Token]:
    """Tokens of a checked cell from its first-pass tokens, its re-reads and its glyph shape."""
    readings = [Reading(normalise_token(text.replace(" ", "")), conf) for text, conf in rereads]
    if check.tokens:
        readings.append(Reading("".join(t.text for t in check.tokens), min(t.conf for t in check.tokens)))
    if check.glyph:
        readings.append(Reading(check.glyph, GLYPH_CONF))
    result = vote(readings)
    x0, y0, x1, y1 = (float(v) for v in check.ink)
    if result is None:
        # Ink of text height that nothing could read: say so rather than drop the cell.
        return [Token(UNREAD, x0, y0, x1, y1, 0.0)] if y1 - y0 >= 0.4 * text_height else []
    if check.tokens and result.text == "".join(t.text for t in check.tokens):
        x0, y0 = min(t.x0 for t in check.tokens), min(t.top for t in check.tokens)
        x1, y1 = max(t.x1 for t in check.tokens), max(t.bottom for t in check.tokens)
    return [Token(result.text, x0, y0, x1, y1, result.conf)]


def _nudged(ink: PixBox, cell: PixBox, by: int) -> PixBox:
    """The ink box grown by ``by`` pixels, kept inside the cell."""
    return (
        max(cell[0] + 1, ink[0] - by),
        max(cell[1] + 1, ink[1] - by),
        min(cell[2] - 1, ink[2] + by),
        min(cell[3] - 1, ink[3] + by),
    )


def review_cells(
    gray: np.ndarray,
    grid: Grid,
    tokens: Sequence[Token],
    recognise: Recognise,
    text_height: float,
    conf_ok: float = CONF_OK,
) -> list[Token]:
    """All tokens of the page after re-reading doubtful and empty-looking cells (batched calls).

    A re-read that is still doubtful (below RETRY_CONF, or no value) is read once more from a crop
    a pixel or two larger: the recogniser is sensitive to the crop, and a reading that survives the
    change is more trustworthy than one that does not (the vote records which).
    """
    inside, outside = tokens_by_cell(tokens, grid)
    checks = plan_checks(gray, grid, inside, text_height, conf_ok)
    first = recognise([text_crop(gray, grid.lines, c.ink) for c in checks]) if checks else []
    rereads: list[list[tuple[str, float]]] = [[r] for r in first]
    retry = [i for i, (text, conf) in enumerate(first) if conf < RETRY_CONF or not is_value_text(text)]
    if retry:
        by = max(1, round(0.05 * text_height))
        crops = [text_crop(gray, grid.lines, _nudged(checks[i].ink, grid.cells[checks[i].cell], by)) for i in retry]
        for i, reading in zip(retry, recognise(crops), strict=True):
            rereads[i].append(reading)
    for check, reads in zip(checks, rereads, strict=True):
        checked = {id(t) for t in check.tokens}
        kept = [t for t in inside.get(check.cell, []) if id(t) not in checked]
        inside[check.cell] = kept + resolve(check, reads, text_height)
    out = list(outside)
    for cell_tokens in inside.values():
        out.extend(join_wrapped(cell_tokens) if len(cell_tokens) > 1 else cell_tokens)
    out.sort(key=lambda t: (round(t.top), t.x0))
    return out
