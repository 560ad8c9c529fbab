"""``jianguan marts build|docs``: run the dbt project (thin layer over :mod:`jianguan.marts.dbt_run`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging

from jianguan.settings import Settings

log = logging.getLogger("jianguan.marts")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "marts",
        help="build the dbt marts (staging, entity resolution, facts, 监管信息链) as Delta tables",
        description="Runs dbt in-process on the lakehouse's Spark session (target local) or against a Spark "
        "Thrift Server (JIANGUAN_DBT_TARGET=cluster).",
    )
    commands = parser.add_subparsers(dest="marts_command", required=True)
    build = commands.add_parser("build", help="dbt build: seeds, models and tests")
    build.add_argument("--select", nargs="+", default=[], help="dbt node selection")
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from scratch (incremental ones, and those whose inputs are unchanged)",
    )
    build.add_argument(
        "--date", type=dt.date.fromisoformat, default=None, help="logical date YYYY-MM-DD (default: today)"
    )
    build.set_defaults(handler=_build)
    docs = commands.add_parser("docs", help="dbt docs generate (site under <lakehouse>/_dbt/target)")
    docs.set_defaults(handler=_docs)


def _build(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.marts.dbt_run import run_dbt

    logical_date = args.date or dt.date.today()
    summary = run_dbt(
        ["build"], settings, logical_date=logical_date, select=args.select, full_refresh=args.full_refresh
    )
    print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    return 0 if summary.success else 1


def _docs(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.marts.dbt_run import run_dbt

    summary = run_dbt(["docs", "generate"], settings)
    print(f"dbt docs: {'generated' if summary.success else 'FAILED'} in {summary.target_dir}")
    return 0 if summary.success else 1
