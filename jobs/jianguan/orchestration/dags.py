"""DAG builders (the only module of the package that imports Airflow). DAG files in ``dags/`` call these.

Every task calls one package function with plain arguments (paths, dates, table names) and returns a small
summary; no data passes through XCom. The chain runs on Assets, not on the clock:

    ingest__<family> (daily 01:00 Asia/Shanghai) ─┐ lakehouse://ops/ingested/<family>
                                                   ├─(all families)→ transform__marts → lakehouse://gold/marts
    score__risk, evaluate__indices  ←──────────────┘ (on marts)       export__national (on marts & risk)

Heavy imports (pandas, pyarrow, Spark, dbt) happen inside the tasks, never at parse time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, AssetAll, Metadata, dag, get_current_context, task

from jianguan.orchestration.assets import (
    EVALUATION_ASSET_URI,
    EXPORT_ASSET_URI,
    MARTS_ASSET_URI,
    RISK_ASSET_URI,
    ingested_asset_uri,
    table_asset_uri,
)
from jianguan.orchestration.families import SOURCE_FAMILIES

log = logging.getLogger(__name__)

TZ = pendulum.timezone("Asia/Shanghai")
START = pendulum.datetime(2026, 11, 1, tz=TZ)
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "data-platform",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
}


def _settings() -> Any:
    from jianguan.settings import load_settings

    return load_settings()


def on_failure(context: Any) -> None:
    """Failure callback: an alert record in ``ops/alerts`` (and an e-mail when configured)."""
    from jianguan.orchestration.alerts import record_alert

    settings = _settings()
    ti = context.get("ti") or context.get("task_instance")
    record_alert(
        settings.resolved_lakehouse_root,
        kind="task_failed",
        dag_id=getattr(ti, "dag_id", None),
        task_id=getattr(ti, "task_id", None),
        run_id=getattr(ti, "run_id", None),
        logical_date=logical_day(context),
        try_number=getattr(ti, "try_number", None),
        message=str(context.get("exception") or "task failed"),
        email_to=settings.alert_email,
        smtp_host=settings.smtp_host,
    )


def _plain(day: date) -> date:
    """A ``datetime.date`` (pendulum's Date subclass is refused by Spark's type checks in createDataFrame)."""
    return date(day.year, day.month, day.day)


def logical_day(context: Any) -> date:
    """The business date of a run: its logical date in Asia/Shanghai, or for Asset-triggered runs the date the
    triggering events carry (their ``logical_date`` extra), or the day the run was queued for. Always a plain
    ``datetime.date``."""
    logical = context.get("logical_date")
    if logical is not None:
        return _plain(pendulum.instance(logical).in_timezone(TZ).date())
    events = context.get("triggering_asset_events") or {}
    days = sorted(
        date.fromisoformat(str(event.extra["logical_date"]))
        for asset_events in events.values()
        for event in asset_events
        if (event.extra or {}).get("logical_date")
    )
    if days:
        return days[-1]
    run_after = context["dag_run"].run_after
    return _plain(pendulum.instance(run_after).in_timezone(TZ).date())


def ingest_dag(family: str) -> DAG:
    """``ingest__<family>``: discover the date's files of the family's sources, one mapped task per file."""
    sources = list(SOURCE_FAMILIES[family])
    done = Asset(uri=ingested_asset_uri(family), name=f"ingested.{family}")

    @dag(
        dag_id=f"ingest__{family}",
        schedule="0 1 * * *",
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args={**DEFAULT_ARGS, "on_failure_callback": on_failure},
        tags=["ingest", family],
        doc_md=f"Ingest every file landed for sources {', '.join(sources)} into bronze (one task per file).",
    )
    def build() -> None:
        @task
        def discover_files() -> list[str]:
            from jianguan.ingest.run import discover_files as discover

            day = logical_day(get_current_context())
            paths = [str(p) for p in discover(_settings(), day, sources)]
            log.info("%d file(s) landed for %s on %s", len(paths), family, day)
            return paths

        @task(max_active_tis_per_dag=4)
        def ingest_file(path: str) -> dict[str, Any]:
            from pathlib import Path

            from jianguan.ingest.run import ingest_path

            outcome = ingest_path(_settings(), Path(path))
            if not outcome.balanced:
                raise RuntimeError(f"{outcome.source_file}: row accounting does not balance")
            return {
                "table": outcome.table,
                "status": outcome.status,
                "rows_read": outcome.rows_read,
                "rows_loaded": outcome.rows_loaded,
                "rows_rejected": outcome.rows_rejected,
                "rows_held": outcome.rows_held,
                "bronze_version": outcome.bronze_version,
            }

        @task(outlets=[done])
        def publish(results: list[dict[str, Any]]) -> Any:
            day = logical_day(get_current_context())
            totals: dict[str, int] = {}
            tables: dict[str, int] = {}
            for r in results:
                for key in ("rows_read", "rows_loaded", "rows_rejected", "rows_held"):
                    totals[key] = totals.get(key, 0) + int(r[key])
                if r["table"] and r["bronze_version"] is not None:
                    tables[r["table"]] = int(r["bronze_version"])
            extra: dict[str, Any] = {
                "logical_date": day.isoformat(),
                "files": len(results),
                **totals,
                "table_versions": tables,
            }
            log.info("ingested %s on %s: %s", family, day, extra)
            yield Metadata(done, extra)

        publish(ingest_file.expand(path=discover_files()))  # type: ignore[arg-type]  # XComArg at parse time

    return build()


def _stage_dag(
    dag_id: str,
    *,
    schedule: Any,
    outlet_uri: str,
    run: Callable[[Any, date], dict[str, Any]],
    tags: list[str],
    doc: str,
    task_id: str,
    deadline: timedelta | None = None,
) -> DAG:
    """A one-task DAG running one package job for the run's business date, emitting its Asset with metadata."""
    outlet = Asset(uri=outlet_uri, name=outlet_uri.split("://", 1)[1].replace("/", "."))
    default_args = {**DEFAULT_ARGS, "on_failure_callback": on_failure}
    if deadline is not None:
        default_args["execution_timeout"] = deadline

    @dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args=default_args,
        tags=tags,
        doc_md=doc,
    )
    def build() -> None:
        @task(task_id=task_id, outlets=[outlet])
        def run_stage() -> Any:
            day = logical_day(get_current_context())
            summary = run(_settings(), day)
            yield Metadata(outlet, {"logical_date": day.isoformat(), **_json_safe(summary)})

        run_stage()

    return build()


