"""Name what a file is from its leading bytes, without ever quoting them.

A message about a file that is not a PDF goes into ``reports.message``, the run summary and the
dashboard. Quoting the file's first bytes there leaks whatever the file holds (a local path in a
manifest pointing at ``/etc/shadow`` once put ``root:*:…`` into the warehouse), so a message
names the kind of file only.
"""

from __future__ import annotations

# (magic at offset 0, kind) — the formats a government website serves instead of a PDF.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (a .docx, .xlsx, .ofd or .zip file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.doc, .xls, .wps)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip file"),
    (b"{\\rtf", "an RTF document"),
    (b"\x7fELF", "an executable (ELF)"),
)
_HTML = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<meta", b"<title")
_TEXT_SHARE = 0.95  # share of printable characters above which a decoded head counts as text


def describe(head: bytes) -> str:
    """What ``head`` (a file's first bytes) looks like, as a phrase: ``"a PNG image"``."""
    if not head.strip():
        return "an empty file"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if low.startswith(b"<?xml"):
        return "an XML document"
    if any(m in low for m in _HTML):
        return "an HTML page"
    if low[:1] in (b"{", b"[") and _is_text(head):
        return "a JSON or other text file"
    if _is_text(head):
        return "a text file"
    return "binary data of an unknown kind"


def _is_text(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):  # Chinese sites serve both
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as e:
            if e.start < len(head) - 4:  # a character cut at the end of the head is fine
                continue
            text = head[: e.start].decode(encoding)
        printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
        return bool(text) and printable >= _TEXT_SHARE * len(text)
    return False
