"""``gidar extract`` entry points: one PDF → one `ExtractionResult`, never an exception.

I/O lives here (reading the file, OCR, metadata); the table engine in `extract.layout` is pure
and consumes `Word`s, so text-layer and OCR pages go through the same code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from gidar.contract import ExtractionResult, Metadata
from gidar.extract.budget import DEFAULT_BUDGET, Budget
from gidar.extract.collector import collector_paused
from gidar.extract.layout.checks import OCR_REVIEW_CONF, blame, suspects
from gidar.extract.layout.lines import joined_lines, strip_furniture_lines
from gidar.extract.layout.tables import Reading, read_tables, table_templates, value_keys
from gidar.extract.narrative import section_one
from gidar.extract.pdf import DEFAULT_BACKEND, BadInput, Document, read_pdf, sniff
from gidar.invariants import check
from gidar.keys import TableKey
from gidar.labels import normalise
from gidar.templates import SECTION5_CORE, SECTION5_TITLE, T4_TITLE, TEMPLATES, Template, template_for_year

_log = logging.getLogger(__name__)
PARSER_VERSION = "layout-1"
_T4_TITLE = normalise(T4_TITLE)
_SECTION5 = re.compile(re.escape(normalise(SECTION5_TITLE[:2])) + ".{0,12}" + re.escape(SECTION5_CORE))
PROSE_TOP = 0.3  # OCR reads running prose only on this top share of page 1: title, statistics period
_REPORT_WORDS = ("政府信息公开", "年度报告")


def pdf_files(paths: Iterable[Path]) -> list[Path]:
    """Every PDF under ``paths`` (files, or folders searched for ``*.pdf``/``*.PDF``), in name order."""
    out: list[Path] = []
    for p in map(Path, paths):
        out += sorted(f for f in p.rglob("*") if f.suffix.lower() == ".pdf" and f.is_file()) if p.is_dir() else [p]
    return out


def extract_paths(
    paths: Iterable[Path],
    workers: int = 1,
    backend: str = DEFAULT_BACKEND,
    budget: Budget = DEFAULT_BUDGET,
) -> Iterator[ExtractionResult]:
    """Extract every PDF under ``paths``, in name order. ``workers`` > 1 reads that many files at
    once in separate processes: PDF parsing and OCR are CPU-bound, so threads would not help."""
    files = pdf_files(paths)
    read = partial(extract_file, backend=backend, budget=budget)
    if workers <= 1 or len(files) <= 1:
        yield from map(read, files)
        return
    from concurrent.futures import ProcessPoolExecutor  # (its import costs a one-process run ~20 ms)

    with ProcessPoolExecutor(max_workers=min(workers, len(files))) as pool:
        yield from pool.map(read, files)


_JSON = json.JSONEncoder(ensure_ascii=False)
# `_JSON.encode` builds a C encoder at every call, ~200 calls a report (one per cell): build it
# once, with the same settings. No circular-reference markers: a result holds no cycles.
_C_ENCODE = (
    c_make_encoder(None, _JSON.default, encode_basestring, None, ": ", ", ", False, False, True)
    if c_make_encoder is not None
    else None
)


def _encode(o: Any) -> str:
    """``_JSON.encode(o)``."""
    return "".join(_C_ENCODE(o, 0)) if _C_ENCODE is not None else _JSON.encode(o)


def dumps(d: dict[str, Any]) -> str:
    """JSON with one top-level field per line and one list item (a cell, a violation) per line.
    Readable, and written by json's C encoder: ``indent`` would switch to the pure-Python one,
    which took longer than reading the PDF."""
    enc = _encode

    def value(v: Any) -> str:
        if isinstance(v, list) and v:
            return "[\n  " + ",\n  ".join(map(enc, v)) + "\n ]"
        return enc(v)

    return "{\n" + ",\n".join(f" {enc(k)}: {value(v)}" for k, v in d.items()) + "\n}\n"


def write_json(result: ExtractionResult, path: Path) -> None:
    Path(path).write_text(dumps(result.to_json()), encoding="utf-8")


def _file_bytes(path: Path, budget: Budget) -> bytes:
    """The file's bytes, after the checks that keep a bad path from hanging or flooding the reader."""
    if not path.exists():
        raise BadInput("unreadable", f"no such file: {path}")
    if not path.is_file():  # a FIFO or /dev/zero would block or never end
        raise BadInput("unreadable", f"not a regular file (a folder, device or pipe): {path}")
    size = path.stat().st_size
    if size > budget.max_file_bytes:
        raise BadInput(
            "too_large",
            f"{size / 2**20:.0f} MiB, over the limit of {budget.max_file_bytes / 2**20:.0f} MiB per file"
            f" (raise it with {budget.setting('max_file_bytes')})",
        )
    return path.read_bytes()


