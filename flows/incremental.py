"""Which source items need work: the incremental rule, as a pure function.

A report is identified by the sha256 of its file. It is read again only when that content has
not been loaded with the current parser version (or with ``force``); the same content reached
twice in one run (a copy in two folders) is read once. A local file is hashed before the run; a
URL's content is known only once it is downloaded, so a URL goes to the readers with the report
last loaded from it, and the reader skips it when the download has the same content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace

from gidar.flows.sources import SourceItem
from gidar.flows.summary import DUPLICATE, SKIPPED, Outcome


@dataclass(frozen=True)
class WorkItem:
    """One file to read, as it travels to a reading task (on this machine or a cluster worker)."""

    ref: str  # the URL or absolute path as the user named it
    kind: str  # url | path
    name: str
    sha256: str | None = None  # a local file's content hash (from the plan)
    loaded_sha: str | None = None  # a URL: the report last loaded from it with this parser version
    data: bytes | None = None  # the file's content, shipped to a cluster worker that lacks the file

    def shipped(self, data: bytes) -> WorkItem:
        return replace(self, data=data)


def plan_work(
    items: Sequence[SourceItem],
    hashes: Mapping[str, str],
    loaded: Set[str],
    loaded_by_source: Mapping[str, str],
    *,
    force: bool = False,
) -> tuple[list[WorkItem], dict[str, Outcome]]:
    """Split source items into work and the outcomes of those that need none.

    ``hashes``: sha256 by ref of the local files that could be hashed (others are settled
    elsewhere and left out here); ``loaded``: report ids already loaded with this parser version;
    ``loaded_by_source``: source -> report id of those."""
    todo: list[WorkItem] = []
    done: dict[str, Outcome] = {}
    first: dict[str, str] = {}  # sha256 -> name of the first item with that content
    for it in items:
        if it.kind == "url":
            known = None if force else loaded_by_source.get(it.ref)
            todo.append(WorkItem(it.ref, "url", it.name, loaded_sha=known))
            continue
        sha = hashes.get(it.ref)
        if sha is None:
            continue
        if sha in first:
            done[it.ref] = Outcome(it.ref, it.name, DUPLICATE, f"same file as {first[sha]}", sha)
        elif not force and sha in loaded:
            done[it.ref] = Outcome(it.ref, it.name, SKIPPED, "unchanged since last load", sha)
        else:
            todo.append(WorkItem(it.ref, "path", it.name, sha256=sha))
        first.setdefault(sha, it.name)
    return todo, done
