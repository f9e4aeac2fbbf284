from __future__ import annotations

from gidar.flows.incremental import plan_work
from gidar.flows.sources import SourceItem
from gidar.flows.summary import DUPLICATE, SKIPPED


def _setup() -> tuple[list[SourceItem], dict[str, str]]:
    items = [SourceItem(f"/d/{n}.pdf", "path") for n in "abcd"]
    shas = {"a": "1" * 64, "b": "2" * 64, "c": "1" * 64}  # c is a copy of a; d could not be hashed
    return items, {f"/d/{n}.pdf": sha for n, sha in shas.items()}


def test_new_content_is_processed_once() -> None:
    items, hashes = _setup()
    todo, done = plan_work(items, hashes, set(), {})
    assert [i.name for i in todo] == ["a.pdf", "b.pdf"]
    assert [i.sha256 for i in todo] == ["1" * 64, "2" * 64]
    assert done["/d/c.pdf"].status == DUPLICATE and "a.pdf" in done["/d/c.pdf"].message
    assert "/d/d.pdf" not in done


def test_loaded_content_is_skipped() -> None:
    items, hashes = _setup()
    todo, done = plan_work(items, hashes, {"1" * 64}, {})
    assert [i.name for i in todo] == ["b.pdf"]
    assert done["/d/a.pdf"].status == SKIPPED and done["/d/a.pdf"].report_id == "1" * 64


def test_force_redoes_the_work() -> None:
    items, hashes = _setup()
    loaded = {"1" * 64, "2" * 64}
    assert plan_work(items, hashes, loaded, {})[0] == []
    assert [i.name for i in plan_work(items, hashes, loaded, {}, force=True)[0]] == ["a.pdf", "b.pdf"]


def test_urls_always_go_to_the_readers_with_what_was_loaded_from_them() -> None:
    items = [SourceItem("http://h/a.pdf", "url"), SourceItem("http://h/b.pdf", "url")]
    todo, done = plan_work(items, {}, {"9" * 64}, {"http://h/a.pdf": "9" * 64})
    assert not done
    assert [(w.name, w.loaded_sha) for w in todo] == [("a.pdf", "9" * 64), ("b.pdf", None)]
    todo, _ = plan_work(items, {}, {"9" * 64}, {"http://h/a.pdf": "9" * 64}, force=True)
    assert [w.loaded_sha for w in todo] == [None, None]
