"""Label normalisation for matching printed labels against the registry.

Real reports drift in width (``(三)`` vs ``（三）``), numbering (``1、`` / ``1．`` / ``1.``),
spacing (``第二十条 第（一）项``, letter-spaced headers) and quotes. Matching compares the
normalised forms, so the registry only has to list genuine wording variants.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DROP = re.compile(r"[\s\u3000“”\"'‘’「」『』]+")
_NUM_SEP = re.compile(r"^(\d+)[、．.,，]")
_NUM_PAREN = re.compile(r"^\(?(\d+)\)")  # (1) / 1) as a sub-row number
_CN_SEP = re.compile(r"^([一二三四五六七八九十]+)[.．,，](?=\D)")  # 一. / 一， as a section number


@lru_cache(maxsize=1 << 16)  # the layout engine asks again for the same words and lines, ~1,700 times a report
def normalise(text: str) -> str:
    """NFKC, no white space or quotes, ASCII parentheses; leading ``1、``/``1．``/``(1)`` → ``1.``
    and ``一.``/``一，`` → ``一、``."""
    s = unicodedata.normalize("NFKC", text)
    s = _DROP.sub("", s)
    s = s.replace("（", "(").replace("）", ")").replace("：", ":").replace("，", ",")
    s = s.replace("、", "、")  # NFKC leaves the ideographic comma; kept as the clause joiner
    s = _NUM_PAREN.sub(r"\1.", s)
    s = _CN_SEP.sub(r"\1、", s)
    return _NUM_SEP.sub(r"\1.", s)
