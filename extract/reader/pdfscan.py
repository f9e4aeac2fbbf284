"""A small reader of a PDF's objects, for the few dictionaries PDFium does not expose (fonts').

It finds each ``N G obj`` in the bytes and the objects of Flate-compressed object streams, and
parses an object's value up to its stream, if any. It is not a PDF parser: it follows no xref
table, so a file it cannot read for certain (encrypted, an object defined twice, an object
stream it cannot decode) raises `Unsure`, and the caller reads that file by other means.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple

# (not from within a number: a search through the xref table's rows of digits would try each)
_OBJ = re.compile(rb"(?<![0-9])(\d+)\s+(\d+)\s+obj\b")
_STREAM = re.compile(rb"stream\r?\n")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_TOKEN = re.compile(
    rb"""(?:\s|%[^\r\n]*)*(?:
      (?P<dict><<)|(?P<end>>>)|(?P<array>\[)|(?P<close>\])
     |/(?P<name>[^\s/\[\]<>()%{}]*)
     |(?P<ref>(?P<num_>\d+)\s+\d+\s+R)(?![A-Za-z0-9])
     |(?P<num>[-+]?(?:\d+\.?\d*|\.\d+))
     |<(?P<hex>[0-9A-Fa-f\s]*)>
     |(?P<string>\()
     |(?P<word>[A-Za-z]+)
    )""",
    re.X,
)
# An array of numbers only (one level of nesting: a CID font's /W widths, thousands of them): no
# fact the scan is asked for is in one, so it is stepped over whole and read as empty.
_NUMBERS = re.compile(rb"[\s\d.+\-]*(?:\[[\s\d.+\-]*\][\s\d.+\-]*)*\]")  # (unrolled: runs of a class are fast)
_MAX_DEPTH = 32  # nesting deeper than this is no font dictionary
# An object stream holds a few hundred small objects; one inflating to more than this is a
# compression bomb, left to the caller's other means (which have their own limits).
_MAX_OBJECT_STREAM = 32 * 2**20


class Unsure(Exception):
    """The scan cannot read this file for certain."""


class Ref(NamedTuple):
    num: int


class Name(bytes):
    """A PDF name, its #xx escapes decoded (a bytes value is a string)."""


class _Parser:
    def __init__(self, text: bytes) -> None:
        self.text = text
        self.pos = 0

    def value(self, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise Unsure("nesting too deep")
        m = _TOKEN.match(self.text, self.pos)
        if m is None:
            raise Unsure("a token the scan does not know")
        self.pos = m.end()
        kind = m.lastgroup
        if kind == "dict":
            out: dict[Name, Any] = {}
            while True:
                key = self.value(depth + 1)
                if key is _END:
                    return out
                if not isinstance(key, Name):
                    raise Unsure("a dictionary key that is not a name")
                val = self.value(depth + 1)
                if val is _END or val is _CLOSE:
                    raise Unsure("a dictionary cut short")
                out[key] = val
        if kind == "array":
            numbers = _NUMBERS.match(self.text, self.pos)
            if numbers is not None:
                self.pos = numbers.end()
                return []
            items = []
            while (v := self.value(depth + 1)) is not _CLOSE:
                if v is _END:
                    raise Unsure("an array cut short")
                items.append(v)
            return items
        if kind == "end":
            return _END
        if kind == "close":
            return _CLOSE
        if kind == "name":
            return Name(_HEX.sub(lambda h: bytes([int(h.group(1), 16)]), m.group("name")))
        if kind == "ref":
            return Ref(int(m.group("num_")))
        if kind == "num":
            text = m.group("num")
            return float(text) if b"." in text else int(text)
        if kind == "hex":
            return bytes.fromhex(m.group("hex").decode("ascii"))
        if kind == "string":
            return self._string()
        word = m.group("word")
        if word in (b"true", b"false", b"null"):
            return {b"true": True, b"false": False, b"null": None}[word]
        raise Unsure(f"{word[:20]!r} where a value was expected")

    def _string(self) -> bytes:
        """A literal string's raw bytes (only its extent matters here: nesting and escapes)."""
        depth, i, text = 1, self.pos, self.text
        while i < len(text):
            c = text[i]
            if c == 0x5C:  # backslash: the next byte is escaped
                i += 2
                continue
            if c == 0x28:
                depth += 1
            elif c == 0x29:
                depth -= 1
                if depth == 0:
                    out = text[self.pos : i]
                    self.pos = i + 1
                    return out
            i += 1
        raise Unsure("a string cut short")


_END, _CLOSE = object(), object()


def parse(text: bytes) -> Any:
    """The value at the start of an object's text (a dictionary, array, number ...)."""
    return _Parser(text).value()


def objects(data: bytes) -> dict[int, bytes]:
    """Object number → the object's text (up to ``stream``), for the plain objects of the file and
    those of its Flate-compressed object streams."""
    if b"/Encrypt" in data:
        raise Unsure("an encrypted file")
    out: dict[int, bytes] = {}

    def put(num: int, body: bytes) -> None:
        if out.setdefault(num, body) != body:
            raise Unsure(f"object {num} is defined twice (an incremental update)")

    pos = 0
    while (m := _OBJ.search(data, pos)) is not None:
        end = data.find(b"endobj", m.end())
        end = len(data) if end < 0 else end
        stream = data.find(b"stream", m.end(), end)
        head = data[m.end() : stream if stream >= 0 else end]
        if b"/ObjStm" in head:
            _object_stream(data, m.end(), parse(head), put)
        else:
            put(int(m.group(1)), head)
        pos = end
    return out


def _object_stream(data: bytes, start: int, head: Any, put: Callable[[int, bytes], None]) -> None:
    if not isinstance(head, dict) or head.get(Name(b"Type")) != b"ObjStm":
        raise Unsure("an object stream the scan cannot read")
    filters = head.get(Name(b"Filter"))
    n, first = head.get(Name(b"N")), head.get(Name(b"First"))
    if filters not in (b"FlateDecode", [b"FlateDecode"]) or Name(b"DecodeParms") in head:
        raise Unsure("an object stream not plainly Flate-compressed")
    if not isinstance(n, int) or not isinstance(first, int):
        raise Unsure("an object stream without a plain count")
    s = _STREAM.search(data, start)
    if s is None:
        raise Unsure("an object stream without its stream")
    inflate = zlib.decompressobj()
    try:
        content = inflate.decompress(memoryview(data)[s.end() :], _MAX_OBJECT_STREAM)
    except zlib.error as e:
        raise Unsure(f"object stream: {e}") from None
    if inflate.unconsumed_tail:
        raise Unsure("an object stream inflating past the limit")
    try:
        nums = [int(x) for x in content[:first].split()]
    except ValueError:
        raise Unsure("an object stream's header is not numbers") from None
    if len(nums) != 2 * n:
        raise Unsure("an object stream's header does not match its count")
    offsets = [first + o for o in nums[1::2]] + [len(content)]
    for k, num in enumerate(nums[::2]):
        put(num, content[offsets[k] : offsets[k + 1]])
