"""PDFium's C library for the reader: the file pypdfium2 ships, loaded with ctypes, with only the
functions the reader calls declared.

pypdfium2's bindings (``pypdfium2.raw``) declare the whole PDFium API when imported: ~40 ms, a
few reports' worth of reading, at the start of every `gidar extract` process. The reader calls
about forty functions; they are declared here. pypdfium2 stays the dependency that ships the
library, and the API of the code that renders pages (OCR, dashboard crops): both load the same
file, which the dynamic loader maps once, so a process has one PDFium whichever loads it first.

Two declaration styles (see `declare`): argument types given, for functions taking a float or a
pointer held as a Python int; none, for the per-glyph calls, whose arguments are ctypes objects
and C ints that ctypes passes without a Python-level conversion.

A ctypes call costs ~3,000 machine instructions whatever PDFium does in it, and the reader makes
~12,000 a report: handles (`handle`) and buffers go as ``byref`` objects, the cheapest argument
ctypes knows, and a result nobody reads is not converted (`declare`'s ``ignored``).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from typing import TYPE_CHECKING, Any

_PACKAGE = "pypdfium2_raw"  # the pypdfium2 wheel's package holding the library and its bindings

if sys.platform.startswith(("win32", "cygwin", "msys")):
    _FILE = "pdfium.dll"
elif sys.platform.startswith(("darwin", "ios")):
    _FILE = "libpdfium.dylib"
else:
    _FILE = "libpdfium.so"


def library_path() -> str:
    """The library inside pypdfium2's wheel, found without importing its bindings."""
    spec = importlib.util.find_spec(_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = os.path.join(folder, _FILE)
        if os.path.exists(path):
            return os.path.realpath(path)  # as pypdfium2 resolves it: one file, one mapping
    raise ImportError(f"PDFium library {_FILE} not found in {_PACKAGE} (is pypdfium2 installed?)")


LIBRARY = ctypes.CDLL(library_path())


class _Opaque(ctypes.Structure):
    """What a PDFium handle points at: never read, only its address crosses a call."""


if TYPE_CHECKING:
    from ctypes import _CArgObject as Handle
else:
    Handle = type(ctypes.byref(ctypes.c_int()))  # what `handle` makes


def handle(address: int) -> Handle:
    """A PDFium handle (document, page, text page, page object, path segment), from the address
    a call returned, as an argument to pass back: a ``byref`` object goes to C as the pointer it
    holds, where a ``c_void_p`` costs ctypes a look-up of its type code (a tenth of a call) and
    a ``pointer`` a new argument object, at every call."""
    return ctypes.byref(_Opaque.from_address(address))


class FS_MATRIX(ctypes.Structure):  # PDFium's names
    _fields_ = [(k, ctypes.c_float) for k in "abcdef"]


class FS_RECTF(ctypes.Structure):
    _fields_ = [(k, ctypes.c_float) for k in ("left", "top", "right", "bottom")]


class _LibraryConfig(ctypes.Structure):
    """FPDF_LIBRARY_CONFIG, version 2: the fields PDFium reads for that version."""

    _fields_ = [
        ("version", ctypes.c_int),
        ("m_pUserFontPaths", ctypes.c_void_p),
        ("m_pIsolate", ctypes.c_void_p),
        ("m_v8EmbedderSlot", ctypes.c_uint),
    ]


# name → (result type, argument types or None when declared bare): what the test checks
# against pypdfium2's generated bindings
DECLARED: dict[str, tuple[Any, tuple[Any, ...] | None]] = {}
IGNORED: set[str] = set()  # declared to return nothing: their result is never read


def declare(name: str, restype: Any, *argtypes: Any, bare: bool = False, ignored: bool = False) -> Any:
    """PDFium's function ``name``. ``bare``: no argument types, so ctypes passes ctypes objects
    and Python ints (as C int) itself, where declared types cost a Python-level conversion per
    argument (a third to half of a call; the glyph loop makes ~100,000 calls a report). Only for
    functions whose arguments are pointers, passed as ctypes objects, and C ints: never a float
    (Python's goes as a double) nor a pointer held as a Python int (it would go as a C int).
    ``ignored``: the reader never reads the result (a success flag, always true for the indices
    it passes), so the call returns None instead of converting it: an integer result comes back
    in a register, which the caller of a C function may leave unread on every platform."""
    DECLARED[name] = (restype, None if bare else argtypes)
    if ignored:
        IGNORED.add(name)
    result = None if ignored else restype
    proto = ctypes.CFUNCTYPE(result) if bare else ctypes.CFUNCTYPE(result, *argtypes)
    return proto((name, LIBRARY))


_vp, _int, _uint, _float, _double = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_float, ctypes.c_double
_float_p = ctypes.POINTER(ctypes.c_float)

# functions returning a handle give its address (an int, None for none): see `handle`
# the library and documents
FPDF_InitLibraryWithConfig = declare("FPDF_InitLibraryWithConfig", None, ctypes.POINTER(_LibraryConfig))
FPDF_LoadMemDocument64 = declare("FPDF_LoadMemDocument64", _vp, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p)
FPDF_GetLastError = declare("FPDF_GetLastError", ctypes.c_ulong)
FPDF_GetPageCount = declare("FPDF_GetPageCount", _int, bare=True)
FPDF_CloseDocument = declare("FPDF_CloseDocument", None, bare=True)
# pages
FPDF_LoadPage = declare("FPDF_LoadPage", _vp, bare=True)
FPDF_ClosePage = declare("FPDF_ClosePage", None, bare=True)
FPDFPage_GetRotation = declare("FPDFPage_GetRotation", _int, bare=True)
FPDFPage_GetMediaBox = declare("FPDFPage_GetMediaBox", _int, bare=True)
FPDF_GetPageBoundingBox = declare("FPDF_GetPageBoundingBox", _int, bare=True)
FPDFPage_CountObjects = declare("FPDFPage_CountObjects", _int, bare=True)
# an int, to compare with the text objects' addresses: only the other objects are made `Handle`s
FPDFPage_GetObject = declare("FPDFPage_GetObject", _vp, bare=True)
# text pages, called with the text page and C ints
FPDFText_LoadPage = declare("FPDFText_LoadPage", _vp, bare=True)
FPDFText_ClosePage = declare("FPDFText_ClosePage", None, bare=True)
FPDFText_CountChars = declare("FPDFText_CountChars", _int, bare=True)
FPDFText_GetText = declare("FPDFText_GetText", _int, bare=True)
FPDFText_GetCharBox = declare("FPDFText_GetCharBox", _int, bare=True, ignored=True)
FPDFText_GetTextObject = declare("FPDFText_GetTextObject", _vp, bare=True)  # an int: a key per text object
FPDFText_GetUnicode = declare("FPDFText_GetUnicode", _uint, bare=True)
FPDFText_HasUnicodeMapError = declare("FPDFText_HasUnicodeMapError", _int, bare=True)
FPDFText_IsGenerated = declare("FPDFText_IsGenerated", _int, bare=True)
FPDFText_GetLooseCharBox = declare("FPDFText_GetLooseCharBox", _int, bare=True, ignored=True)
FPDFText_GetMatrix = declare("FPDFText_GetMatrix", _int, bare=True, ignored=True)
FPDFText_GetFontSize = declare("FPDFText_GetFontSize", _double, bare=True)
FPDFText_GetCharOrigin = declare("FPDFText_GetCharOrigin", _int, bare=True, ignored=True)
# text objects and fonts, held as ints, some with a float argument: declared
FPDFTextObj_GetFont = declare("FPDFTextObj_GetFont", _vp, _vp)
FPDFFont_GetBaseFontName = declare("FPDFFont_GetBaseFontName", ctypes.c_size_t, _vp, ctypes.c_char_p, ctypes.c_size_t)
FPDFFont_GetDescent = declare("FPDFFont_GetDescent", _int, _vp, _float, _float_p)
FPDFFont_GetGlyphWidth = declare("FPDFFont_GetGlyphWidth", _int, _vp, ctypes.c_uint32, _float, _float_p)
# page objects and paths, called with `Handle`s
FPDFPageObj_GetType = declare("FPDFPageObj_GetType", _int, bare=True)
FPDFPageObj_GetBounds = declare("FPDFPageObj_GetBounds", _int, bare=True)
FPDFPageObj_GetMatrix = declare("FPDFPageObj_GetMatrix", _int, bare=True)
FPDFPath_GetDrawMode = declare("FPDFPath_GetDrawMode", _int, bare=True)
FPDFPath_CountSegments = declare("FPDFPath_CountSegments", _int, bare=True)
FPDFPath_GetPathSegment = declare("FPDFPath_GetPathSegment", _vp, bare=True)
FPDFPathSegment_GetType = declare("FPDFPathSegment_GetType", _int, bare=True)
FPDFPathSegment_GetPoint = declare("FPDFPathSegment_GetPoint", _int, bare=True, ignored=True)
FPDFPathSegment_GetClose = declare("FPDFPathSegment_GetClose", _int, bare=True)
FPDFFormObj_CountObjects = declare("FPDFFormObj_CountObjects", _int, bare=True)
# its index is an unsigned long: declared (a Python int would go as a C int); the form as an address
FPDFFormObj_GetObject = declare("FPDFFormObj_GetObject", _vp, _vp, ctypes.c_ulong)

# constants of PDFium's headers (fpdfview.h, fpdf_edit.h)
FPDF_ERR_PASSWORD = 4
FPDF_FILLMODE_NONE = 0
FPDF_PAGEOBJ_PATH = 2
FPDF_PAGEOBJ_FORM = 5
FPDF_SEGMENT_BEZIERTO = 1
FPDF_SEGMENT_MOVETO = 2
ERRORS = {  # FPDF_GetLastError's codes, in pypdfium2's words
    0: "Success",
    1: "Unknown error",
    2: "File access error",
    3: "Data format error",
    4: "Incorrect password error",
    5: "Unsupported security scheme error",
    6: "Page not found or content error",
}


def _initialise() -> bool:
    """Initialise PDFium once per process, as pypdfium2 does at its import (the same config).
    When pypdfium2 was imported first it has done so: nothing to do. When it is imported later,
    its call finds the library initialised and returns (PDFium keeps the flag)."""
    if "pypdfium2._library_scope" in sys.modules:
        return False
    FPDF_InitLibraryWithConfig(ctypes.byref(_LibraryConfig(version=2)))
    return True


INITIALISED_HERE = _initialise()  # for the test of exactly-once initialisation
