"""Evaluate the template's hard invariants on a flat ``key -> number`` mapping.

Pure arithmetic shared by extract/ (as a reading check and for the ``violations`` of
``gidar extract``) and expectations/ (which encodes the same identities as GX suites).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from gidar.templates import Identity, Template

Number = int | float


@dataclass(frozen=True)
class Violation:
    invariant: str
    table: str
    row: str | None
    col: str | None
    lhs: Number
    rhs: Number
    description: str
    cells: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["cells"] = list(self.cells)
        return d


def _sum(keys: tuple[str, ...], values: Mapping[str, Number | None]) -> Number | None:
    total: Number = 0
    for k in keys:
        v = values.get(k)
        if v is None:
            return None
        total += v
    return total


def describe(ident: Identity, lhs: Number, rhs: Number) -> str:
    where = f"{ident.row} 行" if ident.invariant == "t3_row_total" else f"{ident.col} 列"
    if ident.invariant == "t3_row_total":
        return f"三表 {where}: 总计 {lhs} ≠ 六类申请人之和 {rhs}"
    if ident.invariant == "t3_result_total":
        return f"三表 {where}: （七）总计 {lhs} ≠ 各办理结果之和 {rhs}"
    if ident.invariant == "t3_balance":
        return f"三表 {where}: 一+二={lhs} ≠ 三（七）+四={rhs}"
    return f"四表 {ident.row}: 总计 {lhs} ≠ 四项结果之和 {rhs}"


def evaluate(template: Template, values: Mapping[str, Number | None]) -> list[tuple[Identity, Number, Number]]:
    """Every identity whose cells are all present, with its two sides."""
    out = []
    for ident in template.identities():
        lhs, rhs = _sum(ident.lhs, values), _sum(ident.rhs, values)
        if lhs is not None and rhs is not None:
            out.append((ident, lhs, rhs))
    return out


def check(template: Template, values: Mapping[str, Number | None]) -> list[Violation]:
    """The identities that do not hold, in registry order."""
    return [
        Violation(
            ident.invariant,
            ident.table,
            ident.row,
            ident.col,
            lhs,
            rhs,
            describe(ident, lhs, rhs),
            ident.lhs + ident.rhs,
        )
        for ident, lhs, rhs in evaluate(template, values)
        if abs(lhs - rhs) > 1e-9
    ]
