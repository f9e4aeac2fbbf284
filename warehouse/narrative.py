"""Numbers that section 一 (总体情况) of a report states in prose, and which table cells they restate.

Section 一 often repeats table 三/四 figures ("共收到政府信息公开申请20件，其中6件予以公开，4件部分公开…",
"行政复议351件"); docs/domain.md §3.4. `narrative_claims` is a pure parser; `claim_keys` says which cells of a
template a claim sums, derived from the registry (category phrases are the registry's labels without their
enumerators), so the cross-report check can compare the two.

Wording varies a lot, so the parser is deliberately conservative: a clause yields claims only when its
numbers and category phrases pair up unambiguously; anything else is skipped rather than guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from gidar.templates import G3, G4, G5, G6, RESULTS, T4_BLOCKS, V2021, Template

Measure = (
    str  # received | granted | partially_granted | withheld | unavailable | not_processed | other | review | litigation
)


@dataclass(frozen=True)
class Claim:
    measure: Measure
    value: int
    text: str  # the clause the number was read from
    start: int  # offset of the clause in the NFKC-normalised text
    measures: tuple[Measure, ...] = ()  # set when one number covers several categories ("予以公开及部分公开258件")

    @property
    def all_measures(self) -> tuple[Measure, ...]:
        return self.measures or (self.measure,)


_ENUM = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_PAREN_TAIL = re.compile(r"[（(].*$")


def _phrase(label: str) -> str:
    """`（二）部分公开（区分处理的…）` → `部分公开`: the words a narrative uses for a table category."""
    return _PAREN_TAIL.sub("", _ENUM.sub("", unicodedata.normalize("NFKC", label)))


def _t3_label(key: str) -> str:
    return V2021.t3_row(key).label


_LITIGATION_GROUP = next(b.group for b in T4_BLOCKS if b.group)
_REVIEW_LABEL = next(b.label for b in T4_BLOCKS if not b.group)

# measure -> category phrase, derived from registry labels. Order matters only for display.
PHRASES: dict[Measure, str] = {
    "granted": _phrase(_t3_label("granted")),
    "partially_granted": _phrase(_t3_label("partially_granted")),
    "withheld": _phrase(G3),
    "unavailable": _phrase(G4),
    "not_processed": _phrase(G5),
    "other": _phrase(G6),
    "review": _phrase(_REVIEW_LABEL),
    "litigation": _phrase(_LITIGATION_GROUP),
}
# "received" is narrative vocabulary, not a table label: 共收到 / 新收 / 受理 … 申请.
_RECEIVED = re.compile(r"(?:收到|新收|受理)")
_APPLICATION = "申请"

# One alternation with a named group per measure (one scan per clause). A phrase must not be the tail of a
# negated phrase: 予以公开 inside 不予以公开.
_PHRASE_RE = re.compile(
    "|".join(f"(?P<{m}>{'(?<!不)' if m == 'granted' else ''}{re.escape(p)})" for m, p in PHRASES.items())
)
_NUMBER = re.compile(r"(\d[\d,]*)\s*(?:件|起|宗)")
# A comma between digits is a thousands separator (1,205件), not a clause break.
_CLAUSE_SPLIT = re.compile(r"[，。；;：:！？!?()（）\n]|(?<!\d),|,(?!\d)|其中")
_JOINER = re.compile(r"^[\s及和与、以及]*$")


def _clauses(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for m in _CLAUSE_SPLIT.finditer(text):
        out.append((pos, text[pos : m.start()]))
        pos = m.end()
    out.append((pos, text[pos:]))
    return [(s, c) for s, c in out if c.strip()]


def _clause_claims(start: int, clause: str) -> list[Claim]:
    hits = [(m.start(), m.end(), str(m.lastgroup)) for m in _PHRASE_RE.finditer(clause)]
    numbers = [(m.start(), int(m.group(1).replace(",", ""))) for m in _NUMBER.finditer(clause)]
    if not numbers:
        return []
    if not hits:
        # 共收到政府信息公开申请20件 / 共收到20件依申请公开: one number, an application received.
        if len(numbers) == 1 and _RECEIVED.search(clause) and _APPLICATION in clause:
            return [Claim("received", numbers[0][1], clause, start)]
        return []
    # Merge adjacent phrases joined by 及/和/、 into one group: "予以公开及部分公开258件".
    groups: list[list[tuple[int, int, Measure]]] = [[hits[0]]]
    for h in hits[1:]:
        prev_end = groups[-1][-1][1]
        if _JOINER.match(clause[prev_end : h[0]]):
            groups[-1].append(h)
        else:
            groups.append([h])
    pairs = _pair(groups, numbers, len(clause))
    if pairs is None:
        return []  # ambiguous pairing: skip rather than guess
    out = []
    for group, value in pairs:
        measures = tuple(dict.fromkeys(g[2] for g in group))
        out.append(Claim(measures[0], value, clause, start, measures if len(measures) > 1 else ()))
    return out


def _pair(
    groups: list[list[tuple[int, int, Measure]]], numbers: list[tuple[int, int]], end: int
) -> list[tuple[list[tuple[int, int, Measure]], int]] | None:
    """Pair each phrase group with exactly one number, all after ("予以公开6件") or all before ("6件予以公开")."""
    if len(groups) != len(numbers):
        return None
    starts = [g[0][0] for g in groups]
    after = all(
        (starts[i] < pos < (starts[i + 1] if i + 1 < len(starts) else end)) for i, (pos, _) in enumerate(numbers)
    )
    before = all(((starts[i - 1] if i > 0 else -1) < pos < starts[i]) for i, (pos, _) in enumerate(numbers))
    if not (after or before):
        return None
    return [(g, v) for g, (_, v) in zip(groups, numbers, strict=True)]


def narrative_claims(text: str | None) -> list[Claim]:
    """The table figures a section-一 text states, in text order."""
    if not text:
        return []
    norm = unicodedata.normalize("NFKC", text)
    return [c for start, clause in _clauses(norm) for c in _clause_claims(start, clause)]


def claim_keys(measure: Measure, template: Template) -> tuple[str, ...]:
    """The flat keys whose sum a claim of this measure restates (table 三 total column / table 四 totals)."""
    if measure == "received":
        return ("t3.new_received.total",)
    if measure in ("review", "litigation"):
        blocks = [b for b in template.t4_blocks if (b.group is None) == (measure == "review")]
        return tuple(f"t4.{b.key}.total" for b in blocks)
    groups = {"withheld": G3, "unavailable": G4, "not_processed": G5}
    if measure in groups:
        rows = [r.key for r in template.t3_rows if r.group == groups[measure] and r.kind == "leaf"]
    elif measure == "other":
        # v2021: the three （六） sub-rows; v2019: the single （六）其他处理 row (grouped under 三、本年度办理结果).
        rows = [r.key for r in template.t3_rows if r.group == G6] or [
            r.key
            for r in template.t3_rows
            if r.group == RESULTS and r.kind == "leaf" and _phrase(r.label) == PHRASES["other"]
        ]
    else:
        rows = [measure]
    return tuple(f"t3.{r}.total" for r in rows)
