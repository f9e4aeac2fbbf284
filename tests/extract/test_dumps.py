"""`api._encode`, the C encoder built once, writes what ``JSONEncoder(ensure_ascii=False).encode`` writes."""

from __future__ import annotations

import json

import pytest

from gidar.extract.api import _encode, dumps

VALUES = [
    {"key": "t3.a.b", "value": 1.5, "raw": "1,5", "page": 2, "bbox": [0.0, -0.0, 1e-9, 1e300], "flags": []},
    {"text": "行政许可\u3000“引号”\n\t\\ \x00 \ud83d\ude00 𬒗", "conf": None, "ok": True, "no": False},
    [float("nan"), float("inf"), -float("inf"), 10**30, -7, 0.1 + 0.2],
    "plain",
    3.0,
    None,
    {},
    [],
    {"nested": {"a": [{"b": [1, {"c": "d"}]}]}},
]


@pytest.mark.parametrize("value", VALUES)
def test_encode_is_jsonencoder_encode(value: object) -> None:
    assert _encode(value) == json.JSONEncoder(ensure_ascii=False).encode(value)


def test_encode_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError):
        _encode({"x": object()})


def test_dumps_reads_back() -> None:
    d = {"source": "a.pdf", "cells": VALUES[:2], "violations": [], "seconds": 0.25}
    assert json.loads(dumps(d))["cells"][1]["text"] == VALUES[1]["text"]  # type: ignore[index]
