"""Row anchoring: printed label fragments → registry rows, whatever the wrapping and drift."""

from __future__ import annotations

import pytest

from gidar.extract.layout.rows import match_labels, targets_for
from gidar.extract.model import Word
from gidar.labels import normalise
from gidar.templates import G3, RESULTS, V2019, V2021

H = 10.0  # line height of the fake words


def w(text: str, x0: float, top: float, page: int = 1) -> Word:
    return Word(text, x0, top, x0 + H * len(text), top + H, page)


def t3_targets(tpl=V2021):
    groups = [r.group for r in tpl.t3_rows if r.group]
    return targets_for([(r.key, r.label, r.variants) for r in tpl.t3_rows], groups)


def keys(matches) -> list[str]:
    return [m.target.key for m in matches]


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [
        ("1、属于国家秘密", "1.属于国家秘密"),
        ("1．属于国家秘密", "1.属于国家秘密"),
        ("(三)不予公开", "（三）不予公开"),
        ("第二十条 第（一）项", "第二十条第（一）项"),
        ('3.危及"三安全一稳定"', "3.危及“三安全一稳定”"),
        ("商 业 企\n业", "商业企业"),
        ("（1）属于国家秘密", "1.属于国家秘密"),
        ("一．本年新收政府信息公开申请数量", "一、本年新收政府信息公开申请数量"),
    ],
)
def test_normalise_folds_drift(printed: str, canonical: str) -> None:
    assert normalise(printed) == normalise(canonical)


def test_wrapped_label_with_parent_printed_beside_it() -> None:
    # （三）不 / 予公开 sits in its own column, interleaved with the wrapped leaf label
    words = [
        w("2.其他法律行政法规禁止公", 180, 100),
        w("（三）不", 130, 104),
        w("开", 180, 112),
        w("予公开", 130, 116),
        w("3.危及“三安全一稳定”", 180, 130),
    ]
    m = match_labels(words, t3_targets())
    assert keys(m) == ["withheld_prohibited_by_law", G3, "withheld_three_safety"]
    assert m[0].gbottom == 122  # the span reaches the wrapped line


def test_vertical_one_char_per_line_parent_and_ambiguous_paren() -> None:
    # a vertical （三）不予公开: "（" alone could start many labels until the next piece decides
    chars = "（三）不予公开"
    words = [w(c, 100, 200 + 12 * i) for i, c in enumerate(chars)]
    words += [w("1.属于国家秘密", 120, 205), w("（七）总计", 60, 400)]
    m = match_labels(words, t3_targets())
    assert set(keys(m)) == {G3, "withheld_state_secret", "result_total"}


def test_brackets_of_a_vertical_label_below_are_no_note() -> None:
    # （二）部分公开（…情形） wrapped, and below it a narrower vertical （三）不予公开 cut by a page
    # break: its （ and ） sit in the label's x-range but enclose nothing, so they are no note of it
    words = [
        w("（二）部分公开（区分处理的，只计这一情形，不计其他情", 98, 410),
        w("形）", 212, 422),
        w("（", 99, 452),
        w("1、属于国家秘密", 190, 440),
        w("三", 96, 465),
        w("2、其他法律行政法规禁止公开", 160, 460),
        w("）", 99, 477),
        w("3、危及“三安全一稳定”", 170, 484),
    ]
    m = {x.target.key: x for x in match_labels(words, t3_targets())}
    assert [x.text for x in m["partially_granted"].words] == [words[0].text, "形）"]
    assert m["partially_granted"].gbottom == 432  # its span ends with its own text, above the next rows


def test_results_parent_label_vertical_beside_many_rows() -> None:
    words = [w(c, 50, 100 + 11 * i) for i, c in enumerate(RESULTS)]
    words += [
        w("（一）予以公开", 70, 102),
        w("（二）部分公开（区分处理的，只计这", 70, 125),
        w("一情形，不计其他情形）", 70, 136),
    ]
    m = match_labels(words, t3_targets())
    assert set(keys(m)) == {RESULTS, "granted", "partially_granted"}


