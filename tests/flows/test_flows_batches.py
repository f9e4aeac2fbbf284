"""How a run's files are cut into batches (flows/batches.py `split_batches`)."""

from __future__ import annotations

import pytest

from gidar.flows.batches import TAIL_MIN, TAIL_PARTS, split_batches
from gidar.flows.incremental import WorkItem


def _items(n: int) -> list[WorkItem]:
    return [WorkItem(kind="path", ref=f"/r/{i}.pdf", name=f"{i}.pdf") for i in range(n)]


@pytest.mark.parametrize("n", [0, 1, 99, 100, 101, 150, 399, 500])
def test_every_file_once_in_order(n: int) -> None:
    items = _items(n)
    assert [it for b in split_batches(items, 100) for it in b] == items


def test_the_last_batch_is_split_so_the_tail_after_reading_is_short() -> None:
    sizes = [len(b) for b in split_batches(_items(500), 100)]
    assert sizes == [100] * 4 + [100 // TAIL_PARTS] * TAIL_PARTS


def test_a_single_batch_and_small_batches_are_not_split() -> None:
    assert [len(b) for b in split_batches(_items(80), 100)] == [80]
    small = TAIL_PARTS * TAIL_MIN - 1
    assert {len(b) for b in split_batches(_items(10 * small), small)} == {small}
