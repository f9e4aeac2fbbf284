"""Arrow schemas of every stored table, derived from the template registry.

This module is the single source of truth for column names, types and descriptions: the
Parquet lake (transform/lake.py) writes these schemas and the warehouse generates its DDL and
``COMMENT ON`` statements from them. Descriptions live in field metadata under ``description``;
a table's own description is in the schema metadata.
"""

from __future__ import annotations

import typing
from dataclasses import fields

import pyarrow as pa

from gidar.contract import Metadata
from gidar.dq import DQ_BASES, SEVERITIES
from gidar.templates import T3_COLUMNS, T4_COLUMNS, TEMPLATES, Column, Template

DESCRIPTION = b"description"

# Value cells are DOUBLE everywhere: counts are whole numbers, but a mis-read like "1.5" must
# stay visible to the integrality checks instead of being rounded or dropped here.
VALUE_TYPE = pa.float64()


def field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={DESCRIPTION: description.encode()})


def describe(f: pa.Field) -> str:
    return (f.metadata or {}).get(DESCRIPTION, b"").decode()


def table_description(schema: pa.Schema) -> str:
    return (schema.metadata or {}).get(DESCRIPTION, b"").decode()


def _schema(description: str, *fs: pa.Field) -> pa.Schema:
    return pa.schema(list(fs), metadata={DESCRIPTION: description.encode()})


# --- shared key columns --------------------------------------------------------------------

REPORT_ID = field("report_id", pa.string(), "sha256 of the source file (hex); one report = one file", False)
REPORT_YEAR = field("report_year", pa.int32(), "Statistics year of the report (not the publication year)")
REGION_CODE = field(
    "region_code",
    pa.string(),
    "Administrative code (GB/T 2260) valid for the report year, at the body's level: the county's for county"
    " and township bodies, the city's for prefecture-level bodies (320800), the province's (330000) for"
    " provincial ones; null when the name does not single one out",
)
TEMPLATE = field("template", pa.string(), "Table template version the report follows: " + ", ".join(TEMPLATES))
# In the cell and table rows: the template of the table the row belongs to (a 2021+ report may
# print table 二 in the 2019 layout; its table-二 rows then say v2019).
TABLE_TEMPLATE = field(
    "template",
    pa.string(),
    "Template the row's table was printed in: " + ", ".join(TEMPLATES) + " (table 二 may differ from the report's)",
)
KEYS = (REPORT_ID, REPORT_YEAR, REGION_CODE, TABLE_TEMPLATE)

# --- reports -------------------------------------------------------------------------------

_METADATA_DESCRIPTIONS = {
    "agency": "Publishing body as printed in the title",
    "agency_type": "government | department | township",
    "unit": "Department or town name (null for a government report)",
    "region_code": REGION_CODE.metadata[DESCRIPTION].decode(),
    "region_name": "Name of the unit of region_code (county, city or province)",
    "level": "Level of the body: province | prefecture | county | township (null: unknown)",
    "prefecture": "Prefecture-level city",
    "province": "Province",
    "report_year": REPORT_YEAR.metadata[DESCRIPTION].decode(),
    "title": "Printed title, lines joined",
    "template": "Template named by the metadata reader (see column template for the one used)",
}
_PY_TO_ARROW: dict[type, pa.DataType] = {str: pa.string(), int: pa.int32(), float: pa.float64(), bool: pa.bool_()}
# Top-level ExtractionResult fields that a metadata field of the same name would shadow.
_TOP_LEVEL = {"template"}


def metadata_column(name: str) -> str:
    """Column name of a Metadata field in ``reports`` (prefixed where it clashes)."""
    return f"metadata_{name}" if name in _TOP_LEVEL else name


def _metadata_fields() -> list[pa.Field]:
    hints = typing.get_type_hints(Metadata)
    out = []
    for f in fields(Metadata):
        base = next(a for a in typing.get_args(hints[f.name]) if a is not type(None))
        desc = _METADATA_DESCRIPTIONS.get(f.name, f"Report metadata: {f.name}")
        out.append(field(metadata_column(f.name), _PY_TO_ARROW[base], desc))
    return out


