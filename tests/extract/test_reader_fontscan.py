"""The font-descriptor scan (`fontmetrics.scan_descents`, `pdfscan`) gives pdfminer's descents.

The PDFium backend takes a glyph box's depth below the baseline from the font descriptor; the
scan reads the descriptors without pdfminer, and must agree with pdfminer's parser wherever it
answers at all (where it is unsure, pdfminer is asked instead).
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from gidar.extract.reader import pdfscan
from gidar.extract.reader.fontmetrics import STANDARD_DESCENTS, parsed_descents, scan_descents

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [p for p in sorted((ROOT / "samples").glob("*.pdf")) if p.read_bytes().startswith(b"%PDF")]


def _pdfs(*folders: Path) -> list[Path]:
    return [p for f in folders for p in sorted(f.glob("*.pdf"))]


def _agrees(data: bytes) -> dict[str, float]:
    scanned = scan_descents(data)
    assert scanned is not None
    parsed = parsed_descents(data)
    # the scan may know more fonts (used by no page); those pdfminer knows must match
    assert {k: scanned.get(k) for k in parsed} == parsed
    return scanned


def test_standard_fonts_have_pdfminers_metrics() -> None:
    from pdfminer.fontmetrics import FONT_METRICS

    want = {name: -abs(float(m[0].get("Descent", 0) or 0)) / 1000 for name, m in FONT_METRICS.items()}  # type: ignore[arg-type]
    assert want == STANDARD_DESCENTS


@pytest.mark.parametrize("pdf", SAMPLES, ids=lambda p: p.name)
def test_scan_agrees_with_pdfminer_on_the_samples(pdf: Path) -> None:
    assert _agrees(pdf.read_bytes())


def test_scan_agrees_with_pdfminer_on_the_shared_pdfs(corpus_dir: Path, real_dir: Path) -> None:
    pdfs = _pdfs(corpus_dir, real_dir)
    assert pdfs
    for pdf in pdfs:
        _agrees(pdf.read_bytes())


def _with_object_stream(data: bytes) -> bytes:
    """The file with its font objects moved into one Flate-compressed object stream (a PDF 1.5
    writer's layout). Its xref is left out: pdfminer and PDFium rebuild it by scanning."""
    objs = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)\s*endobj", data, re.S)}
    fonts = {n: b for n, b in objs.items() if b"/BaseFont" in b and b"stream" not in b}
    assert fonts
    header = b" ".join(b"%d %d" % (n, off) for n, off in zip(fonts, _offsets(fonts.values()), strict=True))
    body = b"\n".join(fonts.values())
    packed = zlib.compress(header + b"\n" + body)
    stm = max(objs) + 1
    out = bytearray(b"%PDF-1.5\n")
    for n, b in objs.items():
        if n not in fonts:
            out += b"%d 0 obj\n%s\nendobj\n" % (n, b)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        stm,
        len(fonts),
        len(header) + 1,
        len(packed),
    )
    out += packed + b"\nendstream\nendobj\n"
    root = re.search(rb"/Root (\d+) 0 R", data)
    assert root is not None
    out += b"trailer\n<< /Size %d /Root %s 0 R >>\nstartxref\n0\n%%%%EOF\n" % (stm + 1, root.group(1))
    return bytes(out)


def _offsets(bodies: object) -> list[int]:
    out, pos = [], 0
    for b in bodies:  # type: ignore[attr-defined]
        out.append(pos)
        pos += len(b) + 1
    return out


def test_fonts_in_an_object_stream_are_read() -> None:
    import pypdfium2 as pdfium

    data = (ROOT / "samples" / "county-2023.pdf").read_bytes()
    packed = _with_object_stream(data)
    assert pdfium.PdfDocument(packed)[0].get_textpage().count_chars() > 0  # a file readers open
    assert b"/FontDescriptor" not in packed.split(b"/ObjStm")[0]
    assert _agrees(packed) == scan_descents(data)


@pytest.mark.parametrize(
    ("packed", "pattern", "repl"),
    [
        (True, rb"trailer\n<<", b"trailer\n<< /Encrypt 99 0 R"),  # encrypted: strings and streams unreadable
        (True, rb"(/ObjStm /N \d+ /First \d+ /Filter )/FlateDecode", rb"\1/LZWDecode"),  # a filter it lacks
        (True, rb"\n1 0 obj", b"\n4 0 obj\n<< >>\nendobj\n1 0 obj"),  # an object updated: which is current?
        (False, rb"/BaseFont /Helvetica", b"/BaseFont 99 0 R"),  # a name by reference
    ],
)
def test_what_the_scan_cannot_read_goes_to_pdfminer(packed: bool, pattern: bytes, repl: bytes) -> None:
    data = (ROOT / "samples" / "county-2023.pdf").read_bytes()
    data = _with_object_stream(data) if packed else data
    changed = re.sub(pattern, repl, data, count=1)
    assert changed != data
    assert scan_descents(changed) is None


def test_a_name_with_two_descents_goes_to_pdfminer() -> None:
    data = (ROOT / "samples" / "county-2023.pdf").read_bytes()
    twin = b"97 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FontDescriptor 96 0 R >>\nendobj\n"
    twin += b"96 0 obj\n<< /Type /FontDescriptor /Descent -500 >>\nendobj\n"
    assert scan_descents(data.replace(b"trailer", twin + b"trailer", 1)) is None


def test_parse_reads_pdf_values() -> None:
    v = pdfscan.parse(b"<< /W [1 [2 3.5] -.5] /B << /C true /D null >> /E -2 >>")
    assert v == {b"W": [], b"B": {b"C": True, b"D": None}, b"E": -2}  # an array of numbers is stepped over
    v = pdfscan.parse(b"[(a (b) \\) c) <4142 43> /N#20x 3 0 R 7]")
    assert v == [b"a (b) \\) c", b"ABC", b"N x", pdfscan.Ref(3), 7]
    with pytest.raises(pdfscan.Unsure):
        pdfscan.parse(b"<< /A (cut")


def test_an_object_stream_inflating_past_the_limit_is_not_read() -> None:
    bomb = zlib.compress(b" " * (33 * 2**20), 9)  # 33 MiB of blanks in a few kilobytes
    data = b"%PDF-1.5\n1 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\n"
    data += bomb + b"\nendstream\nendobj\n"
    with pytest.raises(pdfscan.Unsure, match="limit"):
        pdfscan.objects(data)
    assert scan_descents(data) is None


def test_objects_are_found_by_their_headers_only() -> None:
    """An object header starts at a number's first digit: the xref table's rows of digits hold
    none; an object right after another's ``endobj`` is found; a stream's bytes are not read."""
    data = (
        b"%PDF-1.7\n1 0 obj\n<< /Length 9 >>\nstream\n2 0 obj\nendstream\nendobj"
        b"12 0 obj\n[1 [2 3] 4]\nendobj\n"
        b"xref\n0 13\n0000000000 65535 f \n0000000009 00000 n \n0000000071 00000 n \n"
        b"trailer\n<< /Size 13 >>\nstartxref\n0\n%%EOF\n"
    )
    assert pdfscan.objects(data) == {1: b"\n<< /Length 9 >>\n", 12: b"\n[1 [2 3] 4]\n"}
    assert pdfscan.parse(b"[1 [2 3] 4 [5]]") == []  # numbers only: stepped over
    assert pdfscan.parse(b"[1 [2 /A] 4]") == [1, [2, b"A"], 4]
