"""What to ingest: a folder of PDFs, one PDF, or a manifest of URLs/paths.

A manifest is either a CSV with a ``url`` or ``path`` column (other columns are ignored) or a
text file with one URL or path per line (``#`` starts a comment). Relative paths in a
manifest are relative to the manifest's folder, so a manifest can travel with its files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

MANIFEST_SUFFIXES = {".csv", ".txt", ".lst", ".list", ".urls"}


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
    return urlparse(text).scheme in {"http", "https"}


def parse_manifest(text: str, base: Path, *, csv_format: bool) -> list[SourceItem]:
    """Items of a manifest's text; pure, so the parsing is testable without files."""
    if csv_format:
        refs = _csv_refs(text)
    else:
        refs = [ln.strip() for ln in text.splitlines()]
        refs = [r for r in refs if r and not r.startswith("#")]
    return _dedupe(_item(r, base) for r in refs)


def _csv_refs(text: str) -> list[str]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    cols = {c.strip().lower(): c for c in reader.fieldnames or []}
    col = cols.get("url") or cols.get("path")
    if col is None:
        raise ValueError(f"manifest CSV needs a 'url' or 'path' column; it has {list(cols)}")
    return [v.strip() for row in reader if (v := row.get(col) or "").strip()]


def _item(ref: str, base: Path) -> SourceItem:
    if is_url(ref):
        return SourceItem(ref, "url")
    p = Path(ref).expanduser()
    return SourceItem(str((p if p.is_absolute() else base / p).resolve()), "path")


def _dedupe(items: Iterable[SourceItem]) -> list[SourceItem]:
    seen: dict[str, SourceItem] = {}
    for it in items:
        seen.setdefault(it.ref, it)
    return list(seen.values())


def resolve_source(source: str) -> list[SourceItem]:
    """The items of ``source``: a URL, a folder (its ``*.pdf``, recursively), a PDF or a manifest."""
    if is_url(source):
        return [SourceItem(source, "url")]
    p = Path(source).expanduser()
    if p.is_dir():
        pdfs = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() == ".pdf")
        return [SourceItem(str(q.resolve()), "path") for q in pdfs]
    if not p.exists():
        raise FileNotFoundError(f"source {source!r} does not exist")
    if p.suffix.lower() in MANIFEST_SUFFIXES:
        text = p.read_text(encoding="utf-8-sig")
        return parse_manifest(text, p.parent.resolve(), csv_format=p.suffix.lower() == ".csv")
    return [SourceItem(str(p.resolve()), "path")]
