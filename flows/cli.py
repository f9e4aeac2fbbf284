"""The ``gidar`` command line: thin argument parsing that calls the stages and flows.

Heavy imports (Prefect, Great Expectations, pdfplumber, DuckDB) happen inside the commands
that need them, so ``gidar --help`` and every subcommand's ``--help`` start fast.
Exit codes: 0 ok, 1 an ingest had reports that did not reach the warehouse or a failed step
(validation, dashboard), or a command failed; 2 usage error (bad arguments, bad or refused SQL, no
warehouse yet, a correction that names no stored cell), printed as one line on stderr; 3 the warehouse is
busy with another writer (`gidar ingest` and `gidar correct`; the reading commands read the published
snapshot and never wait for a writer).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # pydantic-settings costs 0.2 s to import: only the commands that read settings load it
    from gidar.extract.budget import Budget
    from gidar.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_BUSY = 3  # another gidar ingest or correct (or another process) is writing the same warehouse
# An ingest stopped by a signal exits 128 + the signal (130 Ctrl-C, 143 SIGTERM), after its summary.
_STARTED: list[float | None] = [None]  # when the command started: the run summary's time includes start-up


def _settings(args: argparse.Namespace) -> Settings:
    from gidar.settings import Settings

    s = Settings.from_env()  # the edge: settings are read here once and passed down
    if getattr(args, "data_dir", None):
        s = s.rebase(Path(args.data_dir))
    return s


def _warehouse(args: argparse.Namespace) -> Path:
    return Path(args.warehouse) if args.warehouse else _settings(args).warehouse


def output_names(inputs: Sequence[Path]) -> dict[str, Path]:
    """Where ``gidar extract`` writes each PDF's JSON, relative to ``--out``, keyed by source path.

    A PDF found in a folder keeps its path below that folder (``sub/a.pdf`` → ``sub/a.json``); a
    PDF named on the command line keeps its stem. Names that would still collide (``a.pdf`` and
    ``a.PDF``, or two ``a.pdf`` from different folders) get a short id from the source path.
    """
    from gidar.extract.api import pdf_files

    names: dict[str, Path] = {}
    for root in inputs:
        for f in pdf_files([root]):
            rel = f.relative_to(root) if root.is_dir() else Path(f.name)
            names.setdefault(str(f), rel.with_suffix(".json"))
    taken = Counter(str(n).casefold() for n in names.values())
    for src, n in names.items():
        if taken[str(n).casefold()] > 1:
            names[src] = n.with_name(f"{n.stem}-{hashlib.sha256(src.encode()).hexdigest()[:8]}.json")
    return names


def _reading_settings() -> Settings | None:
    """The settings, or None when no variable of a reading setting is set (`_reading_variables`):
    reading then takes the defaults, `DEFAULT_BACKEND` and `Budget()` (equal to `Settings`' own:
    tests/test_cli.py holds them so), without importing pydantic-settings, which is most of a short
    `gidar extract` run's start-up (0.2 s)."""
    if not _reading_variables() & {k.upper() for k in os.environ}:
        return None
    from gidar.settings import Settings

    return Settings.from_env()


def _reading_variables() -> set[str]:
    """Every environment variable `Settings` reads the backend or a per-file budget from (names
    are matched without case; the backend's aliases count without the prefix too)."""
    from dataclasses import fields

    from gidar.extract.budget import Budget

    return {"GIDAR_BACKEND", "GIDAR_READER_BACKEND", "BACKEND", "READER_BACKEND"} | {
        f"GIDAR_{f.name.upper()}" for f in fields(Budget)
    }


def _backend(args: argparse.Namespace) -> str:
    from gidar.extract.pdf import BACKENDS, DEFAULT_BACKEND

    s = None if args.backend else _reading_settings()
    backend = str(args.backend or (s.reader_backend if s is not None else DEFAULT_BACKEND))
    if backend not in BACKENDS:
        raise ValueError(f"unknown reading backend {backend!r} (GIDAR_BACKEND): choose one of {', '.join(BACKENDS)}")
    return backend


