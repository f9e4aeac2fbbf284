"""Hostile inputs, generated in a few lines each: what an attacker or an unlucky website serves.

Each maker writes one file (or special file) and returns its path; sizes are small on disk and
costly to read naively. Used by the hostile-input tests (tests/flows/test_flows_hostile.py) and
by benchmarks/hostile_bench.py, which measures status, seconds and peak memory per case.

    huge_page        one 20000 × 20000 pt page and no text (rasterising it for OCR costs GBs)
    blank_pages      300 blank pages (an OCR page budget or 300 OCR runs)
    text_operators   300k text-showing operators in a few KB (time grows with the count)
    owner_password   a real report encrypted with an owner password only (viewers open it)
    html_page        an HTML error page saved as .pdf
    etc_like         a local secret's first bytes (``root:*:…``): must never reach a message
    truncated        a real report cut in half
    zero_bytes       an empty file
    fifo             a named pipe: reading it blocks for ever
    hostile_name     a real report named ``<!--<script>.pdf``
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HOSTILE_NAME = "<!--<script>.pdf"  # blanked the whole dashboard once
ETC_SHADOW = b"root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n"
HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n"


def _pdfium_pages(path: Path, sizes: list[tuple[float, float]]) -> Path:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    try:
        for w, h in sizes:
            pdf.new_page(w, h)
        pdf.save(str(path))
    finally:
        pdf.close()
    return path


def huge_page(path: Path, points: float = 20000.0) -> Path:
    """One blank page of ``points`` × ``points`` pt (PDF allows up to 14400 pt per side at
    UserUnit 1; PDFium and pdfminer read larger values as they are)."""
    return _pdfium_pages(Path(path), [(points, points)])


def blank_pages(path: Path, n: int = 300) -> Path:
    """``n`` blank A4 pages: no text layer, so a reader that OCRs every textless page OCRs all."""
    return _pdfium_pages(Path(path), [(595.0, 842.0)] * n)


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF from its objects (1-based, object 1 the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def text_operators(path: Path, n: int = 300_000) -> Path:
    """One page whose compressed content stream shows a glyph ``n`` times (``(x) Tj``)."""
    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td " + b"(x) Tj " * n + b"ET", 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    Path(path).write_bytes(raw_pdf(objects))
    return Path(path)


@contextlib.contextmanager
def _encrypting_synth(owner: str) -> Iterator[None]:
    """gidar_dev.synth with every canvas encrypted: user password empty, an owner password."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    from gidar_dev.synth import canvas as synth_canvas

    base = synth_canvas.Canvas

    class Encrypted(base):  # type: ignore[misc,valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.setEncrypt(StandardEncryption("", owner, canCopy=0, canModify=0, strength=128))

    synth_canvas.Canvas = Encrypted  # type: ignore[misc]
    try:
        yield
    finally:
        synth_canvas.Canvas = base  # type: ignore[misc]


def report_bytes(seed: int = 1, *, owner_password: str | None = None) -> bytes:
    """A synthetic report (gidar_dev.synth), optionally owner-password encrypted."""
    from gidar_dev.synth.report import make_report

    if owner_password is None:
        return make_report(seed).pdf
    with _encrypting_synth(owner_password):
        return make_report(seed).pdf


def owner_password(path: Path, seed: int = 1) -> Path:
    Path(path).write_bytes(report_bytes(seed, owner_password="owner-only"))
    return Path(path)


def html_page(path: Path) -> Path:
    Path(path).write_bytes(HTML_PAGE)
    return Path(path)


def etc_like(path: Path) -> Path:
    Path(path).write_bytes(ETC_SHADOW)
    return Path(path)


def truncated(path: Path, report: Path | None = None) -> Path:
    """The first half of ``report`` (default: a synthetic one)."""
    pdf = Path(report).read_bytes() if report else report_bytes()
    Path(path).write_bytes(pdf[: len(pdf) // 2])
    return Path(path)


def zero_bytes(path: Path) -> Path:
    Path(path).write_bytes(b"")
    return Path(path)


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return Path(path)


def hostile_name(folder: Path, report: Path | None = None) -> Path:
    """``report`` (default: a synthetic one) under the name ``<!--<script>.pdf``."""
    path = Path(folder) / HOSTILE_NAME
    path.write_bytes(Path(report).read_bytes() if report else report_bytes())
    return path


# name → maker(path): every case that is one file at a path of our choice
FILE_CASES: dict[str, Callable[[Path], Path]] = {
    "huge_page": huge_page,
    "blank_pages": blank_pages,
    "text_operators": text_operators,
    "owner_password": owner_password,
    "html_page": html_page,
    "etc_like": etc_like,
    "truncated": truncated,
    "zero_bytes": zero_bytes,
}


@dataclass(frozen=True)
class Measured:
    returncode: int  # negative: killed by that signal (-9 after the time limit)
    seconds: float
    peak_rss_mb: float  # the largest resident set of the process and every descendant it waited for
    stdout: str
    stderr: str
    timed_out: bool


def measure(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
    mem_cap_bytes: int | None = None,
) -> Measured:
    """Run ``argv`` in its own process group; wall seconds and peak RSS from ``wait4``.

    ``timeout`` kills the whole group (the command and every worker it started);
    ``mem_cap_bytes`` caps each process's address space (RLIMIT_AS), so a memory bomb fails
    inside the measured command instead of taking the machine.
    """

    def limit() -> None:
        if mem_cap_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (mem_cap_bytes, mem_cap_bytes))

    timed_out = threading.Event()
    with open(os.devnull, "rb") as stdin, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            list(argv),
            stdin=stdin,
            stdout=out,
            stderr=err,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            preexec_fn=limit if mem_cap_bytes else None,
        )

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        with contextlib.suppress(ProcessLookupError):  # workers the command left behind
            os.killpg(proc.pid, signal.SIGKILL)
        out.seek(0)
        err.seek(0)
        return Measured(
            proc.returncode,
            seconds,
            usage.ru_maxrss / 1024,  # KiB on Linux
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            timed_out.is_set(),
        )
