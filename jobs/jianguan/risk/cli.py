"""``jianguan risk score --date D``: run the risk job for one logical date (thin layer over :func:`run`)."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import date

from jianguan.settings import Settings

log = logging.getLogger("jianguan.risk")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "risk", help="risk indicators, the five models, warnings, clues, credit classes"
    )
    commands = parser.add_subparsers(dest="risk_command", required=True)
    score = commands.add_parser(
        "score",
        help="compute the gold risk tables for one logical date",
        description="Replaces the date's partition of risk_indicators, risk_scores, risk_warnings, risk_clues and "
        "credit_risk_classes (idempotent). Run dates in order: warnings and clues continue the previous date.",
    )
    score.add_argument("--date", type=date.fromisoformat, required=True, help="logical date, YYYY-MM-DD")
    score.add_argument("--json", action="store_true", help="print the summary as JSON")
    score.set_defaults(handler=_score)


def _score(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.risk.job import run

    summary = run(settings, args.date)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    print(
        f"risk {summary['logical_date']}: {summary['entities']:,} entities, {summary['indicator_rows']:,} indicator "
        f"rows, {summary['score_rows']:,} scores in {summary['seconds']} s"
    )
    print(
        f"  warnings open {summary['warnings_open']} (new {summary['warnings_new']}, closed today "
        f"{summary['warnings_closed']}) by model {summary['warnings_by_model']}"
    )
    print(f"  clues {summary['clues']} {summary['clues_by_status']}, overdue {summary['clues_overdue']}")
    print(f"  credit classes {summary['credit_classes']}")
    return 0
