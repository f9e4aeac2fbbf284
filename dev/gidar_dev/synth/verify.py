"""Read a rendered report back with pdfplumber and check that its truth is printed: every
non-empty cell text, every rendered label, and the title (a reader-independent sanity check)."""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

import pdfplumber

_WS = re.compile(r"[\s\u3000]+")


def _squash(s: str) -> str:
    return _WS.sub("", s)


def _cell_texts(truth: dict[str, Any]) -> list[tuple[str, str]]:
    tables = truth["tables"]
    out = [(t, "t2") for b in tables["t2"]["blocks"] for r in b["rows"] for t in r["texts"].values()]
    out += [(t, "t3") for r in tables["t3"]["rows"] for t in r["texts"].values()]
    out += [(t, "t4") for b in tables["t4"]["blocks"] for t in b["texts"].values()]
    return out


def _in_pieces(text: str, table: str, truth: dict[str, Any]) -> bool:
    """A cell printed as several words: a thin-space separator, or a number wrapped in a narrow column."""
    opts = truth["render"]["options"]
    narrow = opts.get("narrow_values") and (table == "t3" or (table == "t4" and opts.get("t4_layout") == "wide"))
    return "\u2009" in text or bool(narrow)


def printed_tokens(truth: dict[str, Any]) -> Counter[str]:
    """Every non-empty cell text of the truth tables printed as one word (white space and U+3000
    removed)."""
    return Counter(_squash(t) for t, table in _cell_texts(truth) if _squash(t) and not _in_pieces(t, table, truth))


def missing_text(pdf: bytes, truth: dict[str, Any]) -> list[str]:
    """Cell texts (with multiplicity) and labels of the truth that the text layer lacks. Cells
    printed in pieces and long labels (which wrap around their row's values) are checked by
    their characters."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        words: Counter[str] = Counter()
        pages = []
        for page in doc.pages:
            words.update(_squash(w["text"]) for w in page.extract_words(keep_blank_chars=False))
            pages.append(page.extract_text() or "")
    flat = _squash("".join(pages))
    chars = Counter(flat)
    missing = [f"cell {tok!r} x{n - words[tok]}" for tok, n in printed_tokens(truth).items() if words[tok] < n]
    pieces = Counter("".join(_squash(t) for t, table in _cell_texts(truth) if _in_pieces(t, table, truth)))
    missing += [f"cell characters {ch!r} x{n - chars[ch]}" for ch, n in pieces.items() if chars[ch] < n]
    labels = [truth["metadata"]["title"]]
    labels += [r["rendered_label"] for b in truth["tables"]["t2"]["blocks"] for r in b["rows"]]
    # Table-三 labels wrap and interleave with vertical parent labels, so they are not checked whole.
    for lab in labels:
        if len(_squash(lab)) <= LONG_LABEL:
            missing += [f"label {lab!r}"] if _squash(lab) not in flat else []
        elif any(chars[ch] < n for ch, n in Counter(_squash(lab)).items()):
            missing.append(f"label {lab!r}")
    return missing


LONG_LABEL = 12  # characters: a longer label may wrap in its cell, beside its row's values
