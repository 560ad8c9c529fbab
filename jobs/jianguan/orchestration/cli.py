"""``jianguan pipeline``: the nightly chain for one date or a date range (a backfill without a scheduler)."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta

from jianguan.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pipeline",
        help="ingest → marts → risk → evaluation → export for a date (or --to for a range, day by day)",
    )
    parser.add_argument("--date", type=date.fromisoformat, required=True, help="business date YYYY-MM-DD")
    parser.add_argument("--to", type=date.fromisoformat, default=None, help="last date of a backfill range")
    parser.add_argument("--steps", default=None, help="comma-separated subset, e.g. ingest,marts")
    parser.set_defaults(handler=_pipeline)

    summary = subparsers.add_parser("summary", help="rows per library, rejects, warnings, rankings, exports")
    summary.add_argument("--json", action="store_true", help="print JSON")
    summary.set_defaults(handler=_summary)


def _summary(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.orchestration.summary import pipeline_summary, render_text

    result = pipeline_summary(settings)
    print(json.dumps(result, ensure_ascii=False, default=str, indent=2) if args.json else render_text(result))
    return 0


def _pipeline(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.orchestration.pipeline import run_pipeline

    last = args.to or args.date
    if last < args.date:
        print("--to must not be before --date")
        return 2
    steps = args.steps.split(",") if args.steps else None
    day = args.date
    while day <= last:
        results = run_pipeline(settings, day, steps=steps)
        print(json.dumps({"date": day.isoformat(), **results}, ensure_ascii=False, default=str))
        day += timedelta(days=1)
    return 0
