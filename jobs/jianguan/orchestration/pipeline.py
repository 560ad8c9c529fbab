"""``jianguan pipeline --date D``: the nightly chain in one process, through the same functions the DAGs run.

ingest (every family) → marts (dbt) → risk → evaluation → export. Useful for backfills without a scheduler and
for the end-to-end test; Airflow runs the same steps as separate DAGs chained by Assets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from jianguan.settings import Settings

log = logging.getLogger(__name__)

Step = Callable[[Settings, date], dict[str, Any]]


def _ingest(settings: Settings, day: date) -> dict[str, Any]:
    from jianguan.ingest.run import ingest_date

    summary = ingest_date(settings, day)
    if not summary.balanced:
        raise RuntimeError(f"ingestion of {day}: row accounting does not balance")
    return {**summary.totals(), "tables": summary.tables}


def _marts(settings: Settings, day: date) -> dict[str, Any]:
    from jianguan.marts.dbt_run import build_marts

    return build_marts(settings, day)


def _risk(settings: Settings, day: date) -> dict[str, Any]:
    from jianguan.risk.job import run

    return run(settings, day)


def _evaluation(settings: Settings, day: date) -> dict[str, Any]:
    from jianguan.evaluation.job import run

    return run(settings, day)


def _export(settings: Settings, day: date) -> dict[str, Any]:
    from jianguan.export.job import run

    return run(settings, day)


STEPS: dict[str, Step] = {
    "ingest": _ingest,
    "marts": _marts,
    "risk": _risk,
    "evaluation": _evaluation,
    "export": _export,
}


def run_pipeline(
    settings: Settings, day: date, *, steps: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Run the chosen steps (all by default, in chain order) for one business date; return their summaries."""
    chosen = steps or list(STEPS)
    unknown = sorted(set(chosen) - set(STEPS))
    if unknown:
        raise ValueError(f"unknown pipeline step(s) {unknown}; choose from {list(STEPS)}")
    results: dict[str, dict[str, Any]] = {}
    for name in (s for s in STEPS if s in chosen):
        started = time.monotonic()
        log.info("pipeline %s: %s …", day, name)
        summary = STEPS[name](settings, day)
        summary = {**summary, "seconds": round(time.monotonic() - started, 1)}
        log.info("pipeline %s: %s done in %.1fs", day, name, summary["seconds"])
        results[name] = summary
    return results
