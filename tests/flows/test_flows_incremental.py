from __future__ import annotations

from gidar.flows.download import Fetched
from gidar.flows.incremental import plan_work
from gidar.flows.sources import SourceItem
from gidar.flows.summary import DUPLICATE, SKIPPED


def _setup() -> tuple[list[SourceItem], dict[str, Fetched]]:
    items = [SourceItem(f"/d/{n}.pdf", "path") for n in "abcd"]
    shas = {"a": "1" * 64, "b": "2" * 64, "c": "1" * 64}  # c is a copy of a; d failed to download
    fetched = {f"/d/{n}.pdf": Fetched(f"/d/{n}.pdf", sha, 10, False) for n, sha in shas.items()}
    return items, fetched


def test_new_content_is_processed_once() -> None:
    items, fetched = _setup()
    todo, done = plan_work(items, fetched, set(), "v1")
    assert [i.name for i in todo] == ["a.pdf", "b.pdf"]
    assert done["/d/c.pdf"].status == DUPLICATE and "a.pdf" in done["/d/c.pdf"].message
    assert "/d/d.pdf" not in done


def test_loaded_with_same_parser_version_is_skipped() -> None:
    items, fetched = _setup()
    todo, done = plan_work(items, fetched, {("1" * 64, "v1")}, "v1")
    assert [i.name for i in todo] == ["b.pdf"]
    assert done["/d/a.pdf"].status == SKIPPED and done["/d/a.pdf"].report_id == "1" * 64


def test_new_parser_version_or_force_redoes_the_work() -> None:
    items, fetched = _setup()
    loaded = {("1" * 64, "v1"), ("2" * 64, "v1")}
    assert [i.name for i in plan_work(items, fetched, loaded, "v2")[0]] == ["a.pdf", "b.pdf"]
    assert [i.name for i in plan_work(items, fetched, loaded, "v1", force=True)[0]] == ["a.pdf", "b.pdf"]
    assert plan_work(items, fetched, loaded, "v1")[0] == []
