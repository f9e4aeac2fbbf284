"""The ``gidar`` command line: thin argument parsing that calls the stages and flows.

Heavy imports (Prefect, Great Expectations) happen inside the commands that need them, so
``gidar --help`` and ``gidar extract`` start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _cmd_extract(args: argparse.Namespace) -> int:
    from extract.api import extract_paths, write_json

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n_ok = n = 0
    for result in extract_paths([Path(p) for p in args.inputs]):
        n += 1
        n_ok += result.status == "ok"
        write_json(result, out / f"{Path(result.source).stem}.json")
        print(f"{result.status:<15} {Path(result.source).name}  {result.message}")
    print(f"{n_ok}/{n} reports ok → {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gidar", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("extract", help="read report PDFs and write one <stem>.json per PDF")
    e.add_argument("inputs", nargs="+", help="PDF files or folders of PDFs")
    e.add_argument("--out", required=True, help="output folder")
    e.set_defaults(func=_cmd_extract)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
