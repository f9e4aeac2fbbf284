from __future__ import annotations

from pathlib import Path

import pytest

from gidar.flows.sources import SourceItem, parse_manifest, resolve_source


def test_csv_manifest_url_column_ignores_other_columns(tmp_path: Path) -> None:
    text = "\ufeffregion,URL,year\n330922,https://example.gov.cn/a/2023.pdf,2023\n330921, ,2023\n"
    items = parse_manifest(text, tmp_path, csv_format=True)
    assert items == [SourceItem("https://example.gov.cn/a/2023.pdf", "url")]
    assert items[0].name == "2023.pdf"


def test_csv_manifest_path_column_is_relative_to_manifest(tmp_path: Path) -> None:
    items = parse_manifest("path\nsub/x.pdf\n/abs/y.pdf\n", tmp_path, csv_format=True)
    assert items == [
        SourceItem(str((tmp_path / "sub/x.pdf").resolve()), "path"),
        SourceItem("/abs/y.pdf", "path"),
    ]


def test_csv_manifest_without_url_or_path_column_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="url"):
        parse_manifest("id,file\n1,a.pdf\n", tmp_path, csv_format=True)


def test_text_manifest_skips_comments_blanks_and_duplicates(tmp_path: Path) -> None:
    text = "# nightly list\nhttp://h/a.pdf\n\n  http://h/a.pdf  \nlocal.pdf\n"
    items = parse_manifest(text, tmp_path, csv_format=False)
    assert [i.kind for i in items] == ["url", "path"]
    assert items[1].ref == str((tmp_path / "local.pdf").resolve())


def test_folder_source_lists_pdfs_recursively_in_order(tmp_path: Path) -> None:
    for rel in ("b.pdf", "a.PDF", "sub/c.pdf", "notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    names = [Path(i.ref).relative_to(tmp_path).as_posix() for i in resolve_source(str(tmp_path))]
    assert names == ["a.PDF", "b.pdf", "sub/c.pdf"]


def test_manifest_file_and_single_pdf_and_url(tmp_path: Path) -> None:
    (tmp_path / "list.txt").write_text("http://h/x.pdf\n", encoding="utf-8")
    assert resolve_source(str(tmp_path / "list.txt")) == [SourceItem("http://h/x.pdf", "url")]
    (tmp_path / "one.pdf").write_bytes(b"%PDF")
    assert resolve_source(str(tmp_path / "one.pdf"))[0].kind == "path"
    assert resolve_source("https://h/y.pdf") == [SourceItem("https://h/y.pdf", "url")]


def test_missing_source_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        resolve_source(str(tmp_path / "nope"))