def test_typo_variant_and_misread_piece() -> None:
    words = [w("2.其他法律行政止公开", 100, 100), w("3.危及“三安全一稳", 100, 120), w("走”", 100, 131)]
    m = match_labels(words, t3_targets())
    assert keys(m) == ["withheld_prohibited_by_law", "withheld_three_safety"]


def test_labels_glued_in_one_piece_and_a_misread_start() -> None:
    # one piece holding a whole label and the start of the next, then the rest of that one; a row whose
    # label starts misread (numbering agrees): the pieces that could start no label skip the search
    words = [w("（一）予以公开（二）部分", 100, 100), w("公开", 100, 111), w("1.属于国家秘蜜", 100, 140)]
    assert keys(match_labels(words, t3_targets())) == ["granted", "partially_granted", "withheld_state_secret"]


def test_label_split_across_pages() -> None:
    words = [w("1.本机关不掌握相关政府信", 100, 780, page=2), w("息", 100, 90, page=3)]
    m = match_labels(words, t3_targets())
    assert keys(m) == ["unavailable_not_held"]
    assert m[0].words[-1].page == 3


def test_template_specific_rows() -> None:
    words = [w("（六）其他处理", 60, 100), w("（七）总计", 60, 120)]
    assert keys(match_labels(words, t3_targets(V2019))) == ["other_handling", "result_total"]
    # in the 2021 format the same text is the parent of three sub-rows
    assert keys(match_labels(words, t3_targets(V2021))) == ["（六）其他处理", "result_total"]


def test_unrelated_text_matches_nothing() -> None:
    words = [w("（本列数据的勾稽关系为：第一项加第二项之和，", 60, 100), w("自然人", 300, 100), w("其他", 400, 100)]
    assert match_labels(words, t3_targets()) == []


def test_value_glued_to_its_label_is_split_off() -> None:
    from gidar.extract.layout.tables import unglue

    forms = {normalise("行政许可"), normalise("1.属于国家秘密")}
    out = unglue([w("行政许可273", 60, 100), w("政府信息1136", 60, 120), w("1、属于国家秘密\u30000", 60, 140)], forms)
    assert [x.text for x in out] == ["行政许可", "273", "政府信息1136", "1、属于国家秘密", "0"]
    assert out[0].x1 == out[1].x0


def test_distributed_label_words_on_one_line() -> None:
    # 分散对齐: one label spread over a wide cell as separate words with wide gaps
    words = [w("行", 60, 100), w("政", 90, 100), w("许", 120, 100), w("可", 150, 100)]
    targets = targets_for([("admin_license", "行政许可", ())])
    assert keys(match_labels(words, targets)) == ["admin_license"]


# --- labels as publishers bend them ----------------------------------------------------------


def t2_targets(tpl=V2019):
    return targets_for([(f"{b.key}.{r.key}", r.label, r.variants) for b in tpl.t2_blocks for r in tpl_rows(b)])


def tpl_rows(b):
    return b.rows


def test_long_hubei_labels_match_with_their_wrapped_note() -> None:
    words = [
        w("规章（设区的市、自治州", 60, 100),
        w("人民政府应提供相关数据）", 60, 111),
        w("规范性文件（行政机关制定", 60, 130),
        w("发布的…）", 60, 141),
    ]
    m = match_labels(words, t2_targets())
    assert keys(m) == ["art20_1.regulations", "art20_1.normative_docs"]
    assert m[0].gbottom == 121  # the row spans its note, where its values may sit


def test_a_note_never_swallows_the_next_row() -> None:
    # an unclosed note (its bracket lost) must not eat the label printed below it
    words = [w("规章（设区的市、自治州", 60, 100), w("规范性文件", 60, 111)]
    assert keys(match_labels(words, t2_targets())) == ["art20_1.regulations", "art20_1.normative_docs"]


def test_an_extra_row_is_no_template_row() -> None:
    # 其他主动公开文件 shares words with 规范性文件 but is none of the template's rows
    words = [w("规范性文件", 60, 100), w("其他主动公开文件（指除规章、规范性文件以外的其他文件）", 60, 120)]
    assert keys(match_labels(words, t2_targets())) == ["art20_1.normative_docs"]


