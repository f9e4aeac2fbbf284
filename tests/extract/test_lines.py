"""`joined_lines` and `strip_furniture_lines`: lines taken from another grouping, exactly as `group_lines`
groups them."""

from __future__ import annotations

import random

from gidar.extract.layout.lines import Line, group_lines, joined_lines, strip_furniture, strip_furniture_lines
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


def _with_furniture(rng: random.Random, page: int) -> list[Word]:
    """A page with a running header, sometimes under a line of its own (a furniture line in the middle
    of the page's lines), and a page number at the foot."""
    words = _page(rng, page)
    words.append(Word("某某县人民政府", 200, 20, 300, 30, page))
    if rng.random() < 0.5:
        words.append(Word(f"第{page}份", 200, 5, 240, 15, page))  # not repeated: kept, above the header
    words.append(Word(f"- {page} -", 280, 800, 300, 810, page))
    rng.shuffle(words)
    return words


def test_furniture_lines_equal_grouping_the_words_kept() -> None:
    rng = random.Random(9)
    for _ in range(20):
        pages = [(842.0, _with_furniture(rng, n)) for n in range(1, 5)]
        stripped = strip_furniture_lines(pages)
        assert [ws for ws, _ in stripped] == strip_furniture(pages)
        for kept, lines in stripped:
            assert len(kept) < 160 and _shape(lines) == _shape(group_lines(kept))


def test_furniture_line_in_the_middle_is_grouped_again() -> None:
    """Without the page number between them, the word below it joins the line above: the page's first
    grouping less the page number's line would keep them apart."""
    above = Word("总体情况", 50, 0, 120, 20, 1)  # centre 10, tall: reaches the word below
    number = Word("-1-", 280, 13.6, 300, 15.6, 1)  # centre 14.6, flat: a line of its own
    below = Word("一、", 130, 9, 150, 29, 1)  # centre 19: too far from the page number's centre
    words = [above, number, below]
    assert _shape(group_lines(words)) == [[id(above)], [id(number)], [id(below)]]
    ((kept, lines),) = strip_furniture_lines([(842.0, words)])
    assert kept == [above, below]
    assert _shape(lines) == _shape(group_lines(kept)) == [[id(above), id(below)]]


def _reference_lines(words: list[Word]) -> list[list[int]]:
    """`group_lines` as specified, plainly: in (page, centre, x0) order, a word joins the line being built
    when its centre is within `SAME_LINE` of the smaller height (at least `MIN_WORD_HEIGHT`) of the
    line's first word's centre; each line left to right."""
    from gidar.extract.layout.lines import MIN_WORD_HEIGHT, SAME_LINE

    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.page, w.yc, w.x0)):
        if lines and (ref := lines[-1][0]).page == w.page:
            h = max(MIN_WORD_HEIGHT, min(ref.bottom - ref.top, w.bottom - w.top))
            if abs(w.yc - ref.yc) <= SAME_LINE * h:
                lines[-1].append(w)
                continue
        lines.append([w])
    return [[id(w) for w in sorted(ln, key=lambda w: w.x0)] for ln in lines]


def test_group_lines_as_specified() -> None:
    rng = random.Random(10)
    for _ in range(30):
        words = [w for n in (1, 2) for w in _page(rng, n)]
        assert _shape(group_lines(words)) == _reference_lines(words)
