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
from gidar.dq import SEVERITIES
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
REGION_CODE = field("region_code", pa.string(), "County-level administrative code valid for the report year")
TEMPLATE = field("template", pa.string(), "Table template version the report follows: " + ", ".join(TEMPLATES))
KEYS = (REPORT_ID, REPORT_YEAR, REGION_CODE, TEMPLATE)

# --- reports -------------------------------------------------------------------------------

_METADATA_DESCRIPTIONS = {
    "agency": "Publishing body as printed in the title",
    "agency_type": "government | department | township",
    "unit": "Department or town name (null for a government report)",
    "region_code": REGION_CODE.metadata[DESCRIPTION].decode(),
    "region_name": "County-level unit name",
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
)

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
    field("value", VALUE_TYPE, "Numeric value as read (null: unreadable)"),
    field("raw", pa.string(), "Printed cell text, empty for a blank cell"),
    field("page", pa.int32(), "1-based page number"),
    field("x0", pa.float64(), "Cell box left, PDF points"),
    field("top", pa.float64(), "Cell box top, PDF points from the page top"),
    field("x1", pa.float64(), "Cell box right, PDF points"),
    field("bottom", pa.float64(), "Cell box bottom, PDF points from the page top"),
    field("conf", pa.float64(), "OCR confidence 0..1 (null for a text layer)"),
    field("flags", pa.list_(pa.string()), "Reading flags, e.g. blank_as_zero, ocr_low_conf"),
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
)
RUNS = _schema(
    "One row per pipeline run",
    field("run_id", pa.string(), "Run identifier (e.g. the Prefect flow-run id)", False),
    field("started_at", pa.timestamp("us", tz="UTC"), "Run start"),
    field("finished_at", pa.timestamp("us", tz="UTC"), "Run end (null while running)"),
    field("source", pa.string(), "What was ingested (folder, URL list, ...)"),
    field("counts", pa.string(), "JSON object of counts (reports by status, failures, ...)"),
)

# Tables holding rows of exactly one report each: replaced together by report_id.
REPORT_TABLES: dict[str, pa.Schema] = {"reports": REPORTS, "cells": CELLS, **T2, "t3": T3, "t4": T4}
ALL_TABLES: dict[str, pa.Schema] = {**REPORT_TABLES, "dq_results": DQ_RESULTS, "runs": RUNS}
