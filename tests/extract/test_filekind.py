"""A non-PDF is described by its kind, never by its bytes (a manifest pointing at
/etc/shadow once put ``root:*:…`` into reports.message)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gidar.extract.api import extract_file
from gidar.extract.filekind import describe

SECRET = b"root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "an old Office file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"  <!DOCTYPE html><html>", "an HTML page"),
        (b"\xef\xbb\xbf<?xml version='1.0'?><ofd/>", "an XML document"),
        (b'{"error": "not found"}', "a JSON or other text file"),
        (SECRET, "a text file"),
        ("政府信息公开工作年度报告（文字版）".encode("gb18030"), "a text file"),
        ("政府信息公开工作年度报告".encode() + b"\xe5\xb9", "a text file"),  # a character cut at the end
        (bytes(range(256)), "binary data"),
        (b" \n\t", "an empty file"),
    ],
)
def test_kinds(head: bytes, kind: str) -> None:
    assert describe(head).startswith(kind)


def test_kind_phrases_never_quote_the_bytes() -> None:
    for head in (SECRET, b"PK\x03\x04secret", bytes(range(256)), b"<html>secret</html>"):
        assert "secret" not in describe(head) and "root" not in describe(head)


def test_local_secret_reaches_no_message(tmp_path: Path) -> None:
    p = tmp_path / "shadow.pdf"
    p.write_bytes(SECRET)
    r = extract_file(p)
    assert r.status == "not_pdf" and r.message.endswith("the file is a text file")
    assert "root" not in r.message and "daemon" not in r.message