REPORTS = _schema(
    "One row per source file: reading status, metadata, lineage and counts",
    REPORT_ID,
    field("source", pa.string(), "Path of the source file when it was read"),
    field("file_name", pa.string(), "File name of the source"),
    field("status", pa.string(), "Reading status (ok, uncertain, empty, not_pdf, unreadable, ...)", False),
    field("message", pa.string(), "Human-readable reason for the status"),
    TEMPLATE,
    field("quality", pa.string(), "Reading verdict: consistent | publisher_violations | uncertain | unread"),
    field("review", pa.list_(pa.string()), "Keys of cells that need a human look"),
    *_metadata_fields(),
    field("n_pages", pa.int32(), "Number of pages of the PDF"),
    field("text_layer", pa.bool_(), "Whether the PDF has a usable text layer"),
    field("method", pa.string(), "How the tables were read: text | ocr"),
    field("backend", pa.string(), "PDF reader that read the file: pdfium | pdfplumber (null: never opened)"),
    field("seconds", pa.float64(), "Extraction time in seconds"),
    field("parser_version", pa.string(), "Version of the extractor that produced the data"),
    field("narrative", pa.string(), "Text of section 一 (总体情况)"),
    field("extracted_at", pa.timestamp("us", tz="UTC"), "When these rows were built"),
    field("n_cells", pa.int32(), "Number of cells read (including unreadable ones)"),
    field("n_values", pa.int32(), "Number of cells with a numeric value"),
    field("n_review", pa.int32(), "Number of cells flagged for review"),
    field("n_violations", pa.int32(), "Invariant violations found by the extractor (the findings are in dq_results)"),
    *(
        field(f"{t}_template", pa.string(), f"Template table {n} was read with (null: not read)")
        for t, n in (("t2", "二"), ("t3", "三"), ("t4", "四"))
    ),
    field("blank_tables", pa.list_(pa.string()), "Tables printed without one value (an unfilled template): t2/t3/t4"),
    field("n_extra_cells", pa.int32(), "Cells printed in rows the template does not have (see extra_cells)"),
    field("n_unconfirmed", pa.int32(), "Broken identities not blamed on the publisher: cells not read cleanly"),
)
# Added by migration 0005_template_bends (reports read before it have them null).
BEND_REPORT_COLUMNS = ("t2_template", "t3_template", "t4_template", "blank_tables", "n_extra_cells", "n_unconfirmed")

# --- cells ---------------------------------------------------------------------------------

CELLS = _schema(
    "One row per table cell of a report (long format) with its position in the PDF",
    *KEYS,
    field("table", pa.string(), "t2 | t3 | t4"),
    field("block", pa.string(), "Table-二 block or table-四 block key (null for table 三)"),
    field("row", pa.string(), "Row key (null for table 四, whose blocks are rows)"),
    field("col", pa.string(), "Column key"),
    field("key", pa.string(), "Flat registry key, e.g. t3.granted.total", False),
    field("seq", pa.int32(), "Printed order of the key in its template (null: key not in the template)"),
    field("value_type", pa.string(), "count | signed | money (null: key not in the template)"),
    field("value", VALUE_TYPE, "Numeric value as printed (null: unreadable, or its table was left blank)"),
    field("unit", pa.string(), "Unit as printed in the cell or its column header (元, 万元, 宗…); never converted"),
    field("raw", pa.string(), "Printed cell text, empty for a blank cell"),
    field("page", pa.int32(), "1-based page number"),
    field("x0", pa.float64(), "Cell box left, PDF points"),
    field("top", pa.float64(), "Cell box top, PDF points from the page top"),
    field("x1", pa.float64(), "Cell box right, PDF points"),
    field("bottom", pa.float64(), "Cell box bottom, PDF points from the page top"),
    field("conf", pa.float64(), "OCR confidence 0..1 (null for a text layer)"),
    field("flags", pa.list_(pa.string()), "Reading flags, e.g. blank_as_zero, ocr_low_conf"),
)

EXTRA_CELLS = _schema(
    "One row per value printed in a row the template does not have (table 二's 其他主动公开文件（…）)",
    *KEYS,
    field("table", pa.string(), "t2 | t3 | t4"),
    field("block", pa.string(), "Template block the row was printed in"),
    field("col", pa.string(), "Template column the value sits under"),
    field("label", pa.string(), "Row label as printed"),
    field("value", VALUE_TYPE, "Numeric value as printed (null: unreadable)"),
    field("unit", pa.string(), "Unit as printed (元, 万元, 宗…)"),
    field("raw", pa.string(), "Printed cell text"),
    field("page", pa.int32(), "1-based page number"),
    field("x0", pa.float64(), "Cell box left, PDF points"),
    field("top", pa.float64(), "Cell box top, PDF points from the page top"),
    field("x1", pa.float64(), "Cell box right, PDF points"),
    field("bottom", pa.float64(), "Cell box bottom, PDF points from the page top"),
    field("flags", pa.list_(pa.string()), "Reading flags"),
)

