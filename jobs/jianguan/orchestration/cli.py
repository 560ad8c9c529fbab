"""``jianguan pipeline``: the nightly chain for one date or a date range (a backfill without a scheduler)."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from pathlib import Path

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

    chain = subparsers.add_parser(
        "dags-test",
        help="every nightly DAG in order through Airflow's local runner (DAG.test), in one process",
    )
    chain.add_argument("--date", type=date.fromisoformat, required=True, help="business date YYYY-MM-DD")
    chain.add_argument("--to", type=date.fromisoformat, default=None, help="last date (day by day)")
    chain.add_argument("--dag", action="append", default=None, help="only these DAG ids (repeatable)")
    chain.add_argument("--results", type=Path, default=None, help="also append the JSON lines to this file")
    chain.set_defaults(handler=_dags_test)

    summary = subparsers.add_parser("summary", help="rows per library, rejects, warnings, rankings, exports")
    summary.add_argument("--json", action="store_true", help="print JSON")
    summary.set_defaults(handler=_summary)


def _summary(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.orchestration.summary import pipeline_summary, render_text

    result = pipeline_summary(settings)
    print(json.dumps(result, ensure_ascii=False, default=str, indent=2) if args.json else render_text(result))
    return 0


def _dags_test(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.orchestration.families import nightly_dag_ids
    from jianguan.orchestration.local_runs import run_chain, write_results

    days = _days(args.date, args.to)
    if not days:
        print("--to must not be before --date")
        return 2
    return 0 if write_results(run_chain(args.dag or nightly_dag_ids(), days), args.results) else 1


def _days(first: date, last: date | None) -> list[date]:
    return [first + timedelta(days=n) for n in range(((last or first) - first).days + 1)]


def _pipeline(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.orchestration.pipeline import run_pipeline

    days = _days(args.date, args.to)
    if not days:
        print("--to must not be before --date")
        return 2
    steps = args.steps.split(",") if args.steps else None
    for day in days:
        results = run_pipeline(settings, day, steps=steps)
        print(json.dumps({"date": day.isoformat(), **results}, ensure_ascii=False, default=str))
    return 0