def extract_file(path: Path, backend: str = DEFAULT_BACKEND, budget: Budget = DEFAULT_BUDGET) -> ExtractionResult:
    """Read one report. Bad inputs come back with a non-ok status and a message.

    ``backend`` is the PDF reader tried first (`extract.pdf.BACKENDS`); the result's ``backend``
    names the one that read the file, after any fallback.
    """
    t0 = time.perf_counter()
    path = Path(path)
    res = ExtractionResult(str(path), "", "ok", "", parser_version=PARSER_VERSION)
    data = b""  # what was read: nothing when the path is refused before reading
    try:
        data = _file_bytes(path, budget)
        sniff(data)
        with collector_paused():
            _extract_data(path, data, res, backend, budget)
    except BadInput as e:
        res.status, res.message = e.status, e.message  # type: ignore[assignment]
    except Exception as e:  # a bug must not stop a batch: report it on this file, traceback in the log
        _log.exception("extraction of %s failed", path)
        res.status, res.message = "error", f"extraction failed (a bug in gidar): {type(e).__name__}: {e}"
    res.sha256 = hashlib.sha256(data).hexdigest()
    res.seconds = time.perf_counter() - t0
    return res


def _extract_data(path: Path, data: bytes, res: ExtractionResult, backend: str, budget: Budget) -> None:
    """Read ``data`` into ``res``. The document and everything read from it are freed on return,
    still under the collector's pause: its first collection after it then has only the result
    to look at, not every word of the report."""
    doc = read_pdf(path, backend, data=data, budget=budget)
    res.backend = doc.backend
    _extract_doc(doc, res, budget)


@dataclass
class _OcrRun:
    pages: list[int] = field(default_factory=list)  # pages read by OCR
    blank: int = 0  # textless pages seen blank (no OCR spent on them)
    stopped: str = ""  # why OCR stopped before the tables were complete (a budget), or ""


def _ocr_words(doc: Document, budget: Budget) -> _OcrRun:
    """OCR the pages without text, in order, up to the page where section 五 starts after table 四:
    the pages after it are prose and signature, with nothing to read. Running prose is read only
    at the top of page 1 (title, statistics period); blank pages cost a low-resolution look.

    Budgets are checked before the work: a page over ``max_page_area`` is never rasterised
    (`BadInput` too_large), and OCR stops after ``max_ocr_pages`` pages with ink (the caller
    decides whether what was read is enough)."""
    try:
        # not `from gidar.extract import ocr`, which finds a loaded module even when OCR is unavailable
        import gidar.extract.ocr as ocr
    except ImportError as e:
        raise BadInput("needs_ocr", f"image-only PDF and OCR is not available ({e})") from e
    run = _OcrRun()
    read = ""
    try:
        for p in doc.pages:
            if not p.words:
                area = p.width * p.height
                if area > budget.max_page_area:
                    raise BadInput(
                        "too_large",
                        f"page {p.number} is {p.width:.0f} × {p.height:.0f} pt ({area:,.0f} pt²), over the "
                        f"limit of {budget.max_page_area:,.0f} pt² for rasterising a page to OCR it; "
                        f"raise {budget.setting('max_page_area')} to read it",
                    )
                if len(run.pages) >= budget.max_ocr_pages:
                    run.stopped = (
                        f"OCR stopped after {len(run.pages)} pages (limit {budget.max_ocr_pages} OCR pages "
                        f"per file) before the tables were complete; raise {budget.setting('max_ocr_pages')} "
                        "to read further"
                    )
                    break
                prose_top = PROSE_TOP if p.number == 1 else 0.0
                page = ocr.ocr_page(doc.path, p.number, prose_top=prose_top, threads=budget.ocr_threads)
                if page.blank:
                    run.blank += 1
                else:
                    run.pages.append(p.number)
                p.words, p.width, p.height = page.words, page.width, page.height
            read += normalise("".join(w.text for w in p.words))
            t4 = read.find(_T4_TITLE)
            if t4 >= 0 and _SECTION5.search(read, t4):
                break
    except BadInput:
        raise
    except Exception as e:
        raise BadInput("needs_ocr", f"image-only PDF and OCR failed: {type(e).__name__}: {e}") from e
    if not doc.has_text and not run.stopped:
        n = len(doc.pages)
        blank = f"all {n} pages are blank" if run.blank == n else f"{run.blank} of {n} pages are blank"
        raise BadInput("needs_ocr", f"image-only PDF and OCR found no text: {blank}")
    return run


def detect_template(text: str, year: int | None) -> Template:
    """The template a report suggests before its tables are read: its statistics year's, else
    the one whose registry markers it prints. Each table is then read with the template its
    own labels show (`read_tables`); this one only breaks their ties."""
    if year:
        return template_for_year(year)
    norm = normalise(text)
    scores = {v: sum(normalise(m) in norm for m in t.markers) for v, t in TEMPLATES.items()}
    best = max(scores.values())
    winners = [v for v, s in scores.items() if s == best]
    if best > 0 and len(winners) == 1:
        return TEMPLATES[winners[0]]
    return template_for_year(year) if year else TEMPLATES["v2021"]


def _read_metadata(pages_text: list[str], file_name: str) -> Metadata:
    try:
        from gidar.extract.metadata import read_metadata
    except ImportError:
        return Metadata()
    try:
        return read_metadata(pages_text, file_name)
    except Exception:
        return Metadata()