# --- wide tables ---------------------------------------------------------------------------


def _value_field(key: str, uses: list[tuple[str, Column]]) -> pa.Field:
    """A value column; its description names every block that uses it (labels differ)."""
    parts = []
    for where, c in uses:
        text = f"{where} {c.label}".strip() + f" [{c.value_type}]"
        parts.append(text + (f" ({c.description})" if c.description else ""))
    return field(key, VALUE_TYPE, "; ".join(dict.fromkeys(parts)))


def t2_table_name(t: Template) -> str:
    return f"t2_{t.version}"


def _t2_schema(t: Template) -> pa.Schema:
    uses: dict[str, list[tuple[str, Column]]] = {}
    for b in t.t2_blocks:
        for c in b.columns:
            uses.setdefault(c.key, []).append((b.label, c))
    return _schema(
        f"{t.t2_title} ({t.version}): one row per report × block × row; columns a block lacks are null",
        *KEYS,
        field("block", pa.string(), "Block key (第二十条 item)", False),
        field("row", pa.string(), "Row key", False),
        field("block_order", pa.int32(), "Printed order of the block"),
        field("row_order", pa.int32(), "Printed order of the row within its block"),
        *(_value_field(k, u) for k, u in uses.items()),
    )


def _t3_like(description: str, row_description: str) -> pa.Schema:
    return _schema(
        description,
        *KEYS,
        field("row", pa.string(), row_description, False),
        field("row_order", pa.int32(), "Printed order of the row"),
        field("row_kind", pa.string(), "input | leaf | result_total | carry"),
        *(_value_field(c.key, [("", c)]) for c in T3_COLUMNS),
    )


T2: dict[str, pa.Schema] = {t2_table_name(t): _t2_schema(t) for t in TEMPLATES.values()}
_ANY = next(iter(TEMPLATES.values()))
T3 = _t3_like(f"{_ANY.t3_title}: one row per report × row, one column per applicant type", "Row key")
T3_NORMALISED = _t3_like(
    f"{_ANY.t3_title}, comparable across templates: sub-rows of a row that another template prints"
    " as one row are summed into it (null if any part is null)",
    "Normalised row key",
).append(field("n_source_rows", pa.int32(), "How many printed rows were summed into this row"))
T4 = _schema(
    f"{_ANY.t4_title}: one row per report × block",
    *KEYS,
    field("block", pa.string(), "Block key", False),
    field("block_order", pa.int32(), "Printed order of the block"),
    *(_value_field(c.key, [("", c)]) for c in T4_COLUMNS),
)

# --- data quality and runs (written by expectations/ and flows/, stored by warehouse/) ------

DQ_RESULTS = _schema(
    "One row per evaluated data-quality rule instance (per report, or cross-report with null report_id)",
    field("report_id", pa.string(), "Report checked; null for a cross-report check"),
    field("run_id", pa.string(), "Pipeline run that produced the result"),
    field("rule", pa.string(), "Rule (expectation or SQL check) name", False),
    field("invariant", pa.string(), "Registry invariant name, if the rule encodes one"),
    field("suite", pa.string(), "Expectation suite or check group"),
    field("table_name", pa.string(), "Table checked (t2, t3, t4, cells, ...)"),
    field("row_key", pa.string(), "Row or block key the result is about"),
    field("col_key", pa.string(), "Column key the result is about"),
    field("severity", pa.string(), " | ".join(SEVERITIES), False),
    field("passed", pa.bool_(), "Whether the rule held", False),
    field("observed", pa.string(), "Observed value, as text"),
    field("expected", pa.string(), "Expected value or condition, as text"),
    field("lhs", pa.float64(), "Left side of an identity"),
    field("rhs", pa.float64(), "Right side of an identity"),
    field("cells", pa.string(), "Involved cells: JSON list of {report_id, key, page, bbox}"),
    field("description", pa.string(), "Human-readable explanation"),
    field("checked_at", pa.timestamp("us", tz="UTC"), "When the rule was evaluated"),
    field(
        "basis",
        pa.string(),
        " | ".join(DQ_BASES) + ": the cell values the rule saw — as read by the extractor, or with the report's"
        " active human corrections in place (GX re-run after a correction; these replace the report's as_read rows"
        " in dq_effective and the views built on it)",
    ),
)
RUNS = _schema(
    "One row per pipeline run",
    field("run_id", pa.string(), "Run identifier (e.g. the Prefect flow-run id)", False),
    field("started_at", pa.timestamp("us", tz="UTC"), "Run start"),
    field("finished_at", pa.timestamp("us", tz="UTC"), "Run end (null while running)"),
    field("source", pa.string(), "What was ingested (folder, URL list, ...)"),
    field("counts", pa.string(), "JSON object of counts (reports by status, failures, ...)"),
)

