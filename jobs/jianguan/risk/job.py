"""The risk job for one logical date: indicators → five model scores → warnings → clue lifecycle → credit classes.

``run(settings, logical_date)`` reads the silver staging tables as of the date, computes in Spark what scales with
the number of entities (indicators, scores, credit classes), does the small stateful part on the driver (warning
deduplication against the previous snapshot, the clue lifecycle from the disposal-feedback feed) and replaces the
date's partition of each gold table in one commit per table. Rerunning a date gives the same rows (ids are
derived from the data; only ``computed_at`` changes). Warnings and clues depend on the previous date's snapshot,
so a backfill runs dates in order (the DAG's ``depends_on_past``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.dataset as pads

from jianguan.lake import LakeTable
from jianguan.risk import tables
from jianguan.risk.clues import Clue, FeedbackEvent, clue_status_by_warning, lifecycle
from jianguan.risk.config import RiskConfig, load_config
from jianguan.risk.inputs import FEEDBACK_COLUMNS, FEEDBACK_TABLE, stg_name
from jianguan.risk.warnings import LEVEL_NAMES, Candidate, Warning, close_warnings, merge_warnings
from jianguan.settings import Settings
from jianguan.spec.loader import Standard, cached_standard

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
GOLD = "gold"


def _previous_snapshot(table: LakeTable, as_of: date) -> list[dict[str, Any]]:
    """Rows of the latest partition before ``as_of`` (read through delta-rs: small, tz-aware timestamps)."""
    if not table.exists():
        return []
    dates = sorted(
        {
            date.fromisoformat(v)
            for f in table.files()
            if (v := f.partition_values.get(tables.PARTITION)) is not None and date.fromisoformat(v) < as_of
        }
    )
    if not dates:
        return []
    rows: list[dict[str, Any]] = table.read(
        filter=pads.field(tables.PARTITION) == pa.scalar(dates[-1])
    ).to_pylist()
    return rows


def _warning_from_row(row: Mapping[str, Any]) -> Warning:
    fields = Warning.__dataclass_fields__
    return Warning(**{k: row[k] for k in fields})


def _clue_from_row(row: Mapping[str, Any]) -> Clue:
    fields = Clue.__dataclass_fields__
    values = {k: row[k] for k in fields}
    for key, value in values.items():
        if isinstance(value, datetime):
            values[key] = value.astimezone(SHANGHAI)
    return Clue(**values)


def _feedback_events(
    spark: SparkSession, std: Standard, settings: Settings, as_of: date
) -> list[FeedbackEvent]:
    """Disposal-feedback events delivered up to ``as_of`` (timestamps rendered in Asia/Shanghai by Spark)."""
    from pyspark.sql import functions as F

    path = settings.table_path("silver", stg_name(std, FEEDBACK_TABLE))
    if not LakeTable(path).exists():
        return []
    frame = (
        spark.read.format("delta")
        .option("columns", ",".join([*FEEDBACK_COLUMNS, "logical_date"]))
        .load(str(path))
        .where(F.col("logical_date") <= F.lit(as_of))
        .select(*FEEDBACK_COLUMNS)
        .withColumn("event_at", F.date_format("event_at", "yyyy-MM-dd HH:mm:ss"))
    )
    events = []
    for row in frame.collect():
        values = row.asDict()
        if not values["clue_id"] or not values["event_at"]:
            continue
        values["event_at"] = datetime.fromisoformat(values["event_at"]).replace(tzinfo=SHANGHAI)
        events.append(FeedbackEvent(**values))
    return events


def _candidates(scores: DataFrame, registry: DataFrame) -> list[Candidate]:
    firing = (
        scores.where("is_warning")
        .join(registry.select("uscc", "entity_name", "region_code"), on="uscc", how="left")
        .select("uscc", "model", "risk_score", "risk_level", "fired_rules", "entity_name", "region_code")
    )
    return [Candidate(**row.asDict()) for row in firing.collect()]


def _arrow(name: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    schema = tables.schema(name)
    return pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows], schema=schema)


def _write_spark(frame: DataFrame, settings: Settings, name: str, as_of: date) -> int:
    path = settings.table_path(GOLD, name)
    tables.ensure(path, name)
    (
        frame.select(*tables.column_names(name))
        .write.format("delta")
        .mode("overwrite")
        .option("replacePartitions", json.dumps({tables.PARTITION: as_of.isoformat()}))
        .option("userMetadata", f"risk job {as_of.isoformat()}")
        .save(str(path))
    )
    return LakeTable(path).version()


def _write_arrow(data: pa.Table, settings: Settings, name: str, as_of: date) -> int:
    table = tables.ensure(settings.table_path(GOLD, name), name)
    result = table.replace_where(data, f"{tables.PARTITION} = '{as_of.isoformat()}'")
    return result.version


def _level_names(std: Standard) -> Mapping[str, str]:
    try:
        codes = std.code_list("risk_level")
    except Exception:  # the standard without the list: the documented fallback labels
        return LEVEL_NAMES
    return {c.code: c.label_zh for c in codes.codes}


def run(
    settings: Settings,
    logical_date: date,
    spark: SparkSession | None = None,
    *,
    computed_at: datetime | None = None,
    config: RiskConfig | None = None,
) -> dict[str, Any]:
    """Score every entity for ``logical_date`` and write the five gold tables; returns a summary (counts and
    table versions)."""
    from pyspark.sql import functions as F

    from jianguan.calendar import WorkCalendar
    from jianguan.risk.indicators import catalogue, compute_indicators, wide
    from jianguan.risk.inputs import entity_registry, name_index, read_sources
    from jianguan.risk.models import credit_classes, model_max_scores, model_scores
    from jianguan.spark import spark_session

    started = time.monotonic()
    spark = spark or spark_session(settings, app_name="score_risk")
    std = cached_standard(settings.schemas_root)
    config = config or load_config()
    codes = catalogue(config.models)
    _check_rules(config, codes)
    computed_at = computed_at or datetime.now(UTC)
    as_of = logical_date

    sources = read_sources(spark, std, lambda name: str(settings.table_path("silver", name)), as_of)
    # each stage is materialised once (local checkpoints): later steps then plan over small, cut lineages
    # instead of re-planning and re-running every indicator family (hundreds of jobs even for a tiny province)
    registry = entity_registry(sources).localCheckpoint(eager=True)
    names = name_index(registry).localCheckpoint(eager=True)
    long = compute_indicators(sources, registry, names, config, as_of).localCheckpoint(eager=True)
    base_codes = {k: v for k, v in codes.items() if k != "model_max_score"}
    indicator_wide = wide(long, base_codes).localCheckpoint(eager=True)
    scores = model_scores(indicator_wide, config.models).localCheckpoint(eager=True)
    maxima = model_max_scores(scores)
    credit_input = indicator_wide.join(maxima, on="uscc", how="left").fillna(0.0, subset=["model_max_score"])
    credit = credit_classes(
        credit_input, registry, config.credit, {k: v.default for k, v in codes.items()}, as_of, computed_at
    )

    library_of = F.create_map(*[x for code, ind in codes.items() for x in (F.lit(code), F.lit(ind.library))])
    derived = maxima.select(
        "uscc",
        F.lit("model_max_score").alias("indicator_code"),
        F.col("model_max_score").alias("indicator_value"),
    )
    indicators_out = long.unionByName(derived).select(
        "uscc",
        "indicator_code",
        "indicator_value",
        library_of[F.col("indicator_code")].alias("library"),
        F.lit(config.indicators.version).alias("indicator_version"),
        F.lit(computed_at).cast("timestamp").alias("computed_at"),
        F.lit(as_of).alias(tables.PARTITION),
    )
    scores_out = scores.select(
        "*",
        F.lit(config.models.version).alias("model_version"),
        F.lit(computed_at).cast("timestamp").alias("computed_at"),
        F.lit(as_of).alias(tables.PARTITION),
    )

    # the stateful, small part: dedup against open warnings, clue lifecycle, closing
    level_names = _level_names(std)
    warnings_table = LakeTable(settings.table_path(GOLD, "risk_warnings"))
    clues_table = LakeTable(settings.table_path(GOLD, "risk_clues"))
    previous_warnings = [_warning_from_row(r) for r in _previous_snapshot(warnings_table, as_of)]
    previous_clues = [_clue_from_row(r) for r in _previous_snapshot(clues_table, as_of)]
    candidates = _candidates(scores, registry)
    merged = merge_warnings(previous_warnings, candidates, config.models, as_of, level_names)
    events = _feedback_events(spark, std, settings, as_of)
    calendar = WorkCalendar.load()
    clues = lifecycle(previous_clues, merged, events, as_of, config.clues, calendar)
    clue_of = {c.warning_id: c.clue_id for c in clues}
    warnings_today = [
        w if w.clue_id else _with_clue(w, clue_of.get(w.warning_id))
        for w in close_warnings(merged, clue_status_by_warning(clues), as_of)
    ]
    common = {"computed_at": computed_at, tables.PARTITION: as_of}
    warning_rows = [{**w.as_row(), **common} for w in warnings_today]
    clue_rows = [{**c.as_row(), "clues_version": config.clues.version, **common} for c in clues]

    versions = {
        "risk_indicators": _write_spark(indicators_out, settings, "risk_indicators", as_of),
        "risk_scores": _write_spark(scores_out, settings, "risk_scores", as_of),
        "credit_risk_classes": _write_spark(credit, settings, "credit_risk_classes", as_of),
        "risk_warnings": _write_arrow(
            _arrow("risk_warnings", warning_rows), settings, "risk_warnings", as_of
        ),
        "risk_clues": _write_arrow(_arrow("risk_clues", clue_rows), settings, "risk_clues", as_of),
    }
    classes = {r["risk_class"]: r["count"] for r in credit_classes_count(settings, as_of, spark)}
    summary = {
        "logical_date": as_of.isoformat(),
        "inputs_present": sorted(sources.present),
        "entities": registry.count(),
        "indicator_rows": long.count(),
        "score_rows": scores.count(),
        "warnings_open": sum(1 for w in warnings_today if w.status == "open"),
        "warnings_new": sum(1 for w in warnings_today if w.is_new),
        "warnings_closed": sum(1 for w in warnings_today if w.status == "closed"),
        "warnings_by_model": _count_by(w.model for w in warnings_today if w.status == "open"),
        "clues": len(clues),
        "clues_by_status": _count_by(c.status for c in clues),
        "clues_overdue": sum(1 for c in clues if c.overdue),
        "credit_classes": classes,
        "versions": config.versions,
        "table_versions": versions,
        "seconds": round(time.monotonic() - started, 1),
    }
    for frame in (registry, names, long, indicator_wide, scores, *sources.frames.values()):
        frame.unpersist()
    log.info(
        "risk %s: %d entities, %d open warnings (%d new), %d clues (%d overdue) in %.1f s",
        as_of, summary["entities"], summary["warnings_open"], summary["warnings_new"], summary["clues"],
        summary["clues_overdue"], summary["seconds"],
    )  # fmt: skip
    return summary


def _with_clue(warning: Warning, clue_id: str | None) -> Warning:
    from dataclasses import replace

    return replace(warning, clue_id=clue_id)


def _count_by(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def _check_rules(config: RiskConfig, codes: Mapping[str, object]) -> None:
    from jianguan.errors import ConfigError

    rules = [r for m in config.models.models for r in m.rules] + list(config.credit.rules)
    unknown = sorted({r.indicator for r in rules if r.indicator not in codes})
    if unknown:
        raise ConfigError(f"risk rules name unknown indicators: {unknown}")


def credit_classes_count(settings: Settings, as_of: date, spark: SparkSession) -> list[dict[str, Any]]:
    """Rows per credit class in the date's partition (read back after the commit)."""
    path = settings.table_path(GOLD, "credit_risk_classes")
    frame = (
        spark.read.format("delta")
        .option("partitionFilter", f"{tables.PARTITION} = '{as_of.isoformat()}'")
        .load(str(path))
    )
    return [r.asDict() for r in frame.groupBy("risk_class").count().orderBy("risk_class").collect()]
