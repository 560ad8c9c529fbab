"""``jianguan inspections draw|verify|run``: a thin layer over :mod:`jianguan.inspection`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from jianguan.settings import Settings

log = logging.getLogger("jianguan.inspection")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("inspections", help="双随机、一公开: draw, publish, verify, results")
    commands = parser.add_subparsers(dest="inspections_command", required=True)

    draw = commands.add_parser(
        "draw",
        help="draw objects and inspectors for plan file(s); joint visits are merged across the plans given",
        description="Reads the pools from silver/gold with Spark; without --publish nothing is written.",
    )
    draw.add_argument("--plan", type=Path, action="append", required=True, help="plan YAML (repeatable)")
    draw.add_argument("--publish", action="store_true", help="publish the draw(s) (immutable)")
    draw.add_argument(
        "--as-of", type=dt.date.fromisoformat, default=None, help="pool date (default: plan start)"
    )
    draw.add_argument("--json", action="store_true", help="print the summary as JSON")
    draw.set_defaults(handler=_draw)

    verify = commands.add_parser("verify", help="re-derive a published draw from its snapshot and seed")
    verify.add_argument("draw_id")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=_verify)

    run = commands.add_parser("run", help="the scheduled job: draw due plans, publish, compute results")
    run.add_argument("--date", type=dt.date.fromisoformat, required=True, help="logical date YYYY-MM-DD")
    run.set_defaults(handler=_run)


def _draw(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.inspection.inputs import load_catalogue
    from jianguan.inspection.job import draw_plans, summarise
    from jianguan.inspection.joint import entries_of, merge_visits, saving
    from jianguan.inspection.plans import load_config, load_plan
    from jianguan.inspection.publish import DrawAlreadyPublishedError, is_published, publish
    from jianguan.inspection.seed import derive_seed, draw_id_for
    from jianguan.spark import spark_session
    from jianguan.spec.loader import cached_standard

    spark = spark_session(settings, app_name="inspections-draw")
    std = cached_standard(settings.schemas_root)
    config = load_config()
    catalogue = load_catalogue(spark, settings, std, config)
    plans = [load_plan(path, catalogue).validate(config) for path in args.plan]
    if args.publish:  # refuse before reading the pools, not after drawing
        published = [
            p.plan_id
            for p in plans
            if is_published(settings, draw_id_for(p.plan_id, derive_seed(p.plan_id, p.published_value)))
        ]
        if published:
            raise DrawAlreadyPublishedError(
                f"the draw of plan(s) {', '.join(published)} with this published value is already published"
            )
    as_of = args.as_of or min(p.period_start for p in plans)
    results = draw_plans(spark, settings, std, config, plans, as_of)
    visits = merge_visits([e for r in results for e in entries_of(r)])
    summary: dict[str, Any] = {"draws": [summarise(r) for r in results], "joint": saving(visits)}
    if args.publish:
        summary["published"] = publish(settings, results, visits, published_at=dt.datetime.now(dt.UTC))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return 0
    for item in summary["draws"]:
        print(f"draw {item['draw_id']} (seed {item['seed'][:16]}…): {item['drawn']} of {item['pool']} drawn, "
              f"{item['inspectors']} inspector seats, {item['shortfalls']} shortfall(s)")  # fmt: skip
        for risk_class, counts in item["classes"].items():
            eligible = counts["eligible"]
            rate = counts["drawn"] / eligible if eligible else 0.0
            print(f"  class {risk_class}: pool {counts['pool']:>8}  eligible {eligible:>8}  "
                  f"drawn {counts['drawn']:>7}  ({rate:.1%})")  # fmt: skip
    joint = summary["joint"]
    print(
        f"visits: {joint['visits']} for {joint['separate_visits']} drawn objects ({joint['visits_saved']} saved)"
    )
    print("published" if args.publish else "not published (use --publish)")
    return 0


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.inspection.verify import verify_draw

    report = verify_draw(settings, args.draw_id)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(
            f"draw {report.draw_id}: {'VERIFIED' if report.ok else 'MISMATCH'} ({report.drawn_count} objects)"
        )
        for difference in report.differences:
            print(f"  {difference}")
    return 0 if report.ok else 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.inspection.job import run

    print(json.dumps(run(settings, args.date), ensure_ascii=False, indent=2, default=str))
    return 0
