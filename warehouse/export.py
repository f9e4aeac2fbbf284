"""`gidar export`: one table or view to CSV (UTF-8 with BOM, for Excel on Chinese Windows), XLSX (Chinese
header labels from the registry) or Parquet.

The query runs on the locked read-only reader connection (no file access inside SQL); the file is written
by Python, only at the path the user gave.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from gidar.templates import T3_COLUMNS, T4_BLOCKS, T4_COLUMNS

from .ddl import ident
from .harmonise import MEASURE_LABELS, OUTCOMES

FORMATS = ("csv", "xlsx", "parquet")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
BATCH_ROWS = 50_000

_GENERIC = {
    "report_id": "报告编号",
    "body_id": "机关编号",
    "body_name": "机关名称",
    "agency": "发布机关",
    "agency_type": "机关类型",
    "level": "层级",
    "region_code": "行政区划代码",
    "region_name": "地区",
    "prefecture_code": "地级市代码",
    "prefecture": "地级市",
    "province_code": "省级代码",
    "province": "省份",
    "report_year": "报告年度",
    "template": "模板版本",
    "n_reports": "报告数",
    "decided": "办理结果合计",
    "processed": MEASURE_LABELS["result_total"],
    "received_change": "新收申请数较上年变化",
    "received_change_rate": "新收申请数较上年变化率",
    "litigation_total": "行政诉讼合计",
    "review_total_change": "行政复议总计较上年变化",
    "litigation_total_change": "行政诉讼合计较上年变化",
    "review_corrected_share": "行政复议结果纠正占比",
    "row": "行",
    "src_row": "原表行",
    "measure": "指标",
    "applicant": "申请人类型",
    "block": "栏目",
    "outcome": "结果",
    "col": "列",
    "value": "数值",
    "extracted_value": "识别值",
    "corrected": "已人工更正",
    "counted": "计入汇总",
    "key": "单元格",
    "page": "页码",
    "raw": "原文",
    "status": "读取状态",
    "kind": "类型",
    "first_year": "首次出现年度",
    "last_year": "最近出现年度",
}


def labels() -> dict[str, str]:
    """Column name → Chinese header label (registry labels for the measures and table columns)."""
    out = dict(MEASURE_LABELS)
    out.update({f"{o}_share": f"{MEASURE_LABELS[o]}占比" for o in OUTCOMES})
    out.update({c.key: c.label for c in T3_COLUMNS})
    for b in T4_BLOCKS:
        for c in T4_COLUMNS:
            out[f"{b.key}_{c.key}"] = f"{(b.group + '-') if b.group else ''}{b.label}-{c.label}"
    out.update(_GENERIC)
    return out


def relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary"
        " UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"
    ).fetchall()
    return {r for (r,) in rows if not r.startswith("_")}


def export(con: duckdb.DuckDBPyConnection, name: str, fmt: str, out: Path, where: str | None = None) -> int:
    """Write table or view ``name`` (rows matching ``where``) to ``out``; return the number of rows."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if name not in relations(con):
        raise ValueError(f'no table or view {name!r} (list them: gidar query "SHOW TABLES")')
    sql = f"SELECT * FROM {ident(name)}" + (f" WHERE {where}" if where else "")
    reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        n = {"csv": _csv, "parquet": _parquet, "xlsx": _xlsx}[fmt](reader, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return n


def _csv(reader: pa.RecordBatchReader, path: Path) -> int:
    n = 0
    with open(path, "wb") as f:
        f.write("\ufeff".encode())  # BOM: Excel then reads the file as UTF-8
        with pacsv.CSVWriter(f, reader.schema) as w:
            for batch in reader:
                w.write_batch(batch)
                n += batch.num_rows
    return n


def _parquet(reader: pa.RecordBatchReader, path: Path) -> int:
    n = 0
    with pq.ParquetWriter(path, reader.schema) as w:
        for batch in reader:
            w.write_batch(batch)
            n += batch.num_rows
    return n


def _xlsx_value(v: Any) -> Any:
    if isinstance(v, list | dict | tuple):
        return str(v)
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.astimezone(dt.UTC).replace(tzinfo=None)  # Excel has no time zones: UTC
    return v


def _xlsx(reader: pa.RecordBatchReader, path: Path) -> int:
    import xlsxwriter

    names = reader.schema.names
    label = labels()
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "nan_inf_to_errors": True})
    try:
        ws = wb.add_worksheet("data")
        bold = wb.add_format({"bold": True})
        ws.write_row(0, 0, [label.get(c, c) for c in names], bold)
        ws.freeze_panes(1, 0)
        n = 0
        for batch in reader:
            if n + batch.num_rows > XLSX_MAX_ROWS:
                raise ValueError(f"more than {XLSX_MAX_ROWS} rows do not fit in one sheet: use --where, csv or parquet")
            for row in batch.to_pylist():
                n += 1
                ws.write_row(n, 0, [_xlsx_value(row[c]) for c in names])
    finally:
        wb.close()
    return n
