"""Which fetched files need work: the incremental rule, as a pure function.

A report is identified by the sha256 of its file. It is re-extracted only when that content
has not been loaded with the current parser version (or with ``force``); the same content
reached twice in one run (two URLs, a copy in two folders) is processed once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set

from gidar.flows.download import Fetched
from gidar.flows.sources import SourceItem
from gidar.flows.summary import DUPLICATE, SKIPPED, Outcome


def plan_work(
    items: Sequence[SourceItem],
    fetched: Mapping[str, Fetched],
    loaded: Set[tuple[str, str]],
    parser_version: str,
    *,
    force: bool = False,
) -> tuple[list[SourceItem], dict[str, Outcome]]:
    """Split fetched items into those to process and the outcomes of those that need nothing."""
    todo: list[SourceItem] = []
    done: dict[str, Outcome] = {}
    first: dict[str, str] = {}  # sha256 -> name of the first item with that content
    for it in items:
        f = fetched.get(it.ref)
        if f is None:  # failed download: its outcome is already known
            continue
        if f.sha256 in first:
            done[it.ref] = Outcome(it.ref, it.name, DUPLICATE, f"same file as {first[f.sha256]}", f.sha256)
        elif not force and (f.sha256, parser_version) in loaded:
            done[it.ref] = Outcome(it.ref, it.name, SKIPPED, "unchanged since last load", f.sha256)
        else:
            todo.append(it)
        first.setdefault(f.sha256, it.name)
    return todo, done
