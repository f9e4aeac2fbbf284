from __future__ import annotations

import os
from pathlib import Path

import pytest

from gidar.flows.cli import EXIT_USAGE, main
from gidar.flows.sources import ManifestError, SourceItem, parse_manifest, resolve_source


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


# --- malformed manifests: one line, never a traceback ---------------------------------------------


def test_csv_field_over_the_csv_limit_is_a_manifest_error(tmp_path: Path) -> None:
    text = "url\nhttp://h/a.pdf\n" + "x" * (129 * 1024) + "\n"
    with pytest.raises(ManifestError, match=r"line \d+: not a valid CSV manifest \(field larger than") as e:
        parse_manifest(text, tmp_path, csv_format=True)
    assert "\n" not in str(e.value) and len(str(e.value)) < 200


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("http://h/a.pdf\nhttp://[::1/b.pdf\n", "line 2: invalid URL"),
        ("http://h:99999/a.pdf\n", "line 1: invalid URL"),
        ("http:///a.pdf\n", "line 1: invalid URL"),
        ("ok.pdf\nbad\x00.pdf\n", "binary file"),
        ("ok.pdf\n" + "a" * 10_000 + "\n", "line 2: an entry of 10000 characters"),
    ],
)
def test_malformed_text_manifest_names_the_line(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ManifestError, match=match):
        parse_manifest(text, tmp_path, csv_format=False)


def test_gb18030_manifest_from_excel_is_read(tmp_path: Path) -> None:
    m = tmp_path / "清单.csv"
    m.write_bytes("地区,path\n330922,报告/2023年报.pdf\n".encode("gb18030"))
    assert resolve_source(str(m)) == [SourceItem(str((tmp_path / "报告/2023年报.pdf").resolve()), "path")]


def test_binary_file_named_like_a_manifest_is_refused(tmp_path: Path) -> None:
    m = tmp_path / "list.txt"
    m.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ManifestError, match=f"manifest {m}: "):
        resolve_source(str(m))


def test_fifo_manifest_is_refused_without_blocking(tmp_path: Path) -> None:
    m = tmp_path / "list.txt"
    os.mkfifo(m)  # reading it would wait for a writer for ever
    with pytest.raises(ManifestError, match="not a regular file"):
        resolve_source(str(m))


def test_folder_lists_special_files_named_pdf_so_they_get_a_status(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    os.mkfifo(tmp_path / "b.pdf")
    (tmp_path / "c.pdf").symlink_to("/dev/zero")
    (tmp_path / "d.pdf").mkdir()  # a folder named like a PDF is searched, not listed
    refs = [Path(i.ref) for i in resolve_source(str(tmp_path))]
    assert refs == [(tmp_path / "a.pdf").resolve(), (tmp_path / "b.pdf").resolve(), Path("/dev/zero")]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("url\n" + "x" * (129 * 1024) + "\n", "field larger than field limit"),
        ("id,file\n1,a.pdf\n", "needs a 'url' or 'path' column"),
    ],
)
def test_cli_reports_a_malformed_manifest_in_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, match: str
) -> None:
    m = tmp_path / "m.csv"
    m.write_text(content, encoding="utf-8")
    code = main(["ingest", str(m), "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and match in err
    assert err.count("\n") == 1 and "Traceback" not in err