# --- analyst tables: regions, bodies, harmonised facts, human corrections (warehouse/derived.py) ---------

DIM_REGION = _schema(
    "Administrative units (GB/T 2260): provinces, prefecture-level cities and county-level units with their parent"
    " and validity in report years; a code is unique per level (东莞市 441900 is a city and its own county unit)",
    field("code", pa.string(), "6-digit code (province 330000, city 330900, county 330922)", False),
    field("name", pa.string(), "Name, e.g. 嵊泗县", False),
    field("level", pa.string(), "province | prefecture | county", False),
    field("parent_code", pa.string(), "Code of the city (for a county) or province (for a city); null for a province"),
    field("prefecture_code", pa.string(), "Code of the prefecture-level city (a county's parent; a city itself)"),
    field("province_code", pa.string(), "Code of the province, e.g. 330000", False),
    field("kind", pa.string(), "省/直辖市/自治区, 地级市/自治州/…, 市辖区/县级市/县/自治县/…"),
    field("valid_from", pa.int32(), "First report year the unit exists in (null: before the recorded history)"),
    field("valid_to", pa.int32(), "Last report year the unit exists in (null: still exists)"),
)
REPORT_BODIES = _schema(
    "One row per report: its reporting body (body_id), level and whether it counts in the rollups",
    REPORT_ID,
    field(
        "body_id",
        pa.string(),
        "Stable body id: '<region_code>:<name without place prefixes>' after NFKC (full-width brackets → ASCII),"
        " 办公厅 → 办公室 and 政府… → 人民政府…; '?:<name>' when the region is unknown",
    ),
    field("body_name", pa.string(), "The agency name as printed (latest report wins in dim_body)"),
    field("agency_type", pa.string(), "government | department | township"),
    field("level", pa.string(), "province | prefecture | county | township"),
    REGION_CODE,
    REPORT_YEAR,
    field("status", pa.string(), "Reading status of the report"),
    field("n_review", pa.int32(), "Cells the extractor put in review"),
    field("n_review_open", pa.int32(), "Review cells without a correction"),
    field("n_corrections", pa.int32(), "Cells with an active human correction"),
    field(
        "counted",
        pa.bool_(),
        "Counts in the rollup views: status ok, or status uncertain with every review cell corrected",
    ),
)


def _fact(description: str, *fs: pa.Field) -> pa.Schema:
    return _schema(
        description + ". value = the human correction if there is one, else the value read",
        REPORT_ID,
        field("body_id", pa.string(), "Reporting body (dim_body)"),
        REGION_CODE,
        REPORT_YEAR,
        TEMPLATE,
        *fs,
        field("value", VALUE_TYPE, "The value: corrected if corrected, else as read (null: unreadable)"),
        field("extracted_value", VALUE_TYPE, "The value as read by the extractor"),
        field("corrected", pa.bool_(), "Whether a human correction replaced the value read"),
        field("counted", pa.bool_(), "Whether the report counts in the rollups (report_bodies.counted)"),
        field("key", pa.string(), "Flat cell key: joins cells (page, box) and corrections", False),
        field("page", pa.int32(), "1-based page of the printed cell"),
        field("raw", pa.string(), "Printed cell text"),
    )


FACT_APPLICATIONS = _fact(
    f"{_ANY.t3_title}, long and harmonised across templates: one row per printed cell; rows another template"
    " prints as one (v2021 （六） sub-rows) share its row key, so sum value over row",
    field("row", pa.string(), "Harmonised row key (v2019 names; v2021 other_* rows → other_handling)", False),
    field("row_order", pa.int32(), "Order of the harmonised row"),
    field("src_row", pa.string(), "Row key as printed in this template", False),
    field(
        "measure",
        pa.string(),
        "received | carried_over | granted | partially_granted | withheld | unavailable | not_processed | other"
        " | result_total | carried_forward",
    ),
    field("applicant", pa.string(), "Applicant column: " + ", ".join(c.key for c in T3_COLUMNS), False),
)
FACT_REVIEW_LITIGATION = _fact(
    f"{_ANY.t4_title}, long: one row per printed cell",
    field("block", pa.string(), "review | litigation_direct | litigation_after_review", False),
    field("outcome", pa.string(), "Outcome column: " + ", ".join(c.key for c in T4_COLUMNS), False),
)


