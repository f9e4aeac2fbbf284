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


def printed_tokens(truth: dict[str, Any]) -> Counter[str]:
    """Every non-empty cell text of the truth tables (white space and U+3000 removed)."""
    out: Counter[str] = Counter()
    tables = truth["tables"]
    for b in tables["t2"]["blocks"]:
        for r in b["rows"]:
            out.update(_squash(t) for t in r["texts"].values() if _squash(t))
    for r in tables["t3"]["rows"]:
        out.update(_squash(t) for t in r["texts"].values() if _squash(t))
    for b in tables["t4"]["blocks"]:
        out.update(_squash(t) for t in b["texts"].values() if _squash(t))
    return out


def missing_text(pdf: bytes, truth: dict[str, Any]) -> list[str]:
    """Cell texts (with multiplicity) and labels of the truth that the text layer lacks."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        words: Counter[str] = Counter()
        pages = []
        for page in doc.pages:
            words.update(_squash(w["text"]) for w in page.extract_words(keep_blank_chars=False))
            pages.append(page.extract_text() or "")
    flat = _squash("".join(pages))
    missing = [f"cell {tok!r} x{n - words[tok]}" for tok, n in printed_tokens(truth).items() if words[tok] < n]
    labels = [truth["metadata"]["title"]]
    labels += [r["rendered_label"] for b in truth["tables"]["t2"]["blocks"] for r in b["rows"]]
    # Table-三 labels wrap and interleave with vertical parent labels, so they are not checked whole.
    missing += [f"label {lab!r}" for lab in labels if _squash(lab) not in flat]
    return missing
