"""The two national table templates of the annual report, as data.

Everything downstream is derived from this module: the flat value keys of `gidar extract`
(``t2.<block>.<row>.<col>``, ``t3.<row>.<col>``, ``t4.<block>.<col>``), label matching in
extract/, Parquet schemas in transform/, the GX suites in expectations/ and the warehouse
views. Keys and invariant names are the output contract of the truth files (docs/truth-format.md).

Labels are the canonical printed text (full-width parentheses, ``1.`` numbering); ``variants``
lists drift seen in real reports. Matching normalises width and punctuation first
(`gidar.labels.normalise`), so variants only need to cover wording, not punctuation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from gidar.keys import Key, TableKey

ValueType = Literal["count", "signed", "money"]
RowKind = Literal["input", "leaf", "result_total", "carry"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value_type: ValueType = "count"
    variants: tuple[str, ...] = ()
    description: str = ""
    unit: str | None = None  # the unit the template asks for (money), None where it names none


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    variants: tuple[str, ...] = ()
    kind: RowKind = "leaf"
    group: str | None = None  # merged parent label printed to the left, e.g. （三）不予公开


@dataclass(frozen=True)
class Block:
    """A table-二 sub-table (one 第二十条 item) or a table-四 block."""

    key: str
    label: str
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    variants: tuple[str, ...] = ()
    group: str | None = None


@dataclass(frozen=True)
class Invariant:
    """A named family of linear identities ``sum(lhs) == sum(rhs)``; instances come from
    `identities()`."""

    name: str
    table: TableKey
    severity: Literal["critical", "warning"]
    description: str


@dataclass(frozen=True)
class Identity:
    """One concrete instance of an invariant: which cells, and where to report it."""

    invariant: str
    table: TableKey
    row: str | None
    col: str | None
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    version: Literal["v2019", "v2021"]
    years: tuple[int, int | None]  # first and last report year (None: still current)
    document: str
    t2_title: str
    t2_blocks: tuple[Block, ...]
    t3_title: str
    t3_columns: tuple[Column, ...]
    t3_rows: tuple[Row, ...]
    t4_title: str
    t4_columns: tuple[Column, ...]
    t4_blocks: tuple[Block, ...]
    markers: tuple[str, ...] = field(default=())  # labels that only this version prints

    # --- derived views -------------------------------------------------------------------
    # Templates are frozen and their derived views are asked for by every report read and checked: each is
    # built once per template (`cached_property` stores it beside the fields, no hashing of the template).
    def value_keys(self, table: TableKey | None = None) -> list[str]:
        return list(self._value_keys.get(table, ()))

    @cached_property
    def _value_keys(self) -> dict[TableKey | None, tuple[str, ...]]:
        return {t: tuple(k for k, _ in self.cells(t)) for t in (None, "t2", "t3", "t4")}

    def cells(self, table: TableKey | None = None) -> Iterator[tuple[str, ValueType]]:
        """Every numeric cell as (flat key, value type), in printed order."""
        if table in (None, "t2"):
            for b in self.t2_blocks:
                for r in b.rows:
                    for c in b.columns:
                        yield str(Key.t2(b.key, r.key, c.key)), c.value_type
        if table in (None, "t3"):
            for r in self.t3_rows:
                for c in self.t3_columns:
                    yield str(Key.t3(r.key, c.key)), c.value_type
        if table in (None, "t4"):
            for b in self.t4_blocks:
                for c in self.t4_columns:
                    yield str(Key.t4(b.key, c.key)), c.value_type

    def t3_row(self, key: str) -> Row:
        return next(r for r in self.t3_rows if r.key == key)

    def identities(self) -> list[Identity]:
        return list(self._identity_tuple)

    @cached_property
    def _identity_tuple(self) -> tuple[Identity, ...]:
        return tuple(_identities(self))


# --- shared pieces -------------------------------------------------------------------------

T3_COLUMNS = (
    Column("natural_person", "自然人", description="Applications from natural persons"),
    Column("commercial", "商业企业", description="Legal persons: commercial enterprises"),
    Column("research", "科研机构", description="Legal persons: research institutions"),
    Column("social_welfare", "社会公益组织", description="Legal persons: social welfare bodies"),
    Column("legal_service", "法律服务机构", description="Legal persons: legal service bodies"),
    Column("other_org", "其他", description="Legal persons: other organisations"),
    Column("total", "总计", description="Row total of the six applicant columns"),
)
T3_APPLICANT_COLUMNS = tuple(c.key for c in T3_COLUMNS if c.key != "total")

RESULTS = "三、本年度办理结果"
G3, G4, G5, G6 = "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理"
# Wording variants of the merged parent labels (不予以公开 for 不予公开 and the like).
GROUP_VARIANTS: dict[str, tuple[str, ...]] = {G3: ("（三）不予以公开",), G5: ("（五）不予以处理",)}

T3_HEAD = (
    Row("new_received", "一、本年新收政府信息公开申请数量", kind="input"),
    Row("carried_over", "二、上年结转政府信息公开申请数量", kind="input"),
    Row("granted", "（一）予以公开", group=RESULTS),
    Row(
        "partially_granted",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        variants=("（二）部分公开",),
        group=RESULTS,
    ),
    Row("withheld_state_secret", "1.属于国家秘密", group=G3),
    Row(
        "withheld_prohibited_by_law",
        "2.其他法律行政法规禁止公开",
        variants=("2.其他法律行政止公开", "2.其他法律法规禁止公开"),
        group=G3,
    ),
    Row("withheld_three_safety", "3.危及“三安全一稳定”", variants=("3.危及三安全一稳定",), group=G3),
    Row("withheld_third_party", "4.保护第三方合法权益", group=G3),
    Row("withheld_internal_affairs", "5.属于三类内部事务信息", group=G3),
    Row("withheld_process_info", "6.属于四类过程性信息", group=G3),
    Row("withheld_enforcement_file", "7.属于行政执法案卷", group=G3),
    Row("withheld_query_matter", "8.属于行政查询事项", group=G3),
    Row("unavailable_not_held", "1.本机关不掌握相关政府信息", group=G4),
    Row("unavailable_needs_creation", "2.没有现成信息需要另行制作", group=G4),
    Row("unavailable_unclear", "3.补正后申请内容仍不明确", group=G4),
    Row("not_processed_petition", "1.信访举报投诉类申请", group=G5),
    Row("not_processed_duplicate", "2.重复申请", group=G5),
    Row("not_processed_publication", "3.要求提供公开出版物", group=G5),
    Row("not_processed_mass_repeat", "4.无正当理由大量反复申请", group=G5),
    Row("not_processed_confirmation", "5.要求行政机关确认或重新出具已获取信息", group=G5),
)
T3_TAIL = (
    Row("result_total", "（七）总计", kind="result_total", group=RESULTS),
    Row("carried_forward", "四、结转下年度继续办理", kind="carry"),
)

T4_COLUMNS = (
    Column("upheld", "结果维持"),
    Column("corrected", "结果纠正"),
    Column("other", "其他结果"),
    Column("pending", "尚未审结"),
    Column("total", "总计"),
)
T4_BLOCKS = (
    Block("review", "行政复议", rows=(), columns=T4_COLUMNS),
    Block("litigation_direct", "未经复议直接起诉", rows=(), columns=T4_COLUMNS, group="行政诉讼"),
    Block("litigation_after_review", "复议后起诉", rows=(), columns=T4_COLUMNS, group="行政诉讼"),
)

T2_TITLE = "二、主动公开政府信息情况"
T3_TITLE = "三、收到和处理政府信息公开申请情况"
T4_TITLE = "四、政府信息公开行政复议、行政诉讼情况"
# Section 五 follows the last table; variants insert words ("五、政府信息公开工作存在的主要问题…").
SECTION5_TITLE = "五、存在的主要问题及改进情况"
SECTION5_CORE = "存在的主要问题"

_PREV = Column("prev_count", "上一年项目数量")
# 本年数量 and the cut-off 本年增/ are printed headers of real 2019-format tables.
_CHANGE = Column("change", "本年增/减", value_type="signed", variants=("本年增减", "本年数量", "本年增/"))
_DECISIONS_2019 = Column("decisions", "处理决定数量")

V2019 = Template(
    version="v2019",
    years=(2019, 2020),
    document="《中华人民共和国政府信息公开工作年度报告格式（试行）》国办公开办函〔2019〕60号",
    t2_title=T2_TITLE,
    t2_blocks=(
        Block(
            "art20_1",
            "第二十条第（一）项",
            rows=(Row("regulations", "规章"), Row("normative_docs", "规范性文件")),
            # Both 本年新… headers are seen cut off to 本年新: the printed order tells them apart.
            columns=(
                Column("new_made", "本年新制作数量", variants=("本年新",)),
                Column("new_published", "本年新公开数量", variants=("本年新",)),
                Column("total_published", "对外公开总数量"),
            ),
        ),
        Block(
            "art20_5",
            "第二十条第（五）项",
            rows=(Row("admin_license", "行政许可"), Row("other_services", "其他对外管理服务事项")),
            columns=(_PREV, _CHANGE, _DECISIONS_2019),
        ),
        Block(
            "art20_6",
            "第二十条第（六）项",
            rows=(Row("admin_penalty", "行政处罚"), Row("admin_coercion", "行政强制")),
            columns=(_PREV, _CHANGE, _DECISIONS_2019),
        ),
        Block(
            "art20_8",
            "第二十条第（八）项",
            rows=(Row("admin_fees", "行政事业性收费"),),
            columns=(_PREV, _CHANGE),
        ),
        Block(
            "art20_9",
            "第二十条第（九）项",
            rows=(Row("gov_procurement", "政府集中采购"),),
            columns=(
                Column("count", "采购项目数量"),
                Column(
                    "amount", "采购总金额", value_type="money", description="Unit as printed (often 元, none named)"
                ),
            ),
        ),
    ),
    t3_title=T3_TITLE,
    t3_columns=T3_COLUMNS,
    t3_rows=(*T3_HEAD, Row("other_handling", "（六）其他处理", group=RESULTS), *T3_TAIL),
    t4_title=T4_TITLE,
    t4_columns=T4_COLUMNS,
    t4_blocks=T4_BLOCKS,
    markers=(
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "上一年项目数量",
        "第二十条第（九）项",
        "政府集中采购",
    ),
)

_DECISIONS_2021 = Column("decisions", "本年处理决定数量")

V2021 = Template(
    version="v2021",
    years=(2021, None),
    document="《中华人民共和国政府信息公开工作年度报告格式》国办公开办函〔2021〕30号",
    t2_title=T2_TITLE,
    t2_blocks=(
        Block(
            "art20_1",
            "第二十条第（一）项",
            rows=(
                Row("regulations", "规章"),
                Row("normative_docs", "行政规范性文件", variants=("规范性文件",)),
            ),
            columns=(
                Column("issued", "本年制发件数", variants=("本年发件",)),
                Column("repealed", "本年废止件数"),
                Column("in_force", "现行有效件数", variants=("现行有效件",)),
            ),
        ),
        Block("art20_5", "第二十条第（五）项", rows=(Row("admin_license", "行政许可"),), columns=(_DECISIONS_2021,)),
        Block(
            "art20_6",
            "第二十条第（六）项",
            rows=(Row("admin_penalty", "行政处罚"), Row("admin_coercion", "行政强制")),
            columns=(_DECISIONS_2021,),
        ),
        Block(
            "art20_8",
            "第二十条第（八）项",
            rows=(Row("admin_fees", "行政事业性收费"),),
            columns=(
                Column(
                    "fee_amount",
                    "本年收费金额（单位：万元）",
                    value_type="money",
                    variants=("本年收费金额",),
                    description="万元",
                    unit="万元",
                ),
            ),
        ),
    ),
    t3_title=T3_TITLE,
    t3_columns=T3_COLUMNS,
    t3_rows=(
        *T3_HEAD,
        Row(
            "other_no_correction",
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            variants=("1.申请人无正当理由逾期不补正，行政机关不再处理其政府信息公开申请",),
            group=G6,
        ),
        Row(
            "other_no_fee",
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            variants=("2.申请人逾期未按收费通知要求缴纳费用，行政机关不再处理其政府信息公开申请",),
            group=G6,
        ),
        Row("other_other", "3.其他", group=G6),
        *T3_TAIL,
    ),
    t4_title=T4_TITLE,
    t4_columns=T4_COLUMNS,
    t4_blocks=T4_BLOCKS,
    markers=("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额", "单位：万元"),
)

TEMPLATES: dict[str, Template] = {t.version: t for t in (V2019, V2021)}


def template_for_year(year: int) -> Template:
    """The template a report of this statistics year must follow (2019 format up to 2020)."""
    return V2019 if year <= 2020 else V2021


# --- invariants ----------------------------------------------------------------------------

INVARIANTS: dict[str, Invariant] = {
    i.name: i
    for i in (
        Invariant("t3_row_total", "t3", "critical", "三表每行：总计 = 六类申请人之和"),
        Invariant("t3_result_total", "t3", "critical", "三表每列：（七）总计 = 各办理结果之和"),
        Invariant("t3_balance", "t3", "critical", "三表每列：一 + 二 = 三（七）总计 + 四（本列数据的勾稽关系）"),
        Invariant("t4_block_total", "t4", "critical", "四表每块：总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结"),
    )
}


def _identities(t: Template) -> Iterator[Identity]:
    leaves = [r.key for r in t.t3_rows if r.kind == "leaf"]
    for r in t.t3_rows:
        yield Identity(
            "t3_row_total",
            "t3",
            r.key,
            "total",
            (str(Key.t3(r.key, "total")),),
            tuple(str(Key.t3(r.key, c)) for c in T3_APPLICANT_COLUMNS),
        )
    for c in T3_COLUMNS:
        yield Identity(
            "t3_result_total",
            "t3",
            "result_total",
            c.key,
            (str(Key.t3("result_total", c.key)),),
            tuple(str(Key.t3(r, c.key)) for r in leaves),
        )
    for c in T3_COLUMNS:
        yield Identity(
            "t3_balance",
            "t3",
            None,
            c.key,
            (str(Key.t3("new_received", c.key)), str(Key.t3("carried_over", c.key))),
            (str(Key.t3("result_total", c.key)), str(Key.t3("carried_forward", c.key))),
        )
    for b in t.t4_blocks:
        yield Identity(
            "t4_block_total",
            "t4",
            b.key,
            "total",
            (str(Key.t4(b.key, "total")),),
            tuple(str(Key.t4(b.key, c.key)) for c in T4_COLUMNS if c.key != "total"),
        )


# --- what publishers add to labels and cells without changing their meaning ------------------
# Matching compares normalised text (`gidar.labels.normalise`: ASCII brackets, no spaces), so these
# patterns are written for normalised text.
# A year put inside a label: 本年（2023）制发件数, 本年(2023年)新制作数量.
LABEL_INSERTIONS: tuple[str, ...] = (r"\(\d{4}年?度?\)",)
# An explanation in brackets after a complete label: 规章（设区的市、自治州人民政府应提供相关数据）,
# 规章（制度）, 上一年项目数量（指2019年事项数）, 本年增/减（…减用负值表示，如-8）. It may wrap over
# several lines and holds anything but a closing bracket.
LABEL_NOTE_BRACKETS = ("(", ")")
# Units printed inside a value cell or after a header label (longest first: 万元 before 元).
CELL_UNITS: tuple[str, ...] = ("万元", "元", "宗", "件", "个", "项", "条", "次", "人")


# --- printed header text without a value key (used by gidar_dev.synth to print the tables) -----
T2_CONTENT_HEADER = "信息内容"
T3_APPLICANT_HEADER = "申请人情况"
T3_LEGAL_PERSON_HEADER = "法人或其他组织"
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

# --- soft rules on table 二 (docs/domain.md §3.2): the registry keys each one reads ----------------
# T2-A: block and row of 规章; T2-D: 本年新公开数量 and 对外公开总数量 (2019); T2-E: the 万元 fee column (2021).
SOFT_RULE_KEYS: dict[str, tuple[str, ...]] = {
    "t2a_regulations_below_prefecture": ("art20_1", "regulations"),
    "t2d_new_published_le_total": ("new_published", "total_published"),
    "t2e_fee_plausible_wan_yuan": ("fee_amount",),
}