def _proactive(t: Template) -> pa.Schema:
    return _fact(
        f"{t.t2_title} ({t.version}), long: one row per printed cell; not comparable with the other template",
        field("block", pa.string(), "Block key (第二十条 item)", False),
        field("row", pa.string(), "Row key", False),
        field("col", pa.string(), "Column key", False),
        field("value_type", pa.string(), "count | signed | money"),
    )


FACT_PROACTIVE: dict[str, pa.Schema] = {f"fact_proactive_{t.version}": _proactive(t) for t in TEMPLATES.values()}
CORRECTIONS = _schema(
    "Human corrections of cell values, never deleted (the latest per report and key is the active one)",
    field("correction_id", pa.string(), "Unique id of the correction", False),
    field("report_id", pa.string(), "Report corrected", False),
    field("key", pa.string(), "Flat cell key corrected, e.g. t3.granted.total", False),
    field("old_value", VALUE_TYPE, "Value read by the extractor when the correction was made"),
    field("old_raw", pa.string(), "Printed text read when the correction was made"),
    field("new_value", VALUE_TYPE, "Value the person settled on", False),
    field("reason", pa.string(), "Why (e.g. 'page 3 reads 3,977; wrapped in the cell')", False),
    field("corrected_by", pa.string(), "Who made the correction", False),
    field("corrected_at", pa.timestamp("us", tz="UTC"), "When", False),
    field("origin", pa.string(), "cli, or the corrections CSV it came from"),
    field("active", pa.bool_(), "Whether this is the latest correction of its report and key"),
    field("flagged", pa.bool_(), "The corrected values break a template invariant (kept, but flagged)"),
    field("flag_reason", pa.string(), "The invariants broken, in words"),
    field("validated_at", pa.timestamp("us", tz="UTC"), "When the correction was last re-validated"),
)

_ROLLUP_KEYS = (
    REPORT_ID,
    field("body_id", pa.string(), "Reporting body (dim_body)"),
    REGION_CODE,
    REPORT_YEAR,
    field("counted", pa.bool_(), "Whether the report counts in the rollups (report_bodies.counted)", False),
)
# Measure columns of the per-report rollup bases; the names are those of the rollup views.
APPLICATION_MEASURES = (
    "received", "carried_over", "granted", "partially_granted", "withheld", "unavailable", "not_processed", "other",
    "carried_forward", "processed",
)  # fmt: skip
REPORT_APPLICATIONS = _schema(
    "Per report, table 三's 总计 column summed by measure (from fact_applications; corrected values): the base"
    " of the applications_by_* views, so a province-wide rollup reads one row per report",
    *_ROLLUP_KEYS,
    *(field(m, VALUE_TYPE, f"Sum of the {m} rows, 总计 column") for m in APPLICATION_MEASURES),
)
REPORT_REVIEW_LITIGATION = _schema(
    "Per report, table 四 as one row (from fact_review_litigation; corrected values): the base of the"
    " review_litigation_by_* views",
    *_ROLLUP_KEYS,
    *(field(f"{b.key}_{c.key}", VALUE_TYPE, f"{b.label} {c.label}") for b in _ANY.t4_blocks for c in T4_COLUMNS),
)

ANALYST_TABLES: dict[str, pa.Schema] = {
    "dim_region": DIM_REGION,
    "report_bodies": REPORT_BODIES,
    "fact_applications": FACT_APPLICATIONS,
    "fact_review_litigation": FACT_REVIEW_LITIGATION,
    **FACT_PROACTIVE,
    "report_applications": REPORT_APPLICATIONS,
    "report_review_litigation": REPORT_REVIEW_LITIGATION,
    "corrections": CORRECTIONS,
}

# Tables holding rows of exactly one report each: replaced together by report_id.
REPORT_TABLES: dict[str, pa.Schema] = {
    "reports": REPORTS,
    "cells": CELLS,
    **T2,
    "t3": T3,
    "t4": T4,
    "extra_cells": EXTRA_CELLS,
}
ALL_TABLES: dict[str, pa.Schema] = {**REPORT_TABLES, "dq_results": DQ_RESULTS, "runs": RUNS, **ANALYST_TABLES}
