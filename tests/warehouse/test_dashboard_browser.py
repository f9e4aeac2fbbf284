"""The dashboard in headless Chromium: the figures its JavaScript renders equal what SQL gives.

Chromium comes from Debian (`make sysdeps`); without it these tests skip with a message. Screenshots go to
tests/output/ (git-ignored).
"""

from __future__ import annotations

import html as htmllib
import json
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


@pytest.fixture(scope="session")
def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("chromium is not installed (`make sysdeps` installs it)")
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
    assert re.search(r'<img[^>]+src="crops/[^"]+\.jpg"', dom)
    OUTPUT.mkdir(exist_ok=True)
    shots = {"dashboard.png": path.as_uri(), "dashboard_drilldown.png": url}
    for name, u in shots.items():
        _run(chromium, tmp, u, f"--screenshot={OUTPUT / name}")
        assert (OUTPUT / name).stat().st_size > 20_000
        print(f"screenshot: {OUTPUT / name}")


# Each payload would set data-pwned on <body> if it ever ran as markup or script.
HOSTILE_AGENCY = "嵊泗县<script>document.body.dataset.pwned='agency'</script>局"
HOSTILE_FILE = "<!--<script>.pdf"
HOSTILE_TITLE = "年度报告\u2028</script><img src=x onerror=\"document.body.dataset.pwned='title'\">\u2029&amp;"
HOSTILE_AGENCY2 = "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">&<>"


def test_hostile_names_are_shown_as_text(chromium: str, tmp_path: Path) -> None:
    from gidar.transform.build import build_tables
    from gidar.warehouse.store import open_reader, open_writer
    from gidar_dev.sample import sample_result

    a = sample_result(2021, "330922", seed=31, source=str(tmp_path / HOSTILE_FILE))
    a.metadata.agency, a.metadata.title = HOSTILE_AGENCY, HOSTILE_TITLE
    b = sample_result(2022, "330922", seed=32, source=str(tmp_path / "a&b\u2029c.pdf"))
    b.metadata.agency = HOSTILE_AGENCY2
    from gidar.dq import DQRecord

    def fail(rid: str) -> list[DQRecord]:
        return [DQRecord("t3_balance", "critical", False, report_id=rid, suite="gx", description=HOSTILE_TITLE)]

    wh = tmp_path / "w.duckdb"
    with open_writer(wh) as w:
        assert w.load_batch([(build_tables(r), fail(r.sha256)) for r in (a, b)]) == {}
    con = open_reader(wh)  # the dashboard builds from the locked read-only connection
    try:
        path = build_dashboard(con, tmp_path / "site")
    finally:
        con.close()
    html = path.read_text(encoding="utf-8")
    for bad in ("<!--", "</script><img", "\u2028", "\u2029"):
        assert html.count(bad) == (1 if bad == "<!--" and "<!--" in _template() else 0), bad
    for report in (a, b):
        dom = _run(chromium, tmp_path, f"{path.as_uri()}#county=330922&report={report.sha256}", "--dump-dom")
        body = re.search(r"<body[^>]*>", dom)
        assert body and "pwned" not in body.group(0), body
        assert _elements(dom, "data-pwned") == [] and not re.search(r"<img[^>]*onerror", dom)
        assert len(_elements(dom, "data-region")) == 90  # the page's own script ran to the end
        (detail,) = _elements(dom, "data-report-detail")
        assert detail["data-report-detail"] == report.sha256 and int(detail["data-violations"]) == 1
    text = htmllib.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<script\b.*?</script>", "", dom, flags=re.S)))
    assert HOSTILE_AGENCY2 in text  # shown literally, as text
    dom_a = _run(chromium, tmp_path, f"{path.as_uri()}#county=330922", "--dump-dom")
    text_a = htmllib.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<script\b.*?</script>", "", dom_a, flags=re.S)))
    assert HOSTILE_AGENCY in text_a and HOSTILE_FILE in text_a


def _template() -> str:
    from importlib import resources

    return resources.files("gidar.warehouse.dashboard").joinpath("dashboard.html").read_text(encoding="utf-8")


