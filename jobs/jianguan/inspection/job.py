"""The 双随机 job: draw the due plans, merge joint visits, publish, then link results for the logical date.

``run(settings, logical_date)`` is what the DAG task, ``jianguan inspections run`` and the spark-submit
entrypoint call. It is idempotent: a plan whose draw is already published is skipped (its draw id is a function of
the plan and its published value), and result tables are replaced by ``as_of_date``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from jianguan.inspection.draw import DrawResult, draw
from jianguan.inspection.inputs import due_plans, load_catalogue, load_entities, load_officers
from jianguan.inspection.joint import entries_of, merge_visits, saving
from jianguan.inspection.plans import InspectionConfig, Plan, load_config
from jianguan.inspection.publish import is_published, publish
from jianguan.inspection.results import compute_results
from jianguan.inspection.seed import derive_seed, draw_id_for
from jianguan.settings import Settings
from jianguan.spec.loader import Standard, cached_standard

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def draw_plans(
    spark: SparkSession,
    settings: Settings,
    std: Standard,
    config: InspectionConfig,
    plans: Sequence[Plan],
    as_of: dt.date,
) -> list[DrawResult]:
    """Read the pools once for all plans (Spark), then draw each plan on the driver."""
    if not plans:
        return []
    history = max(
        config.quiet_period_days, config.a_class_quiet_period_days, *(p.quiet_days(config) for p in plans)
    )
    latest_start = max(p.period_start for p in plans)
    entities = load_entities(
        spark,
        settings,
        std,
        config,
        sorted({p.region_code for p in plans}),
        max(as_of, latest_start),
        history,
    )
    departments = sorted({d for p in plans for d in p.department_codes})
    officers = load_officers(
        spark, settings, std, config, departments, max(p.period_end for p in plans), max(as_of, latest_start)
    )
    results = []
    for plan in plans:
        started = time.monotonic()
        result = draw(
            plan, config, entities, [o for o in officers if o.department_code in plan.department_codes]
        )
        log.info(
            "drew %s: %d of %d in the pool in %.2fs", result.draw_id, len(result.drawn), len(result.pool),
            time.monotonic() - started,
        )  # fmt: skip
        results.append(result)
    return results


def summarise(result: DrawResult) -> dict[str, Any]:
    return {
        "draw_id": result.draw_id,
        "plan_id": result.plan.plan_id,
        "seed": result.seed,
        "pool": len(result.pool),
        "drawn": len(result.drawn),
        "inspectors": len(result.assignments()),
        "shortfalls": sum(1 for o in result.drawn if o.shortfall_departments),
        "classes": result.class_summary(),
    }


def run(
    settings: Settings,
    logical_date: dt.date,
    spark: SparkSession | None = None,
    *,
    plans: Sequence[Plan] | None = None,
    publish_draws: bool = True,
    published_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Draw (the given plans, or the published plans due on ``logical_date``), publish, compute results."""
    from jianguan.spark import spark_session

    spark = spark or spark_session(settings, app_name="draw_inspections")
    std = cached_standard(settings.schemas_root)
    config = load_config()
    clock = published_at or dt.datetime.now(dt.UTC)
    if plans is None:
        plans = due_plans(
            spark, settings, std, config, load_catalogue(spark, settings, std, config), logical_date
        )
    todo = [
        p for p in plans
        if not is_published(settings, draw_id_for(p.plan_id, derive_seed(p.plan_id, p.published_value)))
    ]  # fmt: skip
    skipped = len(plans) - len(todo)
    results = draw_plans(spark, settings, std, config, todo, logical_date)
    visits = merge_visits([e for r in results for e in entries_of(r)])
    summary: dict[str, Any] = {
        "logical_date": logical_date.isoformat(),
        "config_version": config.version,
        "plans_due": len(plans),
        "plans_already_published": skipped,
        "draws": [summarise(r) for r in results],
        "joint": saving(visits),
    }
    if publish_draws and results:
        summary["published"] = publish(settings, results, visits, published_at=clock)
    summary["results"] = compute_results(spark, settings, std, config, logical_date, clock)
    return summary