def test_spaced_and_bracketed_variants() -> None:
    words = [w("规", 60, 100), w("章", 90, 100), w("规章（制度）", 60, 120)]
    # 规 章 spelt out is the row; the second 规章（制度） cannot take the same row again
    assert keys(match_labels(words, t2_targets())) == ["art20_1.regulations"]


def test_paren_numbered_input_rows_and_their_namesakes() -> None:
    # （一）本年新收… (for 一、) and （一）予以公开 both start with （一）; each finds its own row
    words = [
        w("（一）本年新收政府信息公开申请数量", 60, 100),
        w("（一）予以公开", 80, 130),
        w("（四）结转下年度继续办理", 60, 160),
    ]
    assert keys(match_labels(words, t3_targets())) == ["new_received", "granted", "carried_forward"]


def test_group_wording_variants() -> None:
    words = [w("（三）不予以公开", 60, 100), w("1.属于国家秘密", 120, 100)]
    assert set(keys(match_labels(words, t3_targets()))) == {G3, "withheld_state_secret"}


def test_header_variants_do_not_change_the_template_rows() -> None:
    # 2021 labels read against the 2019 rows: 行政规范性文件 is not the 2019 规范性文件
    words = [w("行政规范性文件", 60, 100)]
    assert keys(match_labels(words, t2_targets(V2019))) == []
    assert keys(match_labels(words, t2_targets(V2021))) == ["art20_1.normative_docs"]


def test_may_start_holds_for_every_label_a_match_finds() -> None:
    """`may_start` is what lets table 三's template be told without the 2021 matching: it must hold for a
    piece of every label the matcher finds, whichever way the label started."""
    from gidar.extract.layout.rows import may_start

    targets = t3_targets(V2021)
    cases = [
        [w("1.申请人无正当理由逾期不补正、行政机关不", 100, 100), w("再处理其政府信息公开申请", 100, 111)],
        [w("（六）其他处理3.其他", 100, 100)],  # a group label glued before the sub-row
        [w("3.其他（七）总计", 100, 100)],  # the sub-row glued before the next label
        # a misread start, the row expected next
        [
            w("5.要求行政机关确认或重新出具已获取信息", 100, 80),
            w("1.申请人无正当埋由逾期不补正、行政机关不再处理其政府信息公开申请", 100, 100),
        ],
    ]
    for words in cases:
        found = {m.target.key for m in match_labels(words, targets)}
        assert found & {"other_no_correction", "other_other"}
        for tg in targets:
            if tg.key in found:
                assert may_start([normalise(x.text) for x in words], tg, targets), tg.key
    (no_correction,) = [tg for tg in targets if tg.key == "other_no_correction"]
    assert not may_start([normalise(t) for t in ("1.属于国家秘密", "其他", "（六）其他处理")], no_correction, targets)


def _t3_words(tpl) -> list[Word]:
    """Table 三 as printed in ``tpl``'s format: each row's label and seven zeros on its line."""
    out = []
    for i, r in enumerate(tpl.t3_rows):
        out += [w(r.label, 60, 100 + 20 * i)] + [w("0", 400 + 30 * j, 100 + 20 * i) for j in range(7)]
    return out


def test_t3_template_skips_the_2021_matching_only_where_it_cannot_win() -> None:
    from gidar.extract.layout import tables

    for printed, hint, expected in ((V2019, V2019, V2019), (V2021, V2019, V2021), (V2019, V2021, V2021)):
        words = _t3_words(printed)
        tpl, (_, _, matches) = tables.t3_template(words, hint)
        assert tpl is expected
        assert keys(matches) == keys(tables._t3_match(words, expected)[2])
    subrows = {r.key for r in V2021.t3_rows} - {r.key for r in V2019.t3_rows}
    assert tables._startable_subrows(_t3_words(V2019), subrows) < 2  # the 2019 table: no 2021 matching
    assert tables._startable_subrows(_t3_words(V2021), subrows) == 3
