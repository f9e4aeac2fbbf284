"""The reader's own PDFium declarations (`extract.reader.libpdfium`): what the reader calls is
declared, as pypdfium2 declares it; `gidar extract` runs without pypdfium2's bindings; PDFium is
initialised once per process, whichever of the two loads it first."""

from __future__ import annotations

import ast
import ctypes
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from gidar.extract.reader import libpdfium
from gidar.extract.reader.pdfium import PdfiumOpenError, open_pdf

ROOT = Path(__file__).resolve().parents[2]
READER = ROOT / "extract" / "reader" / "pdfium.py"
SAMPLE = ROOT / "samples" / "county-2023.pdf"
BINDINGS = ("pypdfium2", "pypdfium2.raw", "pypdfium2_raw", "pypdfium2_raw.bindings")


def _kind(t: type[ctypes._SimpleCData[Any]] | None) -> str:
    """A C type by what crosses the call: pointer, integer of a size, float of a size, or void."""
    if t is None:
        return "void"
    if issubclass(t, ctypes.c_void_p | ctypes.c_char_p | ctypes._Pointer):  # type: ignore[operator]
        return "pointer"
    if issubclass(t, ctypes.c_float | ctypes.c_double):
        return f"float{ctypes.sizeof(t)}"
    return f"int{ctypes.sizeof(t)}"


def test_every_declaration_matches_pypdfium2s_bindings() -> None:
    import pypdfium2.raw as bindings

    assert len(libpdfium.DECLARED) >= 40
    for name, (restype, argtypes) in libpdfium.DECLARED.items():
        theirs = getattr(bindings, name)
        assert _kind(restype) == _kind(theirs.restype), name
        if argtypes is not None:
            assert [_kind(t) for t in argtypes] == [_kind(t) for t in theirs.argtypes], name
        else:  # bare: only pointers and C ints may be passed undeclared
            assert {_kind(t) for t in theirs.argtypes} <= {"pointer", "int4"}, name


def test_the_reader_calls_only_declared_functions_and_not_pypdfium2() -> None:
    tree = ast.parse(READER.read_text(encoding="utf-8"))
    used = {
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "lib"
    }
    functions = {u for u in used if u.startswith("FPDF")} - {n for n in used if n.isupper()}
    assert functions and functions <= set(libpdfium.DECLARED), functions - set(libpdfium.DECLARED)
    assert all(hasattr(libpdfium, u) for u in used)
    imported = {
        a.name if isinstance(n, ast.Import) else n.module or ""
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in n.names
    }
    assert not any(m.startswith("pypdfium2") for m in imported), imported


def test_a_result_declared_ignored_is_never_read() -> None:
    """Those functions are declared to return nothing (ctypes then skips converting the result):
    the reader calls them as statements only, directly or through a module-level alias."""
    tree = ast.parse(READER.read_text(encoding="utf-8"))
    aliases = {
        t.id: n.value.attr
        for n in tree.body
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Attribute) and isinstance(n.value.value, ast.Name)
        for t in n.targets
        if isinstance(t, ast.Name) and n.value.value.id == "lib"
    }
    as_statements = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    calls = 0
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        name = aliases.get(f.id) if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        if name in libpdfium.IGNORED:
            calls += 1
            assert id(n) in as_statements, f"line {n.lineno}: the result of {name} is read"
    assert libpdfium.IGNORED and calls >= len(libpdfium.IGNORED)


def test_gidar_extract_does_not_import_pypdfium2s_bindings(tmp_path: Path) -> None:
    code = f"""
import sys
from gidar.flows.cli import main
assert main(["extract", {str(SAMPLE)!r}, "--out", {str(tmp_path)!r}, "--workers", "1"]) == 0
from gidar.extract.reader import libpdfium
assert libpdfium.INITIALISED_HERE
print(sorted(m for m in {BINDINGS!r} if m in sys.modules))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "[]"  # (after the command's own lines)


@pytest.mark.parametrize("first", ["reader", "pypdfium2"])
def test_one_pdfium_serves_the_reader_and_pypdfium2_in_either_order(first: str) -> None:
    """PDFium is initialised once: by pypdfium2's import when it comes first (the reader then
    does not), else by the reader; reading and rendering work in both orders."""
    code = f"""
from pathlib import Path
if {first!r} == "pypdfium2":
    import pypdfium2
from gidar.extract.pdf import read_pdf
from gidar.extract.reader import libpdfium
assert libpdfium.INITIALISED_HERE == ({first!r} == "reader")
before = read_pdf(Path({str(SAMPLE)!r}), "pdfium")
import pypdfium2
pdf = pypdfium2.PdfDocument({str(SAMPLE)!r})
image = pdf[0].render(scale=0.5).to_pil()
assert image.width > 100
after = read_pdf(Path({str(SAMPLE)!r}), "pdfium")
assert before.backend == after.backend == "pdfium"
assert [p.words for p in before.pages] == [p.words for p in after.pages] and before.pages[0].words
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_open_failures_say_whether_a_password_is_needed(tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(locked), encrypt=StandardEncryption("user-secret", "owner-secret"))
    c.drawString(72, 720, "locked")
    c.save()
    with pytest.raises(PdfiumOpenError, match="password") as e:
        open_pdf(locked.read_bytes())
    assert e.value.password
    with pytest.raises(PdfiumOpenError) as e:
        open_pdf(b"%PDF-1.7\nnot a PDF at all\n%%EOF\n")
    assert not e.value.password


def test_an_owner_password_only_file_opens(tmp_path: Path) -> None:
    """Viewers open a file with an empty user password; so does the reader."""
    owner = tmp_path / "owner.pdf"
    c = canvas.Canvas(str(owner), encrypt=StandardEncryption("", "owner-secret", canPrint=0))
    c.drawString(72, 720, "readable")
    c.save()
    pdf = open_pdf(owner.read_bytes())
    try:
        assert len(pdf) == 1
    finally:
        pdf.close()


def test_a_horizontal_glyphs_origin_lies_on_its_matrixs_baseline() -> None:
    """What `pdfium._run` relies on instead of asking each text object's origin: for a glyph of
    a page's own text object with an unrotated matrix (b = 0), PDFium's origin y is the matrix's
    f, to the bit."""
    from gidar.extract.reader.libpdfium import handle

    pdf = open_pdf(SAMPLE.read_bytes())
    checked = 0
    try:
        for index in range(len(pdf)):
            page = handle(libpdfium.FPDF_LoadPage(pdf.handle, index))
            top_level = {libpdfium.FPDFPage_GetObject(page, k) for k in range(libpdfium.FPDFPage_CountObjects(page))}
            tp = handle(libpdfium.FPDFText_LoadPage(page))
            m, x, y = libpdfium.FS_MATRIX(), ctypes.c_double(), ctypes.c_double()
            for i in range(libpdfium.FPDFText_CountChars(tp)):
                if libpdfium.FPDFText_GetTextObject(tp, i) not in top_level:
                    continue
                libpdfium.FPDFText_GetMatrix(tp, i, ctypes.byref(m))
                libpdfium.FPDFText_GetCharOrigin(tp, i, ctypes.byref(x), ctypes.byref(y))
                if m.b == 0.0 and m.f != 0.0:
                    assert y.value == m.f, (index, i)
                    checked += 1
            libpdfium.FPDFText_ClosePage(tp)
            libpdfium.FPDF_ClosePage(page)
    finally:
        pdf.close()
    assert checked > 1000