def _read(doc: Document) -> tuple[list[str], Metadata, Template, Reading]:
    stripped = strip_furniture_lines([(p.height, p.words) for p in doc.pages])
    pages = [ws for ws, _ in stripped]
    by_page = [lines for _, lines in stripped]
    texts = ["\n".join(ln.text for ln in lines) for lines in by_page]
    metadata = _read_metadata(texts, Path(doc.path).name)
    tpl = detect_template("\n".join(texts), metadata.report_year)
    rules = [(p.number, x, top, bottom) for p in doc.pages for x, top, bottom in p.vlines]
    hrules = [(p.number, y, x0, x1) for p in doc.pages for y, x0, x1 in p.hlines]
    words = [w for ws in pages for w in ws]
    return texts, metadata, tpl, read_tables(words, tpl, rules, hrules, joined_lines(pages, by_page))


def _extract_doc(doc: Document, res: ExtractionResult, budget: Budget = DEFAULT_BUDGET) -> None:
    res.n_pages = len(doc.pages)
    res.text_layer = doc.has_text
    res.method = "text"
    run = _OcrRun()
    if not doc.has_text:
        res.method = "ocr"
        run = _ocr_words(doc, budget)
    texts, res.metadata, tpl, reading = _read(doc)
    if len(reading.found) < 3 and doc.has_text and any(not p.words for p in doc.pages):
        # a text report with some pages pasted in as images (often the tables): OCR just those
        try:
            run = _ocr_words(doc, budget)
            if run.pages:
                res.method = "text+ocr"
                texts, res.metadata, tpl, reading = _read(doc)
        except BadInput as e:
            if e.status == "too_large":
                raise
    if run.stopped and len(reading.found) < 3:
        raise BadInput("too_large", run.stopped)
    for cell in reading.cells.values():  # cells read from page images say so
        if cell.page in run.pages and "ocr" not in cell.flags:
            cell.flags.append("ocr")
    # OCR leaves most prose unread, so section 一 comes from text-layer pages only
    prose = [t for p, t in zip(doc.pages, texts, strict=True) if p.number not in run.pages]
    full = "\n".join(texts)
    is_report = all(k in full for k in _REPORT_WORDS) or len(reading.found) >= 2
    if not reading.found:
        if not is_report:
            res.status, res.message = "not_a_report", "no disclosure-report title or tables: not an annual report"
        else:
            res.status, res.message = "table_not_found", "a disclosure report, but tables 二/三/四 were not found"
        res.narrative = section_one(prose) if is_report else None
        return
    templates = table_templates(reading, tpl)
    res.template = templates["t3"].version
    res.table_templates = {t: templates[t].version for t in ("t2", "t3", "t4")}  # type: ignore[index]
    res.extra_cells = list(reading.extras)
    res.blank_tables = list(reading.blank)
    if res.metadata.template is None:
        res.metadata.template = res.template
    res.narrative = section_one(prose)
    _finish(res, reading, templates)


def _finish(res: ExtractionResult, reading: Reading, templates: dict[TableKey, Template]) -> None:
    """Cells in registry order, the invariants, and the verdict: a broken identity is the
    publisher's only when all its cells were read cleanly (`checks.blame`)."""
    keys = value_keys(templates)
    order = {k: i for i, k in enumerate(keys)}
    res.cells = sorted(reading.cells.values(), key=lambda c: order.get(c.key, len(order)))
    for c in res.cells:
        c.unit = reading.units.get(c.key)
    suspect = suspects(res.cells, reading.orphans)
    res.violations, unconfirmed = blame(check(templates["t3"], {c.key: c.value for c in res.cells}), suspect)
    res.unconfirmed = [v for v, _ in unconfirmed]
    review: dict[str, None] = {}
    for key, _ in reading.doubts:
        if key:
            review[key] = None
    notes = [why for _, why in reading.doubts]
    for v, bad in unconfirmed:
        review.update(dict.fromkeys(bad))
        where = v.row if v.invariant == "t3_row_total" or v.table == "t4" else v.col
        notes.append(f"{v.invariant} ({where}) not blamed on the publisher: {bad[0]} {suspect[bad[0]]}")
    for c in res.cells:
        if c.conf is not None and c.conf < OCR_REVIEW_CONF:
            c.flags.append("ocr_low_conf")
            review[c.key] = None
    missing = [k for k in keys if k not in reading.cells]
    review.update(dict.fromkeys(missing))
    res.review = list(review)
    if missing:
        notes.append(f"{len(missing)} of {len(order)} cells not read")
    if notes or review:
        res.status, res.quality = "uncertain", "uncertain"
        res.message = "; ".join(dict.fromkeys(notes[:5])) or f"{len(review)} cells need review"
    elif res.violations:
        res.quality = "publisher_violations"
        res.message = f"{len(res.cells)} cells; {len(res.violations)} invariant violations as printed"
    else:
        res.quality = "consistent"
        res.message = f"{len(res.cells)} cells, all invariants hold"
