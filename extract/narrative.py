"""Section 一 (总体情况) as plain text, for narrative-vs-table checks downstream."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from gidar.labels import normalise
from gidar.templates import T2_TITLE

_SECTION_ONE = re.compile(r"^一[、.．]")
_HEADING = re.compile(r"^(?:[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+[、.．])")
_T2_CORE = re.sub(r"^[一二三四五六]、", "", T2_TITLE)


def section_one(pages_text: Sequence[str]) -> str | None:
    """Lines from the first ``一、…`` heading up to the table-二 title; None if not found."""
    lines = [ln.strip() for page in pages_text for ln in page.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if _SECTION_ONE.match(ln)), None)
    if start is None:
        return None
    body = []
    for ln in lines[start:]:
        if _T2_CORE in normalise(ln) and len(normalise(ln)) <= len(_T2_CORE) + 6:
            break
        body.append(ln)
    return _reflow(body) or None


def _reflow(lines: Sequence[str]) -> str:
    """Undo the page's line wrapping (a number like 21 may be wrapped as 2/1); keep paragraphs."""
    if not lines:
        return ""
    full = max(len(ln) for ln in lines)
    out = lines[0]
    for prev, ln in itertools.pairwise(lines):
        paragraph_end = prev.endswith(("。", "：", ":", "；")) and len(prev) < 0.9 * full
        out += (
            "\n" if _HEADING.match(ln) or paragraph_end or (_HEADING.match(prev) and len(prev) < 0.6 * full) else ""
        ) + ln
    return out