def _budget(args: argparse.Namespace) -> Budget:
    """Every per-file budget of the settings (the same as `gidar ingest` reads with)."""
    s = _reading_settings()
    if s is None:
        from gidar.extract.budget import DEFAULT_BUDGET

        return DEFAULT_BUDGET
    from gidar.flows.stages import ReadOptions

    return ReadOptions.from_settings(s).budget()


def _cmd_extract(args: argparse.Namespace) -> int:
    from gidar.extract.api import extract_paths, write_json

    inputs = [Path(p) for p in args.inputs]
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        print(f"gidar extract: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    names = output_names(inputs)
    if not names:
        print(f"gidar extract: no PDF files in {', '.join(map(str, inputs))}", file=sys.stderr)
        return EXIT_USAGE
    try:
        backend, budget = _backend(args), _budget(args)
    except ValueError as e:
        print(f"gidar extract: {e}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out)
    n_ok = n = 0
    for result in extract_paths(inputs, workers=args.workers, backend=backend, budget=budget):
        n += 1
        n_ok += result.status == "ok"
        target = out / names[result.source]
        target.parent.mkdir(parents=True, exist_ok=True)
        write_json(result, target)
        print(f"{result.status:<15} {result.source}  {result.message}")
    print(f"{n_ok}/{n} reports ok → {out}")
    return EXIT_OK


def _ingest_settings(args: argparse.Namespace) -> Settings:
    s = _settings(args)
    changes: dict[str, Any] = {}
    if args.warehouse:
        changes["warehouse"] = Path(args.warehouse)
    if args.lake:
        changes["lake"] = Path(args.lake)
    for name in ("cluster", "processes", "batch_size"):
        if getattr(args, name, None) is not None:
            changes[name] = getattr(args, name)
    if args.verbose:
        changes["verbose"] = True
    if getattr(args, "allow_private_urls", False):
        changes["allow_private_urls"] = True
    return (s.replace(**changes) if changes else s).resolved()


def _cmd_ingest(args: argparse.Namespace) -> int:
    from gidar.flows import control
    from gidar.flows.progress import ConsoleProgress

    s = _ingest_settings(args)
    if (problem := _source_problem(args.source)) is not None:  # before any work
        print(f"gidar ingest: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.corrections:
        from gidar.warehouse.corrections import CorrectionError, read_csv

        try:  # a malformed file is a usage error before any work
            read_csv(Path(args.corrections), "check")
        except (OSError, CorrectionError) as e:
            print(f"gidar ingest: {e}", file=sys.stderr)
            return EXIT_USAGE
    from gidar.flows import runner

    if _CONSOLE_SCRIPT[0] and not s.cluster:
        # This process, the single writer, needs no pandas: GX (after corrections too) runs in the checking
        # process. pyarrow would import it (~45 MB) on its first array built from Python objects, only to
        # recognise pandas objects. Not in a caller's process (`main` from Python): it may want pandas later.
        from gidar.flows.workers import READER_BLOCKED, refuse_imports

        refuse_imports(READER_BLOCKED)
    runner.start_checking(s)  # GX's import, the longest part of a small run's start, begins now
    try:
        from gidar.flows.stages import check_writer
        from gidar.warehouse.store import WarehouseBusyError

        try:
            with control.ingest_lock(s.warehouse):
                check_writer(s.warehouse)  # another process (not a gidar ingest) may hold the DuckDB writer
                return _ingest_locked(args, s, ConsoleProgress(args.progress))
        except (control.WarehouseBusy, WarehouseBusyError) as e:
            print(f"gidar ingest: {e}", file=sys.stderr)
            return EXIT_BUSY
    finally:
        runner.stop_processes()  # a run stops them itself; a busy warehouse or nothing to read leaves them


def _ingest_locked(args: argparse.Namespace, s: Settings, progress: Any) -> int:
    from gidar.flows import runner

    def show(summary: Any) -> None:  # as soon as the run ends, before the shutdown of its helpers
        if args.json:
            print(json.dumps(summary.to_dict(), ensure_ascii=False, default=str, indent=1), flush=True)
        else:
            from gidar.flows.summary import format_summary

            print(format_summary(summary), flush=True)

    try:
        summary = runner.ingest_command(
            args.source,
            s,
            force=args.force,
            progress=progress,
            started=_STARTED[0],
            on_summary=show,
            corrections=str(Path(args.corrections).resolve()) if args.corrections else None,
        )
    except runner.UsageProblem as e:
        print(f"gidar ingest: {e}", file=sys.stderr)
        return EXIT_USAGE
    if summary.interrupted:
        import signal

        return 128 + int(signal.Signals[summary.interrupted])
    return EXIT_OK if summary.ok else EXIT_FAILED


def _source_problem(source: str) -> str | None:
    """Why ``source`` cannot be ingested (missing, or a manifest that is not one), or None."""
    from gidar.flows.sources import resolve_source

    try:
        resolve_source(source)
    except (OSError, ValueError) as e:  # FileNotFoundError, ManifestError
        return str(e)
    return None


def _schedule_problem(args: argparse.Namespace) -> str | None:
    if args.interval is not None and not args.interval > 0:
        return f"--interval must be a positive number of seconds, not {args.interval:g}"
    if args.cron is not None:
        from prefect.client.schemas.schedules import CronSchedule

        try:
            CronSchedule(cron=args.cron)
        except ValueError:  # pydantic's ValidationError: many lines; one is enough here
            return f'--cron {args.cron!r} is not a valid cron schedule (five fields, e.g. "0 2 * * *")'
    return None


class UsageError(Exception):
    """A problem with what the user asked: printed as one line, exit code 2."""


# DuckDB errors caused by the SQL a user typed (syntax, unknown names, types, refused statements).
def _sql_error(e: Exception) -> UsageError:
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if "file system operations are disabled" in first or "external extensions is disabled" in first:
        first += " (gidar query is read-only and reads only the warehouse; use `gidar export` to write files)"
    elif "read-only mode" in first or "configuration has been locked" in first:
        first += " (gidar query is read-only)"
    return UsageError(first)


def _reader(args: argparse.Namespace) -> Any:
    """The locked read-only connection to the published warehouse (never blocks a running load)."""
    from gidar.warehouse.store import NoWarehouseError, open_reader

    try:
        return open_reader(_warehouse(args))
    except NoWarehouseError as e:
        raise UsageError(f"{e} (run `gidar ingest` first or pass --warehouse)") from None


def _run_sql(con: Any, sql: str) -> Any:
    import duckdb

    try:
        return con.execute(sql)
    except duckdb.Error as e:
        raise _sql_error(e) from None


DEFAULT_LIMIT = 100  # rows shown in table/vertical format unless --limit says otherwise


def _cmd_query(args: argparse.Namespace) -> int:
    from gidar.flows import tables

    fmt = "json" if args.json else args.format
    con = _reader(args)
    try:
        cur = _run_sql(con, args.sql)
        columns = [d[0] for d in cur.description or []]
        if fmt in ("csv", "json"):  # machine formats stream every row
            first = True
            if fmt == "csv":
                tables.write_csv(sys.stdout, columns, [], header=True)
            else:
                sys.stdout.write("[")
            while rows := cur.fetchmany(10_000):
                if fmt == "csv":
                    tables.write_csv(sys.stdout, columns, rows, header=False)
                else:
                    for r in rows:
                        sys.stdout.write(("" if first else ",\n") + tables.json_row(columns, r))
                        first = False
            if fmt == "json":
                sys.stdout.write("]\n")
            return EXIT_OK
        limit = args.limit if args.limit > 0 else None
        shown = cur.fetchmany(limit) if limit else cur.fetchall()
        total = len(shown)
        if limit:
            while more := cur.fetchmany(10_000):
                total += len(more)
    finally:
        con.close()
    if fmt == "vertical":
        print(tables.format_vertical(columns, shown))
    else:
        print(tables.format_table(columns, shown, max_width=args.max_width, count=False))
    left = total - len(shown)
    note = (
        f"({total} row{'s' if total != 1 else ''})"
        if not left
        else (f"({len(shown)} of {total} rows shown, {left} left out: --limit 0 shows all, --format csv exports)")
    )
    print(note)
    return EXIT_OK


def _cmd_eval(args: argparse.Namespace) -> int:
    from gidar.extract.evaluate import format_report, run_eval

    try:
        report = run_eval(
            Path(args.truth_dir),
            out_dir=Path(args.out) if args.out else None,
            backend=_backend(args),
            budget=_budget(args),
        )
    except (FileNotFoundError, ValueError) as e:
        print(f"gidar eval: {e}", file=sys.stderr)
        return EXIT_USAGE
    print(format_report(report))
    return EXIT_OK


def _cmd_dq(args: argparse.Namespace) -> int:
    import duckdb

    from gidar.flows.tables import format_dq
    from gidar.warehouse.dq_summary import dq_summary, summary_json

    con = _reader(args)
    try:
        summary = dq_summary(con)
    except duckdb.CatalogException as e:
        raise UsageError(f"the warehouse has no DQ views yet ({str(e).splitlines()[0]})") from None
    finally:
        con.close()
    print(summary_json(summary) if args.json else format_dq(summary))
    return EXIT_OK


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from gidar.flows.stages import build_dashboard
    from gidar.warehouse.store import NoWarehouseError

    out = Path(args.out) if args.out else _settings(args).site
    try:
        built = build_dashboard(_warehouse(args), out, _settings(args).cache)
    except NoWarehouseError as e:
        raise UsageError(f"{e} (run `gidar ingest` first or pass --warehouse)") from None
    print(f"dashboard → {built}")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    import duckdb

    from gidar.warehouse.export import export

    fmt = args.format or Path(args.out).suffix.lstrip(".").lower()
    con = _reader(args)
    try:
        n = export(con, args.name, fmt, Path(args.out), args.where)
    except ValueError as e:
        raise UsageError(str(e)) from None
    except duckdb.Error as e:
        raise _sql_error(e) from None
    finally:
        con.close()
    print(f"{n} rows of {args.name} → {args.out}")
    return EXIT_OK


def _who(args: argparse.Namespace) -> str:
    import getpass

    return args.by or os.environ.get("GIDAR_USER") or getpass.getuser()


def _cmd_correct(args: argparse.Namespace) -> int:
    from gidar.flows import control
    from gidar.flows.stages import correct
    from gidar.settings import Settings
    from gidar.warehouse.corrections import Correction, CorrectionError, parse_value
    from gidar.warehouse.store import WarehouseBusyError

    warehouse = _warehouse(args)
    if not warehouse.exists():
        raise UsageError(f"no warehouse at {warehouse}")
    try:
        value = parse_value(args.value)
    except CorrectionError as e:
        raise UsageError(str(e)) from None
    item = Correction(args.report_id, args.key, value, args.reason, _who(args))
    try:  # the same lock as `gidar ingest`: one writing command per warehouse at a time
        with control.ingest_lock(warehouse):
            lines = correct(warehouse, [item], Settings.from_env().publish_interval)
    except CorrectionError as e:
        raise UsageError(str(e)) from None
    except (control.WarehouseBusy, WarehouseBusyError) as e:
        print(f"gidar correct: {e}", file=sys.stderr)
        return EXIT_BUSY
    for line in lines:
        print(line)
    return EXIT_OK


def _cmd_review(args: argparse.Namespace) -> int:
    from gidar.flows.tables import format_table, write_csv

    con = _reader(args)
    try:
        cur = _run_sql(
            con,
            """SELECT report_id, file_name, agency, report_year, key, raw, value, page, x0, top, x1, bottom
               FROM review_queue ORDER BY report_year, agency, report_id, key""",
        )
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        con.close()
    if args.format == "csv":
        write_csv(sys.stdout, columns, rows)
    else:
        print(format_table(columns[:8], [r[:8] for r in rows], count=False))
        print(
            f"({len(rows)} cell{'s' if len(rows) != 1 else ''} need a person:"
            " gidar correct REPORT_ID KEY VALUE --reason …)"
        )
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from gidar.flows.prefect_env import configure_prefect, server_mode

    s = _ingest_settings(args)
    if (problem := _source_problem(args.source)) is not None:
        print(f"gidar serve: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if not server_mode():
        print(
            "gidar serve: PREFECT_API_URL is not set, so a temporary server is used and the schedule and"
            " run history end with this process. See README (Prefect: server or embedded).",
            file=sys.stderr,
        )
    configure_prefect(s)
    if (problem := _schedule_problem(args)) is not None:
        print(f"gidar serve: {problem}", file=sys.stderr)
        return EXIT_USAGE
    from gidar.flows.serve import build_deployment, serve
    from gidar.flows.sources import is_url

    # Absolute paths: scheduled runs must not depend on the working directory of a later restart.
    source = args.source if is_url(args.source) else str(Path(args.source).resolve())
    deployment = build_deployment(
        source, settings=s, cron=args.cron, interval=args.interval, force=args.force, name=args.name
    )
    when = f"cron {args.cron!r}" if args.cron else f"every {args.interval:g} s"
    print(f"serving {args.name}: ingest {source} into {s.warehouse} {when} (Ctrl-C to stop)", flush=True)
    serve(deployment)
    return EXIT_OK


def _add_warehouse(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", metavar="FILE", help="DuckDB file (default: $GIDAR_WAREHOUSE or data/gidar.duckdb)")
    p.add_argument("--data-dir", metavar="DIR", help="base folder for all outputs (default: $GIDAR_DATA_DIR or data)")


def _add_backend(p: argparse.ArgumentParser) -> None:
    # No ``choices``: naming them would import the reading stack for every command; `_backend` checks the value.
    p.add_argument(
        "--backend",
        help="PDF reader tried first (default: $GIDAR_BACKEND or pdfium; pdfplumber is the slower reference);"
        " the other one reads a file the first cannot",
    )


def _add_allow_private(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="also fetch URLs (and follow redirects) to loopback, private, link-local and cloud-metadata"
        " addresses, refused by default (same as GIDAR_ALLOW_PRIVATE_URLS=1; GIDAR_ALLOW_URL_HOSTS allows"
        " chosen hosts only)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gidar",
        description="ETL of Government Information Disclosure Annual Reports (政府信息公开工作年度报告): "
        "PDF → Parquet → Great Expectations → DuckDB.",
        epilog="Exit codes: 0 ok, 1 reports failed to load (or a command failed), 2 usage error (one line on "
        "stderr: bad arguments or SQL, refused statement, no warehouse), 3 warehouse busy with another writer "
        "(ingest, correct).",
    )
    p.add_argument("--version", action=_VersionAction, help="print the version and the parser version, then exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    e = sub.add_parser(
        "extract",
        help="read report PDFs and write one JSON per PDF",
        description="Read report PDFs and write one JSON per PDF under --out: <stem>.json for a PDF named "
        "here, the PDF's path below the folder for a folder (sub/a.pdf → sub/a.json); names that would "
        "collide get a short id (a-1f2e3d4c.json).",
    )
    e.add_argument("inputs", nargs="+", help="PDF files or folders of PDFs")
    e.add_argument("--out", required=True, help="output folder")
    _add_backend(e)
    e.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="files read at once, each in its own process (default: the number of CPUs)",
    )
    e.set_defaults(func=_cmd_extract)

    i = sub.add_parser(
        "ingest",
        help="download, extract, validate and load reports into the warehouse",
        description="Ingest a folder of PDFs, one PDF or URL, or a manifest (CSV with a url or path column, "
        "or a text file with one URL/path per line); a malformed manifest is a usage error (exit 2). Files "
        "already loaded with the same sha256 and parser version are skipped. Reports go through in batches, "
        "each committed when done: a stopped run keeps them and the next run does the rest. Runs a Prefect "
        "flow: against PREFECT_API_URL when set, else on a temporary local server that lives as long as the command.",
        epilog="Exit codes: 0 ok; 1 reports did not reach the warehouse or a step failed; 2 usage error; "
        "3 another ingest is writing this warehouse; 130/143 stopped by Ctrl-C/SIGTERM (committed batches kept).",
    )
    i.add_argument("source", help="folder, PDF, URL or manifest")
    _add_warehouse(i)
    i.add_argument("--lake", metavar="DIR", help="Parquet lake folder (default: $GIDAR_LAKE or data/lake)")
    i.add_argument("--force", action="store_true", help="re-extract and reload every file, even unchanged ones")
    i.add_argument(
        "--cluster",
        metavar="tcp://HOST:8786",
        help="read on this Dask cluster (default: $GIDAR_CLUSTER; none: reading processes on this machine)",
    )
    i.add_argument("--processes", type=int, metavar="N", help="reading processes (default: $GIDAR_PROCESSES or CPUs)")
    i.add_argument(
        "--batch-size", type=int, metavar="N", help="reports per batch and commit (default: $GIDAR_BATCH_SIZE or 100)"
    )
    i.add_argument(
        "--progress",
        choices=("auto", "rich", "plain", "none"),
        default="auto",
        help="progress on stderr, as files are read: a live bar on a terminal, at most a line every 10 s"
        " otherwise (default: auto)",
    )
    i.add_argument("--json", action="store_true", help="print only the run summary, as JSON, on stdout")
    i.add_argument("-v", "--verbose", action="store_true", help="show Prefect's INFO logs on the console")
    i.add_argument(
        "--corrections",
        metavar="FILE",
        help="CSV of human corrections (report_id, key, value, reason[, by]) applied after the load, and"
        " re-validated by the invariants and the GX suites",
    )
    _add_allow_private(i)
    i.set_defaults(func=_cmd_ingest)

    q = sub.add_parser(
        "query",
        help="run SQL on the warehouse (read-only) and print the result",
        description="Run one SQL statement on the published warehouse, read-only: it never blocks a running "
        "ingest, and cannot read or write files, ATTACH databases or load extensions (use `gidar export`).",
    )
    q.add_argument("sql", help='e.g. "SELECT status, count(*) FROM reports GROUP BY ALL"')
    _add_warehouse(q)
    q.add_argument("--format", choices=("table", "csv", "json", "vertical"), default="table", help="output format")
    q.add_argument("--json", action="store_true", help="same as --format json")
    q.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        help=f"rows shown in table/vertical format (default {DEFAULT_LIMIT}; 0: all); csv and json print all",
    )
    q.add_argument("--max-width", type=int, default=40, help="cut text cells wider than this (ids are never cut)")
    q.set_defaults(func=_cmd_query)

    x = sub.add_parser(
        "export",
        help="write a table or view to CSV (UTF-8 with BOM), XLSX or Parquet",
        description="Export one table or view. CSV is UTF-8 with a BOM so Excel on Chinese Windows opens it; "
        "XLSX has a header row of Chinese labels from the template registry.",
    )
    x.add_argument("name", metavar="VIEW_OR_TABLE", help="e.g. applications_by_county_year")
    x.add_argument("--format", choices=("csv", "xlsx", "parquet"), help="default: from the --out suffix")
    x.add_argument("--out", required=True, metavar="FILE", help="file to write")
    x.add_argument("--where", metavar="SQL", help="filter, e.g. \"report_year = 2023 AND prefecture_code = '330900'\"")
    _add_warehouse(x)
    x.set_defaults(func=_cmd_export)

    c = sub.add_parser(
        "correct",
        help="settle a cell value by hand (kept with who, when and why)",
        description="Record a human correction of one cell. The value read is kept; facts and rollups use the "
        "correction; it survives re-ingest and re-extraction and is re-checked against the template invariants "
        "and re-validated by the GX suites with the corrected values (a correction that breaks a rule is kept "
        "and flagged).",
        epilog="Exit codes: 0 recorded; 2 usage error (unknown report or cell, bad value); 3 another gidar "
        "ingest or correct is writing this warehouse (nothing recorded).",
    )
    c.add_argument("report_id", metavar="REPORT_ID", help="report id (sha256) or a unique prefix of 8+ characters")
    c.add_argument("key", metavar="KEY", help="cell key, e.g. t3.new_received.total (see `gidar review`)")
    c.add_argument("value", metavar="VALUE", help="the number as printed in the report")
    c.add_argument("--reason", required=True, help="why, e.g. 'p.3 prints 3,977; the number wraps in its cell'")
    c.add_argument("--by", help="who (default: $GIDAR_USER or the login name)")
    _add_warehouse(c)
    c.set_defaults(func=_cmd_correct)

    rv = sub.add_parser("review", help="list the cells that still need a person (report, key, raw text, page)")
    rv.add_argument("--format", choices=("table", "csv"), default="table", help="csv adds the cell boxes")
    _add_warehouse(rv)
    rv.set_defaults(func=_cmd_review)

    ev = sub.add_parser("eval", help="score extraction against truth JSON files (<id>.json next to <id>.pdf)")
    ev.add_argument("truth_dir", metavar="TRUTH_DIR", help="folder with <id>.pdf and truth <id>.json")
    ev.add_argument("--out", metavar="DIR", help="also write the extracted JSON and the report here")
    _add_backend(ev)
    ev.set_defaults(func=_cmd_eval)

    d = sub.add_parser("dq", help="print the data-quality summary stored in the warehouse")
    _add_warehouse(d)
    d.add_argument("--json", action="store_true", help="print the summary as JSON")
    d.set_defaults(func=_cmd_dq)

    db = sub.add_parser("dashboard", help="build the static HTML dashboard from the warehouse")
    _add_warehouse(db)
    db.add_argument("--out", metavar="DIR", help="output folder (default: $GIDAR_SITE or data/site)")
    db.set_defaults(func=_cmd_dashboard)

    sv = sub.add_parser(
        "serve",
        help="run the ingest flow on a schedule (needs a Prefect server)",
        description="Serve the ingest flow as a scheduled deployment. Needs a running Prefect server: "
        "`prefect server start` in another shell and PREFECT_API_URL=http://127.0.0.1:4200/api.",
    )
    sv.add_argument("source", help="folder, PDF, URL or manifest")
    when = sv.add_mutually_exclusive_group(required=True)
    when.add_argument("--cron", help='cron schedule, e.g. "0 2 * * *" (02:00 every day)')
    when.add_argument("--interval", type=float, metavar="SECONDS", help="run every SECONDS")
    _add_warehouse(sv)
    sv.add_argument("--lake", metavar="DIR", help="Parquet lake folder")
    sv.add_argument("--cluster", metavar="tcp://HOST:8786", help="read on this Dask cluster")
    sv.add_argument("--processes", type=int, metavar="N", help="reading processes per run")
    sv.add_argument("--batch-size", type=int, metavar="N", help="reports per batch and commit")
    sv.set_defaults(verbose=False)
    sv.add_argument("--force", action="store_true", help="re-do every file on every run")
    sv.add_argument("--name", default="gidar-ingest", help="deployment name")
    _add_allow_private(sv)
    sv.set_defaults(func=_cmd_serve)
    return p


class _VersionAction(argparse.Action):
    """Like argparse's "version", computed only when asked (it imports the extractor's version)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kw: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser: argparse.ArgumentParser, *a: Any, **k: Any) -> None:
        print(_version())
        parser.exit()


def _version() -> str:
    """The package version and the parser version (a report is re-read when the latter changes)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("gidar")
    except PackageNotFoundError:
        v = "unknown"
    try:
        from gidar.extract.api import PARSER_VERSION
    except Exception:
        PARSER_VERSION = "unknown"
    return f"gidar {v} (parser {PARSER_VERSION})"


def main(argv: Sequence[str] | None = None) -> int:
    import time

    _STARTED[0] = time.time()
    from gidar.flows.trace import mark

    mark("command start")
    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args))
        mark("command done")
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # `gidar query … | head`: the reader has what it wanted; silence the rest instead of a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:
        if not isinstance(e, UsageError) and not _settings_error(e):
            raise
        print(f"gidar {args.command}: {e}", file=sys.stderr)
        return EXIT_USAGE


def _settings_error(e: Exception) -> bool:
    """A GIDAR_* variable that does not fit its type (`SettingsError`). Only a command that read
    the settings can raise one, so a command that never imported them is not made to."""
    settings = sys.modules.get("gidar.settings")
    return settings is not None and isinstance(e, settings.SettingsError)


_CONSOLE_SCRIPT = [False]  # set by `run`: this process is the `gidar` command itself


def run() -> NoReturn:
    """The ``gidar`` console script: `main`, then a quick exit. The exit handlers run (Prefect's log and event
    workers, logging's flush), the output is flushed, and the interpreter's teardown of the modules a run
    loaded (Prefect, DuckDB, Arrow: ~0.4 s of a one-PDF ingest) is skipped, as the worker processes do."""
    _CONSOLE_SCRIPT[0] = True
    code = main()
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
