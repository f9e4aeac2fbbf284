"""Table 三 across templates: v2021's （六） sub-rows fold into v2019's other_handling."""

from __future__ import annotations

import pyarrow as pa

from gidar.schema import T3_NORMALISED
from gidar.templates import G6, T3_COLUMNS, TEMPLATES
from gidar.transform.build import build_tables
from gidar.transform.t3norm import build_t3_normalised, normalised_rows, t3_row_map
from gidar_dev.sample import sample_result


def test_mapping_is_derived_from_the_group_label():
    folded = {k: v for k, v in t3_row_map().items() if k[1] != v}
    for t in TEMPLATES.values():
        sub = [r.key for r in t.t3_rows if r.group == G6]
        assert {(t.version, k) for k in sub} == {k for k in folded if k[0] == t.version}
    targets = set(folded.values())
    assert len(targets) == 1
    (target,) = targets
    assert any(r.key == target and r.label == G6 for t in TEMPLATES.values() for r in t.t3_rows)
    assert len(normalised_rows()) == len(set(normalised_rows()))


def _t3(version: str, seed: int) -> pa.Table:
    return build_tables(sample_result(TEMPLATES[version].years[0], seed=seed, version=version))["t3"]


def test_both_templates_normalise_to_the_same_rows_and_sums():
    for version in TEMPLATES:
        t3 = _t3(version, 4)
        norm = build_t3_normalised(t3)
        assert norm.schema.equals(T3_NORMALISED)
        assert norm.column("row").to_pylist() == list(normalised_rows())
        # column sums are preserved: folding only regroups rows
        for c in T3_COLUMNS:
            assert pa.compute.sum(norm.column(c.key)).as_py() == pa.compute.sum(t3.column(c.key)).as_py()
        # and the result total still equals the sum of the (normalised) leaves
        recs = {r["row"]: r for r in norm.to_pylist()}
        for c in T3_COLUMNS:
            leaves = sum(r[c.key] for r in recs.values() if r["row_kind"] == "leaf")
            assert leaves == recs["result_total"][c.key]


def test_sub_rows_are_summed_and_nulls_propagate():
    t3 = _t3("v2021", 7)
    recs = t3.to_pylist()
    subs = [r for r in recs if t3_row_map()[("v2021", r["row"])] != r["row"]]
    target = t3_row_map()[("v2021", subs[0]["row"])]
    norm = {r["row"]: r for r in build_t3_normalised(t3).to_pylist()}
    assert norm[target]["n_source_rows"] == len(subs) == 3
    for c in T3_COLUMNS:
        assert norm[target][c.key] == sum(r[c.key] for r in subs)
    subs[1]["natural_person"] = None
    norm = {r["row"]: r for r in build_t3_normalised(pa.Table.from_pylist(recs, schema=t3.schema)).to_pylist()}
    assert norm[target]["natural_person"] is None
    assert norm[target]["commercial"] == sum(r["commercial"] for r in subs)
