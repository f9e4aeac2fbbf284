"""A tiny page-flow layer over the reportlab canvas: text, wrapped paragraphs, and ruled grids
with merged cells that may break across pages (header rows optionally repeated).

Coordinates are top-down (`top` grows downwards from the page top), like pdfplumber's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

CID_FONT = "STSong-Light"
CM = 28.3465
PAGE_W, PAGE_H = A4
Box = tuple[float, float, float, float]  # x0, top, x1, bottom in points, origin top-left (pdfplumber's)
_ASCENT = 0.86
_NO_LINE_START = set("，。；：、）》”！？")  # baseline offset from the top of a line box, as a fraction of the size


@lru_cache(maxsize=4)
def register_font(font: str = CID_FONT, path: str | None = None) -> str:
    """Register the built-in CID font (no font files needed) or a TrueType file to embed."""
    if path:
        from reportlab.pdfbase.ttfonts import TTFont

        name = "synth-embedded"
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
        return name
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    return font


# Characters the CID font has no glyph for: U+2212 is drawn with Vera (shipped with reportlab, so
# every machine renders the same bytes); a thin space is drawn as the CID font's space, which is a
# fifth of an em wide (0.207 em) like a thin space, so readers find a space character there.
SIGN_FONT = "synth-vera"
_SIGN_CHARS = frozenset("\u2212")
_GAP_CHARS = frozenset("\u2009\u202f")


@lru_cache(maxsize=1)
def _sign_font() -> str:
    import os

    import reportlab
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(SIGN_FONT, os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")))
    return SIGN_FONT


@lru_cache(maxsize=20000)
def _char_w(ch: str, font: str) -> float:
    if ch in _GAP_CHARS:
        return pdmetrics_space(font)
    if ch in _SIGN_CHARS:
        return pdfmetrics.stringWidth(ch, _sign_font(), 1.0)
    return pdfmetrics.stringWidth(ch, font, 1.0)


def pdmetrics_space(font: str) -> float:
    return pdfmetrics.stringWidth(" ", font, 1.0)


def text_width(s: str, font: str, size: float) -> float:
    return sum(_char_w(ch, font) for ch in s) * size


def _runs(s: str) -> list[tuple[str, str]]:
    """(kind, text) runs: "text" in the CID font (thin spaces as its space), "sign" in Vera."""
    out: list[tuple[str, str]] = []
    for ch in s:
        kind = "sign" if ch in _SIGN_CHARS else "text"
        ch = " " if ch in _GAP_CHARS else ch
        if out and out[-1][0] == kind:
            out[-1] = (kind, out[-1][1] + ch)
        else:
            out.append((kind, ch))
    return out


def _word_char(ch: str) -> bool:
    return ch.isdigit() or (ch.isascii() and ch.isalpha()) or ch in ",.+-"


def _tokens(s: str) -> list[str]:
    """Split into wrap units: runs of digits/ASCII letters (numbers never break), else one char."""
    out: list[str] = []
    for ch in s:
        if out and _word_char(ch) and _word_char(out[-1][-1]) and (ch.isdigit() or ch.isascii()):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _split_long(tok: str, width: float, font: str, size: float) -> list[str]:
    """A word wider than the line, cut where it overflows (what Word does in a narrow cell)."""
    parts, cur = [], ""
    for ch in tok:
        if cur and text_width(cur + ch, font, size) > width + 1e-6:
            parts.append(cur)
            cur = ""
        cur += ch
    return [*parts, cur]


def wrap(
    s: str, width: float, font: str, size: float, *, kinsoku: bool = False, break_words: bool = False
) -> list[str]:
    """Greedy line wrap for CJK text (any character boundary, numbers kept whole). With
    `kinsoku`, closing punctuation never starts a line (it overhangs, as in Word paragraphs);
    with `break_words`, a number too wide for the line is cut where it overflows."""
    lines: list[str] = []
    for para in s.split("\n"):
        cur, w = "", 0.0
        toks = _tokens(para)
        if break_words:
            toks = [p for t in toks for p in _split_long(t, width, font, size)]
        for tok in toks:
            tw = text_width(tok, font, size)
            if cur and w + tw > width + 1e-6 and not (kinsoku and tok in _NO_LINE_START):
                lines.append(cur.rstrip("\u2009\u202f"))
                cur, w = "", 0.0
                if tok in _GAP_CHARS:  # a line never starts with the space it broke at
                    continue
            cur += tok
            w += tw
        lines.append(cur)
    return lines


@dataclass
class GridCell:
    r0: int  # first row (grid row index)
    c0: int  # first column
    text: str
    r1: int = -1  # one past the last row; -1: r0 + 1
    c1: int = -1
    align: str = "center"  # left | center | right
    size: float | None = None
    breakable: bool = False  # a value that may be cut inside (a number in a too-narrow column)

    def __post_init__(self) -> None:
        if self.r1 < 0:
            self.r1 = self.r0 + 1
        if self.c1 < 0:
            self.c1 = self.c0 + 1


@dataclass
class Grid:
    widths: list[float]
    cells: list[GridCell]
    n_rows: int
    n_header: int = 0  # leading rows that form the (repeatable) header
    size: float = 9.0
    min_row_h: float = 16.0
    pad: float = 2.5


class Document:
    """Flowing pages with margins, an optional frame and a page-number footer."""

    def __init__(
        self,
        *,
        font: str,
        margins_cm: Sequence[float],
        footer: str = "",
        frame: bool = False,
        rules: str = "all",
        title: str = "",
    ) -> None:
        self.buf = io.BytesIO()
        self.c = Canvas(self.buf, pagesize=A4, invariant=1)
        self.c.setTitle(title)
        self.c.setCreator("gidar_dev.synth")
        self.font = font
        ml, mt, mr, mb = (m * CM for m in margins_cm)
        self.left, self.right, self.top_margin, self.bottom = ml, PAGE_W - mr, mt, PAGE_H - mb
        self.footer, self.frame, self.rules = footer, frame, rules
        self.page = 1
        self.y = self.top_margin

    @property
    def width(self) -> float:
        return self.right - self.left

    # --- pages ------------------------------------------------------------------------
    def _decorate(self) -> None:
        if self.frame:
            self.c.setLineWidth(0.8)
            self.c.rect(self.left - 12, PAGE_H - self.bottom - 12, self.width + 24, self.bottom - self.top_margin + 24)
        if self.footer:
            s = self.footer.format(p=self.page)
            # Word puts the footer about half-way down the bottom margin.
            top = self.bottom + (PAGE_H - self.bottom) / 2 - 4.5
            self.text(s, (self.left + self.right) / 2, top, 9.0, align="center")

    def new_page(self) -> None:
        self._decorate()
        self.c.showPage()
        self.page += 1
        self.y = self.top_margin

    def room(self) -> float:
        return self.bottom - self.y

    def need(self, h: float) -> None:
        if h > self.room():
            self.new_page()

    def finish(self) -> tuple[bytes, int]:
        self._decorate()
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue(), self.page

    # --- text -------------------------------------------------------------------------
    def text(self, s: str, x: float, top: float, size: float, align: str = "left") -> None:
        base = PAGE_H - (top + size * _ASCENT)
        runs = _runs(s)
        if len(runs) == 1 and runs[0][0] == "text":
            self.c.setFont(self.font, size)
            t = runs[0][1]
            if align == "center":
                self.c.drawCentredString(x, base, t)
            elif align == "right":
                self.c.drawRightString(x, base, t)
            else:
                self.c.drawString(x, base, t)
            return
        w = text_width(s, self.font, size)
        x0 = x - w / 2 if align == "center" else x - w if align == "right" else x
        for kind, t in runs:
            self.c.setFont(_sign_font() if kind == "sign" else self.font, size)
            self.c.drawString(x0, base, t)
            x0 += text_width(t, self.font, size)

    def line(self, s: str, size: float, *, align: str = "left", leading: float = 1.5, indent: float = 0) -> None:
        h = size * leading
        self.need(h)
        x = {"left": self.left + indent, "center": (self.left + self.right) / 2, "right": self.right}[align]
        self.text(s, x, self.y + (h - size) / 2, size, align)
        self.y += h

    def paragraph(self, s: str, size: float, *, leading: float = 1.6, first_indent: int = 2) -> None:
        indent = "　" * first_indent
        for ln in wrap(indent + s, self.width, self.font, size, kinsoku=True):
            self.line(ln, size, leading=leading)

    def space(self, h: float) -> None:
        self.y += h

    # --- grids ------------------------------------------------------------------------
    def _lines(self, cell: GridCell, g: Grid) -> list[str]:
        w = sum(g.widths[cell.c0 : cell.c1]) - 2 * g.pad
        return wrap(cell.text, max(w, 1.0), self.font, cell.size or g.size, break_words=cell.breakable)

    def _row_heights(self, g: Grid) -> list[float]:
        lead = g.size * 1.25
        hs = [g.min_row_h] * g.n_rows
        multi = []
        for cell in g.cells:
            need = len(self._lines(cell, g)) * lead + 2 * g.pad
            if cell.r1 - cell.r0 == 1:
                hs[cell.r0] = max(hs[cell.r0], need)
            else:
                multi.append((cell, need))
        for cell, need in multi:  # merged cells (vertical labels) may need taller rows
            have = sum(hs[cell.r0 : cell.r1])
            if need > have:
                extra = (need - have) / (cell.r1 - cell.r0)
                for r in range(cell.r0, cell.r1):
                    hs[r] += extra
        return hs

    def lead_height(self, g: Grid, breaks: str = "natural") -> float:
        """Height the grid needs on its first page (for keeping a heading with its table)."""
        hs = self._row_heights(g)
        if breaks == "none" and sum(hs) <= self.bottom - self.top_margin:
            return sum(hs)
        return sum(hs[: g.n_header + 1])

    def grid(
        self, g: Grid, *, breaks: str = "natural", break_before: int | None = None, repeat: bool = False
    ) -> dict[tuple[int, int], tuple[int, Box]]:
        """Draw a grid from the cursor. breaks: 'none' keeps it on one page if it fits on one,
        'natural' breaks at the page end, 'forced' also breaks before body row `break_before`.

        Returns where each cell was drawn, by its (r0, c0): (page, (x0, top, x1, bottom)) of its
        first part (a cell split by a page break continues on the next page)."""
        hs = self._row_heights(g)
        head = list(range(g.n_header))
        head_h = sum(hs[r] for r in head)
        first_body = hs[g.n_header] if g.n_rows > g.n_header else 0
        if breaks == "none" and sum(hs) <= self.bottom - self.top_margin:
            self.need(sum(hs))
        else:
            self.need(head_h + first_body)
        # Paginate: segments of (rows, tops) per page.
        segments: list[list[tuple[int, float]]] = [[]]
        y = self.y
        for r in head:
            segments[-1].append((r, y))
            y += hs[r]
        for r in range(g.n_header, g.n_rows):
            forced = breaks == "forced" and break_before is not None and r == g.n_header + break_before
            if (y + hs[r] > self.bottom or forced) and len(segments[-1]) > g.n_header:
                segments.append([])
                y = self.top_margin
                if repeat:
                    for h in head:
                        segments[-1].append((h, y))
                        y += hs[h]
            segments[-1].append((r, y))
            y += hs[r]
        placed: dict[tuple[int, int], tuple[int, Box]] = {}
        for i, seg in enumerate(segments):
            if i:
                self.new_page()
            for at, box in self._draw_segment(g, hs, seg).items():
                placed.setdefault(at, (self.page, box))
        last_row, last_top = segments[-1][-1]
        self.y = last_top + hs[last_row]
        return placed

    def _draw_segment(self, g: Grid, hs: list[float], seg: list[tuple[int, float]]) -> dict[tuple[int, int], Box]:
        tops = dict(seg)
        drawn: dict[tuple[int, int], Box] = {}
        xs = [self.left]
        for w in g.widths:
            xs.append(xs[-1] + w)
        self.c.setLineWidth(0.6)
        for cell in g.cells:
            rows = [r for r in range(cell.r0, cell.r1) if r in tops]
            if not rows:
                continue
            top = tops[rows[0]]
            h = sum(hs[r] for r in rows)
            lines = self._lines(cell, g)
            if len(rows) < cell.r1 - cell.r0:  # a merged cell split by a page break: share its lines
                full = sum(hs[cell.r0 : cell.r1])
                before = sum(hs[r] for r in range(cell.r0, rows[0]))
                a = round(len(lines) * before / full)
                b = round(len(lines) * (before + h) / full)
                lines = lines[a:b]
            self._cell_box(xs[cell.c0], xs[cell.c1], top, top + h)
            drawn[(cell.r0, cell.c0)] = (xs[cell.c0], top, xs[cell.c1], top + h)
            size = cell.size or g.size
            lead = size * 1.25
            y0 = top + (h - len(lines) * lead) / 2 + (lead - size) / 2
            for i, ln in enumerate(lines):
                x = {
                    "left": xs[cell.c0] + g.pad,
                    "center": (xs[cell.c0] + xs[cell.c1]) / 2,
                    "right": xs[cell.c1] - g.pad,
                }[cell.align]
                self.text(ln, x, y0 + i * lead, size, cell.align)
        return drawn

    def _cell_box(self, x0: float, x1: float, top: float, bottom: float) -> None:
        if self.rules == "none":
            return
        yt, yb = PAGE_H - top, PAGE_H - bottom
        if self.rules == "all":
            self.c.rect(x0, yb, x1 - x0, yt - yb)
        else:
            self.c.line(x0, yt, x1, yt)
            self.c.line(x0, yb, x1, yb)
