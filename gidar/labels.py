"""Label normalisation and matching of printed labels against the registry.

Real reports drift in width (``(三)`` vs ``（三）``), numbering (``1、`` / ``1．`` / ``1.``, and
``（一）本年新收…`` for ``一、本年新收…``), spacing (``第二十条 第（一）项``, letter-spaced headers,
``规 章``) and quotes. Matching compares the normalised forms, so the registry only has to list
genuine wording variants. Publishers also add to a label without changing what it means: a year
in brackets inside it (``本年（2023）制发件数``) or an explanation in brackets after it
(``规章（设区的市、自治州人民政府应提供相关数据）``); `label_state` accepts both, with the patterns
from the registry (`gidar.templates.LABEL_INSERTIONS`, `LABEL_NOTE_BRACKETS`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

from gidar.templates import CELL_UNITS, LABEL_INSERTIONS, LABEL_NOTE_BRACKETS

_DROP = re.compile(r"[\s\u3000“”\"'‘’「」『』]+")
_NUM_SEP = re.compile(r"^(\d+)[、．.,，]")
_NUM_PAREN = re.compile(r"^\(?(\d+)\)")  # (1) / 1) as a sub-row number
_CN_SEP = re.compile(r"^([一二三四五六七八九十]+)[.．,，](?=\D)")  # 一. / 一， as a section number
_CN_PAREN = re.compile(r"^\(([一二三四五六七八九十]+)\)")  # (一) as an item number


def _renumbered(pattern: re.Pattern[str], mark: str, s: str) -> str:
    """``pattern.sub(r"\\1" + mark, s)`` for a pattern anchored at the start (so one match at most),
    without `re`'s handling of a replacement template, a Python-level call at every ``sub``."""
    m = pattern.match(s)
    return m.group(1) + mark + s[m.end() :] if m else s


@lru_cache(maxsize=1 << 16)  # the layout engine asks again for the same words and lines, ~1,700 times a report
def normalise(text: str) -> str:
    """NFKC, no white space or quotes, ASCII brackets; leading ``1、``/``1．``/``(1)`` → ``1.``
    and ``一.``/``一，``/``（一）`` → ``一、``.

    One form for the two Chinese numberings is safe: no two labels of a table differ only in
    numbering style (（一）予以公开 and 一、本年新收… differ in their words too)."""
    s = unicodedata.normalize("NFKC", text)
    s = _DROP.sub("", s)
    s = s.replace("（", "(").replace("）", ")").replace("：", ":").replace("，", ",")
    s = _renumbered(_NUM_PAREN, ".", s)
    s = _renumbered(_CN_PAREN, "、", s)
    s = _renumbered(_CN_SEP, "、", s)
    return _renumbered(_NUM_SEP, ".", s)


_INSERTION = re.compile("|".join(f"(?:{p})" for p in LABEL_INSERTIONS))
_OPEN, _CLOSE = LABEL_NOTE_BRACKETS
# The start of an inserted year cut by a line wrap: ``本年(20`` / ``23)制发件数``.
_PARTIAL_YEAR = re.compile(re.escape(_OPEN) + r"\d{0,4}年?度?$")

State = Literal["complete", "prefix"]
_OPEN_NUMBER = re.compile(r"^\(([一二三四五六七八九十]*|\d*)$")  # ``（`` or ``（三`` so far
_NUMBERED_FORM = re.compile(r"^(?:[一二三四五六七八九十]+、|\d+\.)")


def without_insertions(text: str) -> str:
    """Normalised text with every complete inserted year removed."""
    return _INSERTION.sub("", text)


def _note(rest: str) -> State | None:
    """``rest`` after a complete label: an explanation in brackets, finished or still open."""
    if not rest.startswith(_OPEN):
        return None
    depth = 0
    for i, ch in enumerate(rest):
        depth += (ch == _OPEN) - (ch == _CLOSE)
        if depth == 0:
            return "complete" if i == len(rest) - 1 else None
    return "prefix"


def label_state(text: str, forms: Iterable[str], notes: bool = True) -> State | None:
    """How normalised ``text`` (fragments read so far) relates to a label with these normalised
    ``forms``: ``complete`` (a form, maybe with an inserted year or, if ``notes``, a trailing note
    in brackets), ``prefix`` (it can still grow into one) or None."""
    return _label_state(text, forms if isinstance(forms, tuple) else tuple(forms), notes)


@lru_cache(maxsize=1 << 16)
def _compared(text: str) -> str:
    """What `_label_state` compares with the forms: the text without inserted years, renumbered
    (fragments are normalised one by one: a number split as ``（`` / ``三`` / ``）`` is renumbered
    here). One text is asked about every label of a table: this is done once for all of them."""
    return _renumbered(_CN_PAREN, "、", _renumbered(_NUM_PAREN, ".", without_insertions(text)))


@lru_cache(maxsize=1 << 12)
def _initials(forms: tuple[str, ...]) -> frozenset[str] | None:
    """The first characters of the forms; None if a form is empty (any text can follow it)."""
    return None if "" in forms else frozenset(f[0] for f in forms)


@lru_cache(maxsize=1 << 16)  # the matchers ask about the same fragments against the same labels
def _label_state(text: str, forms: tuple[str, ...], notes: bool) -> State | None:
    s = _compared(text)
    if m := _OPEN_NUMBER.match(s):
        num = m.group(1)
        return "prefix" if any(_NUMBERED_FORM.match(f) and f.startswith(num) for f in forms) else None
    initials = _initials(forms)
    if s and initials is not None and s[0] not in initials:
        return None  # every test below compares s with the start of a form
    if s in forms:
        return "complete"
    best: State | None = None
    for f in forms:
        if f.startswith(s):
            best = "prefix"
        elif notes and s.startswith(f) and (st := _note(s[len(f) :])) is not None:
            if st == "complete":
                return "complete"
            best = "prefix"
    if best is None:
        m = _PARTIAL_YEAR.search(s)
        if m and m.start() > 0 and any(f.startswith(s[: m.start()]) for f in forms):
            best = "prefix"
    return best


def open_note(text: str, forms: Iterable[str]) -> bool:
    """``text`` is a complete label followed by an explanation whose bracket is still open."""
    s = without_insertions(text)
    return any(s.startswith(f) and _note(s[len(f) :]) == "prefix" for f in forms)


@lru_cache(maxsize=1 << 12)  # asked for every header stack found: the same few headers in every report
def header_unit(text: str) -> str | None:
    """The unit a printed header names in brackets (``采购总金额（元）``, ``本年收费金额（单位：万元）``)."""
    s = normalise(text)
    for m in re.finditer(re.escape(_OPEN) + r"([^()]*)" + re.escape(_CLOSE), s):
        inner = m.group(1).removeprefix("单位:").removeprefix("单位")
        if inner in CELL_UNITS:
            return inner
    return None
