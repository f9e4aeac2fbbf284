"""`build_dashboard`: one self-contained HTML file (inline CSS/JS, data as JSON) plus crops/*.png."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from .crops import CropRequest, render_crops
from .data import Unit, Violation, _reports, _violations, crop_requests, load_units, rule_info

HTML_NAME = "dq_dashboard.html"
COUNTY_CSV = "applications_by_county_year.csv"  # the county rollup, offered as a download (UTF-8 with BOM)
CROPS_DIR = "crops"
MAX_CROPS = 3000  # crop images a dashboard holds at most (its folder stays a few hundred MB)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


# Inside <script type="application/json"> "</script" ends the element early and "<!--" switches the HTML parser
# into the script-data-escaped states (a file named `<!--<script>.pdf` swallowed the page's own script);
# U+2028/U+2029 end lines in older JavaScript. JSON's \uXXXX escapes keep the data identical after JSON.parse.
_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _json_for_script(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


def build_payload(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    *,
    province_code: str = "33",
    units: Sequence[Unit] | None = None,
    unit_years: dict[str, list[int]] | None = None,
    base_dirs: Sequence[Path] = (),
    cache_dirs: Sequence[Path] = (),
    max_crops: int = MAX_CROPS,
    submit: Callable[..., Future] | None = None,
) -> dict[str, Any]:
    reports = _reports(con)
    years = sorted({r["year"] for r in reports if r["year"] is not None})
    if units is None:
        units, unit_years = load_units(province_code, years or [datetime.now(UTC).year - 1])
    known = {r["id"] for r in reports}
    violations = _violations(con, known)
    sources = {r["id"]: r["source"] for r in reports}
    requests = {v.dq_id: crop_requests(v, sources) for v in violations}
    rendered = render_crops(
        (req for reqs in requests.values() for req in reqs),
        out_dir / CROPS_DIR,
        base_dirs,
        max_crops,
        cache_dirs,
        submit,
    )
    prefectures: dict[str, dict[str, Any]] = {}
    for u in units:
        key = u.prefecture_code or "—"
        pref = prefectures.setdefault(key, {"code": key, "name": u.prefecture or "—", "units": []})
        pref["units"].append({"code": u.code, "name": u.name, "kind": u.kind, "years": (unit_years or {}).get(u.code)})
    return {
        "generatedAt": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "provinceCode": province_code,
        "years": years,
        "rules": rule_info(con),
        "prefectures": list(prefectures.values()),
        "reports": reports,
        "violations": [_violation_json(v, requests[v.dq_id], rendered) for v in violations],
        "cropsMissing": sum(1 for reqs in requests.values() for r in reqs if r not in rendered),
        "corrections": corrections(con, out_dir, sources, base_dirs, cache_dirs),
    }


def corrections(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path | None = None,
    sources: dict[str, str | None] | None = None,
    base_dirs: Sequence[Path] = (),
    cache_dirs: Sequence[Path] = (),
) -> dict[str, list[dict[str, Any]]]:
    """Active human corrections per report (`correction_checks`: the invariants and GX re-checks), each with a
    crop of the cell it settles (rendered into ``out_dir``), shown beside the crops of failing rules too."""
    rows = con.execute(
        """SELECT k.report_id, k.key, k.new_value, k.old_value, k.corrected_by, k.reason, k.corrected_at,
                  k.flagged, k.invariants_flagged, k.flag_reason, k.gx_checked, k.gx_failed_rules,
                  c.page, c.x0, c.top, c.x1, c.bottom
           FROM correction_checks AS k LEFT JOIN cells AS c USING (report_id, key)
           ORDER BY k.report_id, k.key"""
    ).fetchall()
    crops: dict[tuple[str, str], CropRequest] = {}
    for rid, key, *_, page, x0, top, x1, bottom in rows:
        if page is not None and None not in (x0, top, x1, bottom):
            crops[(rid, key)] = CropRequest(rid, (sources or {}).get(rid), int(page), ((x0, top, x1, bottom),))
    rendered = (
        render_crops(crops.values(), out_dir / CROPS_DIR, base_dirs, len(crops), cache_dirs)
        if out_dir is not None and crops
        else {}
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for rid, key, value, old, by, reason, at, flagged, inv, flag_reason, gx_checked, gx_failed, page, *_ in rows:
        req = crops.get((rid, key))
        out.setdefault(rid, []).append(
            {
                "key": key,
                "value": value,
                "old": old,
                "by": by,
                "reason": reason,
                "at": at.strftime("%Y-%m-%d %H:%M UTC") if at else None,
                "flagged": bool(flagged),
                "invariantsFlagged": bool(inv),
                "flagReason": flag_reason,
                "gxChecked": bool(gx_checked),
                "gxFailed": list(gx_failed or []),
                "page": page,
                "crop": f"{CROPS_DIR}/{rendered[req]}" if req is not None and req in rendered else None,
            }
        )
    return out


def _violation_json(v: Violation, reqs: list, rendered: dict) -> dict[str, Any]:
    return {
        "id": v.dq_id,
        "rule": v.rule,
        "severity": v.severity,
        "invariant": v.invariant,
        "suite": v.suite,
        "description": v.description,
        "observed": v.observed,
        "expected": v.expected,
        "reports": list(v.reports),
        "cells": [{"report": r, "key": k, "page": p} for r, k, p, _ in v.cells if k],
        "crops": [
            {
                "report": req.report_id,
                "page": req.page,
                "src": f"{CROPS_DIR}/{rendered[req]}" if req in rendered else None,
            }
            for req in reqs
        ],
    }


def report_crop_requests(con: duckdb.DuckDBPyConnection, report_ids: Sequence[str]) -> list[CropRequest]:
    """The crops the dashboard shows for these reports' own failed checks (`build_payload` asks for the same
    ones, so a run can render them ahead, batch by batch, and the build finds them done)."""
    ids = list(report_ids)
    sources = dict(
        con.execute("SELECT report_id, source FROM reports WHERE report_id IN (SELECT unnest(?))", [ids]).fetchall()
    )
    return [req for v in _violations(con, set(ids), ids) for req in crop_requests(v, sources)]


def build_dashboard(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    *,
    province_code: str = "33",
    units: Sequence[Unit] | None = None,
    base_dirs: Sequence[Path] = (),
    cache_dirs: Sequence[Path] = (),
    max_crops: int = MAX_CROPS,
    submit: Callable[..., Future] | None = None,
) -> Path:
    """Write `out_dir/dq_dashboard.html` (and `out_dir/crops/`) for the warehouse behind `con`; return the file.
    ``submit``: an executor's submit to render the crops in other processes (see `render_crops`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = build_payload(
        con,
        out_dir,
        province_code=province_code,
        units=units,
        base_dirs=base_dirs,
        max_crops=max_crops,
        cache_dirs=cache_dirs,
        submit=submit,
    )
    html = (
        _asset("dashboard.html")
        .replace("/*__CSS__*/", _asset("dashboard.css"))
        .replace("/*__JS__*/", _asset("dashboard.js"))
        .replace("__DATA__", _json_for_script(payload))
    )
    from gidar.warehouse.export import export

    export(con, "applications_by_county_year", "csv", out_dir / COUNTY_CSV)
    path = out_dir / HTML_NAME
    path.write_text(html, encoding="utf-8")
    return path
