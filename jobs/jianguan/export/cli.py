"""``jianguan export run --date D`` and ``jianguan export verify <dir>`` (thin layer over the package)."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import date
from pathlib import Path

from jianguan.settings import Settings

log = logging.getLogger("jianguan.export")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="the nightly national export (质检, manifest, receipts)")
    commands = parser.add_subparsers(dest="export_command", required=True)
    run = commands.add_parser("run", help="cut, check and write the export batch of a logical date")
    run.add_argument("--date", type=date.fromisoformat, required=True, help="logical date, YYYY-MM-DD")
    run.set_defaults(handler=_run)
    verify = commands.add_parser("verify", help="check an export folder against its manifest and the layouts")
    verify.add_argument("directory", type=Path)
    verify.set_defaults(handler=_verify)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.export.job import run

    summary = run(settings, args.date)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.export.verify import verify_dir
    from jianguan.spec.loader import load_standard

    problems = verify_dir(args.directory, load_standard(settings.schemas_root))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{args.directory}: {len(problems)} problem(s)")
        return 1
    print(f"{args.directory}: verified")
    return 0
