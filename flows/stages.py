"""The flow's only contact surface with extract/, transform/, expectations/ and warehouse/.

Each function is a thin call into a stage package, imported lazily so that the CLI's help and
light commands do not pay for pdfplumber, GX or DuckDB. If a stage's API changes, this is the
one file in flows/ to adapt. ``optional`` stages (Data Docs, cross-report checks, dashboard)
return None when their module is not installed, so the core load still runs.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa


def _optional(module: str) -> Any | None:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and module.startswith(e.name):  # the module itself is missing, not one of its imports
            return None
        raise


# --- extract ---------------------------------------------------------------------------------


def parser_version() -> str:
    """The extractor's version; a report is re-extracted when it changes."""
    import extract.api as api

    version = getattr(api, "PARSER_VERSION", None)
    if version is None:
        from extract import PARSER_VERSION as version  # type: ignore[attr-defined, no-redef]
    return str(version)


def extract_file(path: Path) -> Any:
    from extract.api import extract_file as _extract

    return _extract(path)


# --- transform -------------------------------------------------------------------------------


def report_tables(result: Any) -> dict[str, pa.Table]:
    """Arrow tables of one report: reports, cells, t2_<version>, t3, t4 (see transform.schema)."""
    from transform.build import build_tables

    return build_tables(result)


def write_lake(lake: Path, tables: Mapping[str, pa.Table]) -> list[str]:
    """Write one report's tables to the Parquet lake (idempotent per report); returns the files."""
    from transform.lake import write_report

    return [str(p) for p in write_report(lake, tables)]


def read_report(lake: Path, report_id: str) -> dict[str, pa.Table]:
    """Every table of one report, read back from the lake."""
    from transform.lake import read_report as _read

    return _read(lake, report_id)


# --- expectations ----------------------------------------------------------------------------


def extracted_path(lake: Path, report_id: str) -> Path:
    """Where the ``gidar extract`` JSON of a report is kept (``_`` dirs are not lake tables)."""
    return Path(lake) / "_extracted" / f"{report_id}.json"


def save_extracted(result: Any, lake: Path) -> Path:
    path = extracted_path(lake, result.sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(result.to_json(), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_extracted(lake: Path, report_id: str) -> Any:
    from transform.result import result_from_json

    return result_from_json(json.loads(extracted_path(lake, report_id).read_text(encoding="utf-8")))


def validate(results: Sequence[Any], data_docs: Path | None) -> list[Any]:
    """GX validation of a batch of extraction results; returns DQ results (rows for ``dq_results``)."""
    from expectations import build_frames, validate_reports

    return list(validate_reports(build_frames(results), data_docs_dir=data_docs))


# --- warehouse -------------------------------------------------------------------------------


def connect(warehouse: Path, *, read_only: bool = False) -> Any:
    from warehouse import connect as _connect

    return _connect(warehouse, read_only=read_only)


def loaded_fingerprints(warehouse: Path) -> set[tuple[str, str]]:
    """(report_id = sha256, parser_version) of every report already in the warehouse."""
    if not warehouse.exists():
        return set()
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'reports'").fetchone()
        if not has or not has[0]:
            return set()
        rows = con.execute("SELECT report_id, coalesce(parser_version, '') FROM reports").fetchall()
    finally:
        con.close()
    return {(str(r), str(v)) for r, v in rows}


def dq_rows(results: Sequence[Any], run_id: str) -> dict[str, list[dict[str, Any]]]:
    """`expectations.DQResult`s as ``dq_results`` rows, grouped by report_id."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        d = r.to_dict() if hasattr(r, "to_dict") else dict(r)
        rid = d["report_id"]
        out.setdefault(rid, []).append(
            {
                "report_id": rid,
                "run_id": run_id,
                "rule": d["rule"],
                "invariant": d.get("invariant"),
                "suite": d.get("suite"),
                "table_name": d.get("table"),
                "row_key": d.get("row"),
                "col_key": d.get("col"),
                "severity": d["severity"],
                "passed": bool(d["passed"]),
                "observed": None if d.get("observed") is None else str(d["observed"]),
                "expected": None if d.get("expected") is None else str(d["expected"]),
                "lhs": d.get("lhs"),
                "rhs": d.get("rhs"),
                "cells": [{"report_id": rid, "key": k} for k in d.get("cells") or ()],
                "description": d.get("description"),
            }
        )
    return out


def load_report(con: Any, tables: Mapping[str, pa.Table], dq: Sequence[Mapping[str, Any]]) -> None:
    """Replace one report's rows in every report table and its DQ rows, in one transaction."""
    from warehouse import load_report as _load

    _load(con, tables, list(dq))


def record_run(con: Any, run: Mapping[str, Any]) -> None:
    """One ``runs`` row (run_id, started_at, finished_at, source, counts JSON)."""
    from warehouse import record_run as _record

    _record(con, run)


def cross_checks(con: Any, run_id: str) -> list[Any] | None:
    """Cross-report SQL checks, replacing their previous rows in ``dq_results``; None if absent."""
    mod = _optional("warehouse.crosschecks")
    if mod is None:
        return None
    return list(mod.run_crosschecks(con, run_id=run_id))


def build_dashboard(warehouse: Path, out: Path) -> Path | None:
    """The static DQ dashboard (``warehouse.dashboard``), None when that module is absent."""
    mod = _optional("warehouse.dashboard")
    if mod is None:
        return None
    con = connect(warehouse, read_only=True)
    try:
        return Path(mod.build_dashboard(con, out))
    finally:
        con.close()


def dq_report(warehouse: Path) -> str:
    """The warehouse's DQ summary as text (``warehouse.dq_summary``)."""
    from warehouse.dq_summary import dq_summary, format_dq

    con = connect(warehouse, read_only=True)
    try:
        return str(format_dq(dq_summary(con)))
    finally:
        con.close()