def _json_safe(summary: dict[str, Any]) -> dict[str, Any]:
    import json

    return dict(json.loads(json.dumps(summary, default=str)))


def _all_ingested() -> AssetAll:
    return AssetAll(*(Asset(uri=ingested_asset_uri(f), name=f"ingested.{f}") for f in SOURCE_FAMILIES))


def transform_dag() -> DAG:
    def run(settings: Any, day: date) -> dict[str, Any]:
        from jianguan.marts.dbt_run import build_marts

        return build_marts(settings, day)

    return _stage_dag(
        "transform__marts",
        schedule=_all_ingested(),
        outlet_uri=MARTS_ASSET_URI,
        run=run,
        tags=["transform", "dbt"],
        doc="dbt build of staging, intermediate and mart models once every ingest family has run.",
        task_id="build_marts",
    )


def risk_dag() -> DAG:
    def run(settings: Any, day: date) -> dict[str, Any]:
        from jianguan.risk.job import run as score

        return score(settings, day)

    return _stage_dag(
        "score__risk",
        schedule=Asset(uri=MARTS_ASSET_URI, name="gold.marts"),
        outlet_uri=RISK_ASSET_URI,
        run=run,
        tags=["risk"],
        doc="Risk indicators, the five Hubei models, credit classes A–D, warnings and the clue lifecycle.",
        task_id="score_risk",
    )


def evaluation_dag() -> DAG:
    def run(settings: Any, day: date) -> dict[str, Any]:
        from jianguan.evaluation.job import run as evaluate

        return evaluate(settings, day)

    return _stage_dag(
        "evaluate__indices",
        schedule=AssetAll(
            Asset(uri=MARTS_ASSET_URI, name="gold.marts"),
            Asset(uri=RISK_ASSET_URI, name="gold.risk_warnings"),
        ),
        outlet_uri=EVALUATION_ASSET_URI,
        run=run,
        tags=["evaluation"],
        doc="Supervision-effectiveness indices per department × region × period, and the HTML report.",
        task_id="evaluate_indices",
    )


def export_dag() -> DAG:
    def run(settings: Any, day: date) -> dict[str, Any]:
        from jianguan.export.job import run as export

        return export(settings, day)

    return _stage_dag(
        "export__national",
        schedule=AssetAll(
            Asset(uri=MARTS_ASSET_URI, name="gold.marts"),
            Asset(uri=RISK_ASSET_URI, name="gold.risk_warnings"),
        ),
        outlet_uri=EXPORT_ASSET_URI,
        run=run,
        tags=["export"],
        doc="Nightly national-standard export with 质检, holds, manifest and receipts processing.",
        task_id="export_national",
        deadline=timedelta(hours=2),
    )


def maintenance_dag() -> DAG:
    def run(settings: Any, day: date) -> dict[str, Any]:
        from jianguan.lake.maintenance import maintain_lakehouse, refresh_data_docs

        try:
            results = maintain_lakehouse(settings, timedelta(days=7))
        finally:  # the GE data docs are refreshed even when a table failed (the run still fails after)
            docs = refresh_data_docs(settings)
        return {"tables": len(results), "data_docs": docs}

    return _stage_dag(
        "maintain__lakehouse",
        schedule="30 5 * * 0",
        outlet_uri=table_asset_uri("ops", "maintenance"),
        run=run,
        tags=["maintenance"],
        doc="Weekly OPTIMIZE, checkpoint and VACUUM (7-day retention) of every lakehouse table, then the GE "
        "data docs refresh (`<lakehouse>/data_docs/index.html`).",
        task_id="maintain_tables",
    )