def test_corrections_show_beside_the_crop(chromium: str, tmp_path: Path) -> None:
    from gidar.transform.build import build_tables
    from gidar.warehouse.corrections import Correction, apply
    from gidar.warehouse.store import open_reader, open_writer
    from gidar_dev.sample import sample_result

    r = sample_result(2023, "330922", seed=41)
    truth = r.values["t3.granted.total"]
    for c in r.cells:
        if c.key == "t3.granted.total":
            c.value, c.raw = 77, "77"
    r.status, r.review = "uncertain", ["t3.granted.total"]
    from gidar.dq import CellRef, DQRecord

    cells = (CellRef(r.sha256, "t3.granted.total", 3),)
    fail = [DQRecord("t3_result_total", "critical", False, report_id=r.sha256, suite="gx", cells=cells)]
    wh = tmp_path / "w.duckdb"
    with open_writer(wh) as w:
        w.load_batch([(build_tables(r), fail)])
        with w.transaction() as con:
            apply(con, [Correction(r.sha256, "t3.granted.total", truth, "p.3 reads it wrapped", "tester")])
    con = open_reader(wh)
    try:
        path = build_dashboard(con, tmp_path / "site")
    finally:
        con.close()
    dom = _run(chromium, tmp_path, f"{path.as_uri()}#county=330922&report={r.sha256}", "--dump-dom")
    corr = _elements(dom, "data-correction-key")
    assert len(corr) == 2  # in the report's list and beside the failing cell's crop
    assert {c["data-correction-value"] for c in corr} == {f"{truth:g}" if truth % 1 else str(int(truth))}
    block = dom[dom.index('data-violation="') :]
    assert 'class="crops"' in block and "data-correction-key" in block.split('class="crops"', 1)[1]


def test_a_correction_shows_its_crop_and_the_gx_verdict_after_corrections(chromium: str, tmp_path: Path) -> None:
    """The planted publisher error of samples/publisher-error-2022.pdf, read for real and checked by GX, then
    corrected and re-validated by GX: the page shows the correction with a crop of its cell, GX passing on it,
    the report passing after corrections (failing as read) and no failing rule left."""
    from gidar.expectations import validate_tables
    from gidar.extract.api import extract_file
    from gidar.flows.stages import revalidate_corrections
    from gidar.transform.build import build_tables
    from gidar.warehouse.corrections import Correction, apply
    from gidar.warehouse.store import open_reader, open_writer

    samples = Path(__file__).resolve().parents[2] / "samples"
    planted = json.loads((samples / "publisher-error-2022.json").read_text(encoding="utf-8"))["injected_error"]
    result = extract_file(samples / "publisher-error-2022.pdf")
    tables = build_tables(result)
    dq = validate_tables(tables["reports"], tables["cells"])
    assert any(not r.passed and r.rule == "t3_row_total" for r in dq)
    wh = tmp_path / "w.duckdb"
    with open_writer(wh) as w:
        assert w.load_batch([(tables, dq)]) == {}
        with w.transaction() as con:
            apply(con, [Correction(result.sha256, planted["cell"], planted["correct_value"], "sums to it", "tester")])
            assert revalidate_corrections(con) == [result.sha256]
    con = open_reader(wh)
    try:
        path = build_dashboard(con, tmp_path / "site")
    finally:
        con.close()
    code = result.metadata.region_code
    dom = _run(chromium, tmp_path, f"{path.as_uri()}#county={code}&report={result.sha256}", "--dump-dom")
    (detail,) = _elements(dom, "data-report-detail")
    assert detail["data-violations"] == "0"  # judged after corrections: nothing fails
    (verdict,) = _elements(dom, "data-after-corrections")
    assert (verdict["data-after-corrections"], verdict["data-as-read"]) == ("pass", "fail")
    (corr,) = _elements(dom, "data-correction-key")
    assert corr["data-correction-key"] == planted["cell"] and corr["data-correction-value"] == str(
        planted["correct_value"]
    )
    assert [g["data-gx"] for g in _elements(dom, "data-gx")] == ["pass"]
    (crop,) = _elements(dom, "data-correction-crop")
    assert crop["src"].startswith("crops/") and (path.parent / crop["src"]).stat().st_size > 1000
