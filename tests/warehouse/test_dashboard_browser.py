"""The dashboard in headless Chromium: the figures its JavaScript renders equal what SQL gives.

Chromium comes from Debian (`apt-get update && apt-get install -y chromium`, as root); the session fixture
installs it when missing and skips only if that fails. Screenshots go to tests/output/ (git-ignored).
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from gidar.regions import units
from gidar.warehouse.dashboard import build_dashboard
from gidar.warehouse.db import connect
from gidar.warehouse.dq_summary import dq_summary
from gidar_dev.crosschecks_fixtures import demo_warehouse

pytestmark = pytest.mark.slow

OUTPUT = Path(__file__).resolve().parents[1] / "output"
INSTALL = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]


@pytest.fixture(scope="session")
def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe:
        return exe
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log = ""
    for cmd in (INSTALL, ["apt-get", "update"], INSTALL):
        try:
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as e:
            log = str(e)
            break
        log = p.stderr[-500:]
        if cmd is INSTALL and p.returncode == 0:
            break
    exe = shutil.which("chromium")
    if not exe:
        pytest.skip(f"chromium is not installed and `apt-get update && {' '.join(INSTALL)}` failed: {log}")
    return exe


def _run(chromium: str, tmp: Path, url: str, *args: str) -> str:
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'chromium-profile'}",
        "--window-size=1400,2000",
        *args,
        url,
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def _elements(dom: str, attr: str) -> list[dict[str, str]]:
    """Attributes of every element carrying `attr` in the dumped DOM (outside the scripts' source)."""
    dom = re.sub(r"<script\b.*?</script>", "", dom, flags=re.S)
    out = []
    for m in re.finditer(rf"<[a-z][a-z0-9]*\b[^>]*\b{attr}=\"[^\"]*\"[^>]*>", dom):
        out.append({k: htmllib.unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', m.group(0))})
    return out


def _attribution(con):
    """Per report: own DQ rows, failing critical and other row ids; cross-report rows (NULL report_id) count
    for every report their cells name."""
    own = defaultdict(int)
    crit = defaultdict(set)
    warn = defaultdict(set)
    for rowid, rid, sev, passed, cells in con.execute(
        "SELECT rowid, report_id, severity, passed, cells FROM dq_results"
    ).fetchall():
        ids = [rid] if rid else [c["report_id"] for c in json.loads(cells or "[]") if c.get("report_id")]
        if rid:
            own[rid] += 1
        for i in set(ids):
            if not passed:
                (crit if sev == "critical" else warn)[i].add(rowid)
    return own, crit, warn


def _expected(con, year: int | None = None) -> dict[str, dict[str, float]]:
    """Per region, from the raw tables."""
    reports = {
        rid: (region, y)
        for rid, region, y in con.execute("SELECT report_id, region_code, report_year FROM reports").fetchall()
        if year is None or y == year
    }
    own, crit, warn = _attribution(con)
    out: dict[str, dict[str, float]] = {}
    for rid, (region, _) in reports.items():
        e = out.setdefault(region, {"reports": 0, "passing": 0, "critical": set(), "warnings": set()})
        e["reports"] += 1
        e["passing"] += bool(own[rid]) and not crit[rid]
        e["critical"] |= crit[rid]
        e["warnings"] |= warn[rid]
    return {
        k: {
            "reports": v["reports"],
            "passing": v["passing"],
            "critical": len(v["critical"]),
            "warnings": len(v["warnings"]),
        }
        for k, v in out.items()
    }


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("browser")
    con = connect(":memory:")
    demo_warehouse(con, tmp / "pdfs")
    out = OUTPUT / "dashboard"
    shutil.rmtree(out, ignore_errors=True)
    path = build_dashboard(con, out)
    yield con, path, tmp
    con.close()


def _check_tiles(dom: str, expected: dict[str, dict[str, float]], year: int | None) -> None:
    tiles = {t["data-region"]: t for t in _elements(dom, "data-region")}
    for code, e in expected.items():
        t = tiles[code]
        assert int(t["data-reports"]) == e["reports"], code
        assert int(t["data-passing"]) == e["passing"], code
        assert int(t["data-critical"]) == e["critical"], code
        assert int(t["data-warnings"]) == e["warnings"], code
        assert float(t["data-pass-rate"]) == pytest.approx(e["passing"] / e["reports"], abs=1e-6), code
    # units without reports are shown as such
    for code, t in tiles.items():
        if code not in expected:
            assert t["data-reports"] == "0" and t["data-pass-rate"] == "" and "empty" in t["class"]
    today = {u.code for u in units("33", year or 2025)}
    assert today <= set(tiles)


def test_grid_figures_equal_sql(chromium: str, dashboard) -> None:
    con, path, tmp = dashboard
    dom = _run(chromium, tmp, path.as_uri(), "--dump-dom")
    expected = _expected(con)
    _check_tiles(dom, expected, None)
    # the same figures as the SQL summary behind `gidar dq`
    for g in dq_summary(con).by_county:
        assert expected[g.key]["passing"] == g.passing and expected[g.key]["critical"] == g.critical
    tiles = _elements(dom, "data-region")
    assert len(tiles) == 90  # no report from an abolished unit: exactly today's 90
    # bars: failing rows per rule
    bars = {b["data-rule"]: int(b["data-count"]) for b in _elements(dom, "data-count")}
    sql = dict(con.execute("SELECT rule, count(*) FROM dq_results WHERE NOT passed GROUP BY rule").fetchall())
    assert bars == sql
    _, crit, warn = _attribution(con)
    (worst,) = _elements(dom, "data-failing-reports")
    failing = {r for r, ids in (*crit.items(), *warn.items()) if ids}
    assert int(worst["data-failing-reports"]) == len(failing) > 0
    kpi = {k["data-kpi"]: k["data-value"] for k in _elements(dom, "data-kpi")}
    assert int(kpi["reports"]) == con.execute("SELECT count(*) FROM reports").fetchone()[0]


def test_year_filter_from_the_url(chromium: str, dashboard) -> None:
    con, path, tmp = dashboard
    dom = _run(chromium, tmp, path.as_uri() + "#year=2020", "--dump-dom")
    _check_tiles(dom, _expected(con, 2020), 2020)
    tiles = {t["data-region"] for t in _elements(dom, "data-region")}
    assert {"330103", "330104"} <= tiles  # 下城区, 江干区 existed in 2020
    years = {int(y["data-year"]): y for y in _elements(dom, "data-year")}
    assert set(years) == set(range(2019, 2026))


def test_drill_down_and_screenshots(chromium: str, dashboard) -> None:
    con, path, tmp = dashboard
    (rid, region) = con.execute(
        """SELECT r.report_id, r.region_code FROM dq_results d JOIN reports r USING (report_id)
           WHERE NOT d.passed AND d.severity = 'critical' ORDER BY r.report_year, r.report_id LIMIT 1"""
    ).fetchone()
    url = f"{path.as_uri()}#county={region}&report={rid}"
    dom = _run(chromium, tmp, url, "--dump-dom")
    (detail,) = _elements(dom, "data-report-detail")
    (n_fail,) = con.execute(
        """SELECT count(DISTINCT rowid) FROM dq_results
           WHERE NOT passed AND (report_id = ? OR (report_id IS NULL AND cells LIKE '%' || ? || '%'))""",
        [rid, rid],
    ).fetchone()
    assert int(detail["data-violations"]) == n_fail > 0
    assert re.search(r'<img[^>]+src="crops/[^"]+\.png"', dom)
    OUTPUT.mkdir(exist_ok=True)
    shots = {"dashboard.png": path.as_uri(), "dashboard_drilldown.png": url}
    for name, u in shots.items():
        _run(chromium, tmp, u, f"--screenshot={OUTPUT / name}")
        assert (OUTPUT / name).stat().st_size > 20_000
        print(f"screenshot: {OUTPUT / name}")
