from dataclasses import FrozenInstanceError, fields

import pytest

from gidar.extract.model import Word, page_words


def test_page_words_are_the_dataclass_words() -> None:
    # page_words builds Words without __init__: it must set every field, in order, as __init__ does
    boxes = [("行政许可", 10.5, 20.25, 60.0, 32.0), ("1,234", -0.0, 1e-9, 3.0, 4.0)]
    made = page_words(boxes, 3)
    want = [Word(t, x0, top, x1, bottom, 3) for t, x0, top, x1, bottom in boxes]
    assert made == want
    for a, b in zip(made, want, strict=True):
        assert list(vars(a).items()) == list(vars(b).items())
        assert [f.name for f in fields(Word)] == list(vars(a))
        assert hash(a) == hash(b) and repr(a) == repr(b)
    with pytest.raises(FrozenInstanceError):
        made[0].x0 = 1.0  # type: ignore[misc]
