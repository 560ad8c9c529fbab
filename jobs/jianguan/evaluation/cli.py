"""``jianguan evaluate run --date D``: compute the evaluation indices for a logical date (thin layer over :func:`run`)."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import date

from jianguan.settings import Settings

log = logging.getLogger("jianguan.evaluation")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="evaluation indices: 对监管的监管 and business-environment monitoring",
        description="Indicator values, composite scores and rankings per department × region × period.",
    )
    commands = parser.add_subparsers(dest="evaluate_command", required=True)
    run_parser = commands.add_parser(
        "run",
        help="evaluate the month, quarter and year containing --date; write gold tables and the HTML report",
    )
    run_parser.add_argument("--date", type=date.fromisoformat, required=True, help="logical date, YYYY-MM-DD")
    run_parser.add_argument("--no-report", action="store_true", help="skip the HTML report")
    run_parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.evaluation.job import run

    summary = run(settings, args.date, write_report=not args.no_report)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0
