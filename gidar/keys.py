"""Flat cell keys: ``t2.<block>.<row>.<col>``, ``t3.<row>.<col>``, ``t4.<block>.<col>``.

Every numeric cell of a report is named by one such key (the ``values`` and ``cells`` of the
extraction contract, the ``key`` column of ``cells``). `Key` is the one place that builds and
takes them apart; nothing else splits a key on dots.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

TableKey = Literal["t2", "t3", "t4"]


@dataclass(frozen=True, order=True)
class Key:
    table: TableKey
    block: str | None  # table-二 block (第二十条 item) or table-四 block; None in table 三
    row: str | None  # None in table 四, whose blocks are its rows
    col: str

    @classmethod
    def t2(cls, block: str, row: str, col: str) -> Key:
        return cls("t2", block, row, col)

    @classmethod
    def t3(cls, row: str, col: str) -> Key:
        return cls("t3", None, row, col)

    @classmethod
    def t4(cls, block: str, col: str) -> Key:
        return cls("t4", block, None, col)

    @classmethod
    def parse(cls, text: str) -> Key:
        """The key of a flat key string; `ValueError` for anything not shaped like one."""
        if cls is Key:
            return _parse(text)  # keys are a small vocabulary parsed hundreds of times per report
        return cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> Key:
        parts = text.split(".")
        if parts[0] == "t2" and len(parts) == 4:
            return cls.t2(parts[1], parts[2], parts[3])
        if parts[0] == "t3" and len(parts) == 3:
            return cls.t3(parts[1], parts[2])
        if parts[0] == "t4" and len(parts) == 3:
            return cls.t4(parts[1], parts[2])
        raise ValueError(f"not a cell key: {text!r}")

    @classmethod
    def try_parse(cls, text: str) -> Key | None:
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @property
    def line(self) -> str:
        """The row a key sits on: a table-三 row or a table-四 block (the table-二 row in its block)."""
        return self.row if self.row is not None else str(self.block)

    def __str__(self) -> str:
        return ".".join(p for p in (self.table, self.block, self.row, self.col) if p is not None)


# Keys are immutable and their strings few (a template has a few hundred cells): parsed once each.
_parse = lru_cache(maxsize=8192)(Key._parse)
