"""`joined_lines`: a document's lines from its pages' lines, exactly as `group_lines` groups them."""

from __future__ import annotations

import random

from gidar.extract.layout.lines import Line, group_lines, joined_lines
from gidar.extract.model import Word


def _page(rng: random.Random, page: int) -> list[Word]:
    words = []
    for row in range(25):
        top = 40 + row * 14 + rng.choice((0.0, 0.3, -0.4, 6.5))  # some rows close enough to merge
        for _ in range(rng.randint(1, 6)):
            x0 = rng.choice((50.0, 120.0, 120.0, 300.5, rng.uniform(0, 500)))  # ties on x0 too
            h = rng.choice((10.0, 12.0, 0.0, 3.0))
            words.append(Word(f"w{page}.{row}", x0, top, x0 + 20, top + h, page))
    rng.shuffle(words)
    return words


def _shape(lines: list[Line]) -> list[list[int]]:
    return [[id(w) for w in ln.words] for ln in lines]


def test_joined_lines_equal_grouping_the_whole_document() -> None:
    rng = random.Random(7)
    for _ in range(30):
        pages = [_page(rng, n) for n in (1, 2, 3, 5)] + [[]]
        joined = joined_lines(pages, [group_lines(ws) for ws in pages])
        assert joined is not None
        assert _shape(joined) == _shape(group_lines([w for ws in pages for w in ws]))


def test_joined_lines_refuse_what_grouping_pages_alone_may_order_differently() -> None:
    rng = random.Random(8)
    a, b = _page(rng, 1), _page(rng, 2)
    assert joined_lines([b, a], [group_lines(b), group_lines(a)]) is None  # pages out of order
    mixed = [*a, Word("x", 1, 2, 3, 4, 2)]
    assert joined_lines([mixed, b], [group_lines(mixed), group_lines(b)]) is None  # another page's word
    nan = [*a, Word("x", float("nan"), 2, 3, 4, 1)]
    assert joined_lines([nan, b], [group_lines(nan), group_lines(b)]) is None
    inf = [*a, Word("x", 1, float("-inf"), 3, float("inf"), 1)]  # its centre is NaN
    assert joined_lines([inf, b], [group_lines(inf), group_lines(b)]) is None
