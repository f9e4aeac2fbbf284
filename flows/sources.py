"""What to ingest: a folder of PDFs, one PDF, or a manifest of URLs/paths.

A manifest is either a CSV with a ``url`` or ``path`` column (other columns are ignored) or a
text file with one URL or path per line (``#`` starts a comment). Relative paths in a
manifest are relative to the manifest's folder, so a manifest can travel with its files.

A manifest that cannot be read as one (not a regular file, binary, a field over the CSV limit,
an entry no URL or path is that long, an invalid URL) raises `ManifestError`, a `ValueError`
with a one-line message naming the line: the CLI reports it as a usage error (exit 2) before
anything runs. Items themselves are not checked here: a path that is a FIFO or a device gets its
status when it is fetched (flows.download).
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

MANIFEST_SUFFIXES = {".csv", ".txt", ".lst", ".list", ".urls"}
# A million URLs is about 100 MB: larger than any real manifest, small enough to read at once.
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
# Longer than any URL a browser or server accepts (8 KB) and than PATH_MAX (4 KB).
MAX_REF_CHARS = 8192
# Manifests saved by Excel on a Chinese Windows are GB18030 (GBK), not UTF-8.
_ENCODINGS = ("utf-8-sig", "gb18030")


class ManifestError(ValueError):
    """A manifest that cannot be read; the message is one line and names the manifest."""


@dataclass(frozen=True)
class SourceItem:
    ref: str  # the URL or the absolute local path, as the user named it
    kind: Literal["url", "path"]

    @property
    def name(self) -> str:
        """A file name for messages and the status table."""
        if self.kind == "path":
            return Path(self.ref).name
        return Path(unquote(urlparse(self.ref).path)).name or urlparse(self.ref).netloc


def is_url(text: str) -> bool:
    try:
        return urlparse(text).scheme in {"http", "https"}
    except ValueError:  # "http://[::1" and the like: not a URL we can use
        return text.lower().startswith(("http://", "https://"))


def parse_manifest(text: str, base: Path, *, csv_format: bool) -> list[SourceItem]:
    """Items of a manifest's text; pure, so the parsing is testable without files."""
    if "\x00" in text:
        raise ManifestError("the manifest is a binary file (it contains NUL bytes), not a list of URLs or paths")
    if csv_format:
        refs = _csv_refs(text)
    else:
        refs = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1)]
        refs = [(n, r) for n, r in refs if r and not r.startswith("#")]
    return _dedupe(_item(ref, base, f"line {line}: ") for line, ref in refs)


def _csv_refs(text: str) -> list[tuple[int, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        cols = {c.strip().lower(): c for c in reader.fieldnames or []}
        col = cols.get("url") or cols.get("path")
        if col is None:
            raise ManifestError(f"manifest CSV needs a 'url' or 'path' column; it has {_clip(list(cols))}")
        return [(reader.line_num, v.strip()) for row in reader if (v := row.get(col) or "").strip()]
    except csv.Error as e:  # e.g. "field larger than field limit (131072)"
        raise ManifestError(f"line {reader.line_num}: not a valid CSV manifest ({e})") from None


def _item(ref: str, base: Path, where: str = "") -> SourceItem:
    if len(ref) > MAX_REF_CHARS:
        raise ManifestError(f"{where}an entry of {len(ref)} characters is neither a URL nor a path")
    if is_url(ref):
        try:
            parsed = urlparse(ref)
            parsed.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError as e:
            raise ManifestError(f"{where}invalid URL ({e})") from None
        if not parsed.hostname:
            raise ManifestError(f"{where}invalid URL (no host)")
        return SourceItem(ref, "url")
    try:
        p = Path(ref).expanduser()
        return SourceItem(str((p if p.is_absolute() else base / p).resolve()), "path")
    except (ValueError, RuntimeError, OSError) as e:  # embedded NUL, ~user unknown, symlink loop
        raise ManifestError(f"{where}invalid path ({e})") from None


def _dedupe(items: Iterable[SourceItem]) -> list[SourceItem]:
    seen: dict[str, SourceItem] = {}
    for it in items:
        seen.setdefault(it.ref, it)
    return list(seen.values())


def _clip(value: object, n: int = 120) -> str:
    s = str(value)
    return s if len(s) <= n else s[: n - 1] + "…"


def read_manifest(path: Path) -> list[SourceItem]:
    """The items of the manifest file at ``path``; raises `ManifestError`."""
    try:
        return _read_manifest(path)
    except ManifestError as e:
        raise ManifestError(f"manifest {path}: {e}") from None


def _read_manifest(path: Path) -> list[SourceItem]:
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read, a device never end it
        raise ManifestError("not a regular file")
    if st.st_size > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{st.st_size} bytes is larger than the limit of {MAX_MANIFEST_BYTES} for a manifest")
    data = path.read_bytes()[: MAX_MANIFEST_BYTES + 1]
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ManifestError("not a text file (neither UTF-8 nor GB18030)")
    return parse_manifest(text, path.parent.resolve(), csv_format=path.suffix.lower() == ".csv")


def resolve_source(source: str) -> list[SourceItem]:
    """The items of ``source``: a URL, a folder (its ``*.pdf``, recursively), a PDF or a manifest.

    In a folder, every entry named ``*.pdf`` that is not a folder is an item, FIFOs and devices
    included: they get a status (download_failed) instead of disappearing silently.
    """
    if is_url(source):
        return [_item(source, Path.cwd())]
    p = Path(source).expanduser()
    if p.is_dir():
        pdfs = sorted(q for q in p.rglob("*") if q.suffix.lower() == ".pdf" and not q.is_dir())
        return [SourceItem(str(q.resolve()), "path") for q in pdfs]
    if not p.exists():
        raise FileNotFoundError(f"source {source!r} does not exist")
    if p.suffix.lower() in MANIFEST_SUFFIXES:
        return read_manifest(p)
    return [SourceItem(str(p.resolve()), "path")]
