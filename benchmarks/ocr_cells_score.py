"""Engine-free check of OCR words against corpus truth: printed table values, in printed order.

usage: .venv/bin/python benchmarks/ocr_cells_score.py [CORPUS_DIR] [ID ...]

For each image-only report (the shared corpus' scans, or a generated corpus written with
``python -m gidar_dev.synth OUT --image-rate 1``), the value-like OCR words (numbers, dashes)
of all pages are put in reading order (rows by vertical centre, then x) and aligned with the
truth's non-blank cell texts in template order (t2 blocks/rows/columns, t3 rows/columns, t4
blocks/columns). Reports matched values / expected values, and lists the differences: a view
of the OCR alone, before the table engine (benchmarks/ocr_bench.py scores the whole pipeline).
"""

from __future__ import annotations

import csv
import difflib
import json
import sys
import time
from pathlib import Path

from gidar.extract.model import Word
from gidar.extract.ocr import ocr_page_words
from gidar.extract.ocr_tokens import is_value_text, normalise_token

ROW_OVERLAP_PT = 1.5


def truth_texts(truth: dict) -> list[str]:
    t = truth["tables"]
    out: list[str] = []
    for block in t["t2"]["blocks"]:
        cols = [c["key"] for c in block["columns"]]
        for row in block["rows"]:
            out += [row["texts"][c] for c in cols]
    cols = [c["key"] for c in t["t3"]["columns"]]
    for row in t["t3"]["rows"]:
        out += [row["texts"][c] for c in cols]
    cols = [c["key"] for c in t["t4"]["columns"]]
    for block in t["t4"]["blocks"]:
        out += [block["texts"][c] for c in cols]
    cleaned = [normalise_token(s.strip().replace("\u3000", "")) for s in out]
    return [s for s in cleaned if s]


def reading_order(words: list[Word]) -> list[Word]:
    """Rows = words whose vertical extents overlap (values may sit low or high in a tall cell)."""
    rows: list[tuple[float, float, list[Word]]] = []
    for w in sorted(words, key=lambda w: (w.page, w.top)):
        if (
            rows
            and rows[-1][2][0].page == w.page
            and min(rows[-1][1], w.bottom) - max(rows[-1][0], w.top) > ROW_OVERLAP_PT
        ):
            top, bottom, row = rows[-1]
            rows[-1] = (min(top, w.top), max(bottom, w.bottom), [*row, w])
        else:
            rows.append((w.top, w.bottom, [w]))
    return [w for _, _, row in rows for w in sorted(row, key=lambda w: w.x0)]


def score(pdf: Path, truth: dict, n_pages: int) -> tuple[int, int, list[str], float]:
    t0 = time.perf_counter()
    words = [w for p in range(1, n_pages + 1) for w in ocr_page_words(pdf, p) if is_value_text(w.text)]
    seconds = time.perf_counter() - t0
    got = reading_order(words)
    want = truth_texts(truth)
    sm = difflib.SequenceMatcher(a=want, b=[w.text for w in got], autojunk=False)
    matched = sum(b.size for b in sm.get_matching_blocks())
    diffs = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            shown = [f"{w.text}@p{w.page}({w.conf:.2f})" for w in got[j1:j2]]
            diffs.append(f"{tag} want={want[i1:i2]} got={shown}")
    return matched, len(want), diffs, seconds


def main(argv: list[str]) -> None:
    corpus = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    only = set(argv[2:])
    with open(corpus / "manifest.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["has_text_layer"] == "false"]
    total_m = total_n = 0
    for r in rows:
        if only and r["id"] not in only:
            continue
        truth = json.loads((corpus / f"{r['id']}.json").read_text(encoding="utf-8"))
        m, n, diffs, secs = score(corpus / r["file"], truth, int(r["n_pages"]))
        total_m, total_n = total_m + m, total_n + n
        print(f"{r['id']}: {m}/{n} values matched, {secs:.1f}s")
        for d in diffs:
            print("   ", d)
    if total_n:
        print(f"total {total_m}/{total_n} = {100 * total_m / total_n:.2f}%")


if __name__ == "__main__":
    main(sys.argv)
