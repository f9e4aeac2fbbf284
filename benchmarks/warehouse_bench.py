"""Warehouse at province scale: load, file size, rollup latency, export.

Builds a warehouse of N generated reports (default 40,000: about seven report years of a province) from
registry-consistent values — no PDFs — through the real path: `transform.build_tables` and the warehouse
writer (`warehouse.store`, batches of --batch reports, facts derived in the same transaction, a published
snapshot at the end). Then prints the latency of every rollup view on a reader connection (full scan, and
filtered to one prefecture), and the time to export the county view to xlsx.

    .venv/bin/python benchmarks/warehouse_bench.py            # 40,000 reports
    .venv/bin/python benchmarks/warehouse_bench.py --n 2000   # a quick look

Latencies are the median of --repeat runs (the machine is shared: repeat before quoting).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from gidar.regions import units
from gidar.transform.build import build_tables
from gidar.warehouse.export import export
from gidar.warehouse.rollups import rollup_views
from gidar.warehouse.store import open_reader, open_writer
from gidar_dev.sample import sample_result

YEARS = range(2019, 2026)
DEPARTMENTS = ("人民政府", "人民政府办公室", "财政局", "教育局", "公安局", "司法局", "自然资源和规划局", "卫生健康局")
TARGET_MS = 200.0


def generate(n: int, seed: int, offset: int) -> list:
    """n reports spread over Zhejiang's county-level units and bodies, 2019-2025; every 25th uncertain."""
    rng = random.Random(seed + offset)
    out = []
    for i in range(offset, offset + n):
        year = YEARS[i % len(YEARS)]
        u = rng.choice(units("33", year))
        dept = DEPARTMENTS[(i // len(YEARS)) % len(DEPARTMENTS)]
        r = sample_result(year, u.code, seed=i)
        r.metadata.agency = u.name + dept
        r.metadata.agency_type = "government" if dept == "人民政府" else "department"
        r.metadata.region_name, r.metadata.prefecture, r.metadata.province = u.name, u.prefecture, u.province
        r.metadata.level = "county"
        if i % 25 == 0:
            r.status, r.review = "uncertain", [r.cells[0].key]
        out.append(r)
    return out


def _median_ms(con, sql: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        con.execute(sql).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, help="keep the warehouse here (default: a temporary folder)")
    ap.add_argument("--query-only", action="store_true", help="reuse the warehouse in --dir: only the latencies")
    args = ap.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="gidar-wh-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    wh = folder / "gidar.duckdb"
    if not args.query_only:
        for p in folder.glob("*gidar.duckdb*"):
            p.unlink()
        load(wh, args)
    queries(wh, folder, args)


def load(wh: Path, args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    build_s = load_s = 0.0
    with open_writer(wh, min_interval=3600) as w:
        for start in range(0, args.n, args.batch):
            b0 = time.perf_counter()
            batch = [(build_tables(r), None) for r in generate(min(args.batch, args.n - start), args.seed, start)]
            b1 = time.perf_counter()
            errors = w.load_batch(batch)
            assert not errors, errors
            load_s += time.perf_counter() - b1
            build_s += b1 - b0
    publish_s = w.publish_seconds
    total = time.perf_counter() - t0
    print(f"generate + build_tables: {build_s:.1f} s (not part of the load)")
    print(
        f"load (writer, batches of {args.batch}, facts derived in each transaction): {load_s:.1f} s"
        f" = {1000 * load_s / args.n:.2f} ms/report; final publish {publish_s:.1f} s; wall {total:.1f} s"
    )
    print(f"file size: {wh.stat().st_size / 2**20:.0f} MiB (published snapshot; the writer's live copy is the same)")


def queries(wh: Path, folder: Path, args: argparse.Namespace) -> None:
    con = open_reader(wh)
    n_reports, n_cells, n_facts = con.execute(
        "SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM cells), (SELECT count(*) FROM fact_applications)"
    ).fetchone()

    print(f"reports {n_reports:,}  cells {n_cells:,}  fact_applications rows {n_facts:,}")
    pref = "330900"
    filters = {
        "county": f"prefecture_code = '{pref}'",
        "prefecture": f"region_code = '{pref}'",
        "province": "region_code = '330000'",
    }
    print(f"\nrollup latency, median of {args.repeat} (target < {TARGET_MS:.0f} ms):")
    print(f"  {'view':<48} {'rows':>7} {'full ms':>9} {'one prefecture ms':>18}")
    worst = 0.0
    for name in rollup_views():
        level = next((lv for lv in filters if f"_by_{lv}_" in name), None)
        where = filters[level] if level else f"starts_with(region_code, '{pref[:4]}')"
        rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        full = _median_ms(con, f"SELECT * FROM {name}", args.repeat)
        one = _median_ms(con, f"SELECT * FROM {name} WHERE {where}", args.repeat)
        worst = max(worst, full, one)
        print(f"  {name:<48} {rows:>7,} {full:>9.1f} {one:>18.1f}")
    print(f"  slowest: {worst:.1f} ms ({'within' if worst < TARGET_MS else 'OVER'} the {TARGET_MS:.0f} ms target)")

    t0 = time.perf_counter()
    n = export(con, "applications_by_county_year", "xlsx", folder / "county.xlsx")
    print(f"\nexport applications_by_county_year to xlsx: {n:,} rows in {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    n = export(con, "fact_applications", "parquet", folder / "facts.parquet")
    print(f"export fact_applications to parquet: {n:,} rows in {time.perf_counter() - t0:.2f} s")
    con.close()
    print(f"\nwarehouse kept in {folder}" if args.dir else "")


if __name__ == "__main__":
    main()
