"""Results: inspections linked back to plans and draws, completion, the 一公开 list, features for risk.

Draws come from two places: the engine's published draws (``gold/inspection_draws``) and draws the provincial
双随机 platform delivered itself (``stg_actions__random_inspection_draws``, keyed ``source:<plan id>``). An
inspection belongs to a drawn object when it carries the draw's ``plan_id`` and the object's USCC and was made
on or after the plan's start. Every function takes and returns DataFrames; :func:`write_as_of` stores a result
for one ``as_of_date`` idempotently (replace by date).

Personal data: the publication list names the *object* (a legal person's name is not personal data; an
individual business's name arrives masked from silver), the result and the 执法证号; never officer names,
complainants or the free-text findings.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import pyarrow as pa

from jianguan.inspection.inputs import read_stg, read_table
from jianguan.inspection.plans import InspectionConfig
from jianguan.inspection.publish import DRAWS, LAYER, LIBRARY
from jianguan.lake import LakeTable
from jianguan.lake.tables import LIBRARY_PROPERTY
from jianguan.settings import Settings
from jianguan.spec.loader import Standard

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

log = logging.getLogger(__name__)

RESULTS = "inspection_results"
COMPLETION = "inspection_completion"
PUBLICATION = "inspection_publication"
FEATURES = "inspection_results_features"
SOURCE_PREFIX = "source:"

DRAW_COLUMNS = (
    "draw_id", "draw_source", "plan_id", "plan_name", "uscc", "entity_name", "region_code", "risk_class",
    "period_start_date", "period_end_date", "visit_id",
)  # fmt: skip


def engine_draws(spark: SparkSession, settings: Settings) -> DataFrame | None:
    from pyspark.sql import functions as F

    frame = read_table(spark, settings, LAYER, DRAWS)
    if frame is None:
        return None
    return frame.withColumn("draw_source", F.lit("engine")).select(*DRAW_COLUMNS)


def source_draws(spark: SparkSession, settings: Settings, std: Standard) -> DataFrame | None:
    """Draws delivered by the source platform, with their plan's name and window."""
    from pyspark.sql import functions as F

    draws = read_stg(
        spark, settings, std, "random_inspection_draws", "plan_id", "uscc", "party_name", "region_code", "credit_risk_class_code"
    )  # fmt: skip
    if draws is None:
        return None
    plans = read_stg(
        spark,
        settings,
        std,
        "random_inspection_plans",
        "plan_id",
        "plan_name",
        "plan_start_date",
        "plan_end_date",
    )
    if plans is None:
        plans = (
            draws.select("plan_id")
            .distinct()
            .select(
                "plan_id",
                F.lit(None).cast("string").alias("plan_name"),
                F.lit(None).cast("date").alias("plan_start_date"),
                F.lit(None).cast("date").alias("plan_end_date"),
            )
        )
    return (
        draws.where(F.col("uscc").isNotNull())
        .join(plans, "plan_id", "left")
        .select(
            F.concat(F.lit(SOURCE_PREFIX), F.col("plan_id")).alias("draw_id"),
            F.lit("source_platform").alias("draw_source"),
            "plan_id",
            "plan_name",
            "uscc",
            F.col("party_name").alias("entity_name"),
            "region_code",
            F.col("credit_risk_class_code").alias("risk_class"),
            F.col("plan_start_date").alias("period_start_date"),
            F.col("plan_end_date").alias("period_end_date"),
            F.lit(None).cast("string").alias("visit_id"),
        )
        .dropDuplicates(["draw_id", "uscc"])
    )


def all_draws(spark: SparkSession, settings: Settings, std: Standard) -> DataFrame | None:
    frames = [f for f in (engine_draws(spark, settings), source_draws(spark, settings, std)) if f is not None]
    if not frames:
        return None
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union


def inspections_frame(spark: SparkSession, settings: Settings, std: Standard) -> DataFrame | None:
    return read_stg(
        spark, settings, std, "inspections",
        "inspection_code", "plan_id", "uscc", "item_code", "check_date", "check_result_code", "officer_certificate_nos",
    )  # fmt: skip


def _flags(config: InspectionConfig) -> dict[str, Column]:
    from pyspark.sql import functions as F

    result = F.col("check_result_code")
    return {
        "is_problem": result.isNotNull() & ~result.isin(sorted(config.code_set("no_problem_results"))),
        "is_unreachable": result.isin(sorted(config.code_set("unreachable_results"))),
        "is_refused": result.isin(sorted(config.code_set("refused_results"))),
    }


def link_results(
    draws: DataFrame, inspections: DataFrame, config: InspectionConfig, as_of: dt.date
) -> DataFrame:
    """One row per draw × drawn object: whether, when and with what result it was inspected by ``as_of``."""
    from pyspark.sql import functions as F

    flags = _flags(config)
    checks = inspections.where(F.col("plan_id").isNotNull() & (F.col("check_date") <= F.lit(as_of))).select(
        F.col("plan_id").alias("i_plan_id"),
        F.col("uscc").alias("i_uscc"),
        "inspection_code",
        "check_date",
        "check_result_code",
        *[F.coalesce(expr, F.lit(False)).cast("int").alias(name) for name, expr in flags.items()],
    )
    joined = draws.join(
        checks,
        (draws["plan_id"] == checks["i_plan_id"])
        & (draws["uscc"] == checks["i_uscc"])
        & (draws["period_start_date"].isNull() | (checks["check_date"] >= draws["period_start_date"])),
        "left",
    )
    return (
        joined.groupBy(*DRAW_COLUMNS)
        .agg(
            (F.count("inspection_code") > 0).alias("is_inspected"),
            F.concat_ws(",", F.sort_array(F.collect_set("inspection_code"))).alias("inspection_codes"),
            F.min("check_date").alias("first_check_date"),
            F.max("check_date").alias("last_check_date"),
            F.concat_ws(",", F.sort_array(F.collect_set("check_result_code"))).alias("check_result_codes"),
            (F.coalesce(F.max("is_problem"), F.lit(0)) > 0).alias("is_problem_found"),
            (F.coalesce(F.max("is_unreachable"), F.lit(0)) > 0).alias("is_unreachable"),
            (F.coalesce(F.max("is_refused"), F.lit(0)) > 0).alias("is_refused"),
        )
        .withColumn("as_of_date", F.lit(as_of))
    )


def completion(linked: DataFrame, as_of: dt.date) -> DataFrame:
    """One row per draw: drawn, inspected, completion rate, problems found."""
    from pyspark.sql import functions as F

    grouped = linked.groupBy("draw_id", "draw_source", "plan_id").agg(
        F.count("*").alias("drawn_count"),
        F.sum(F.col("is_inspected").cast("int")).alias("inspected_count"),
        F.sum(F.col("is_problem_found").cast("int")).alias("problem_count"),
        F.max("period_end_date").alias("period_end_date"),
    )
    return grouped.select(
        "draw_id",
        "draw_source",
        "plan_id",
        "drawn_count",
        "inspected_count",
        (F.col("inspected_count") / F.col("drawn_count")).alias("completion_rate"),
        "problem_count",
        F.when(F.col("inspected_count") > 0, F.col("problem_count") / F.col("inspected_count")).alias(
            "problem_rate"
        ),
        "period_end_date",
        (F.col("period_end_date") < F.lit(as_of)).alias("is_period_over"),
        F.lit(as_of).alias("as_of_date"),
    )


def publication_list(
    spark: SparkSession, linked: DataFrame, inspections: DataFrame, std: Standard, as_of: dt.date
) -> DataFrame:
    """一公开: one row per inspection of a drawn object — object, items, date, result with its label."""
    from pyspark.sql import functions as F

    labels = spark.createDataFrame(
        [(c.code, c.label_zh) for c in std.code_list("check_result").codes],
        "check_result_code string, check_result_name string",
    )
    inspected = linked.where("is_inspected").select(
        "draw_id", "plan_id", "plan_name", "uscc", "entity_name", "region_code", "period_start_date"
    )
    checks = inspections.where(F.col("plan_id").isNotNull() & (F.col("check_date") <= F.lit(as_of)))
    joined = inspected.join(checks, ["plan_id", "uscc"]).where(
        F.col("period_start_date").isNull() | (F.col("check_date") >= F.col("period_start_date"))
    )
    return joined.join(labels, "check_result_code", "left").select(
        "draw_id",
        "plan_id",
        "plan_name",
        "uscc",
        "entity_name",
        "region_code",
        "inspection_code",
        "item_code",
        "check_date",
        "check_result_code",
        "check_result_name",
        "officer_certificate_nos",
        F.lit(as_of).alias("as_of_date"),
    )


def results_features(
    inspections: DataFrame,
    linked: DataFrame | None,
    config: InspectionConfig,
    as_of: dt.date,
    computed_at: dt.datetime,
) -> DataFrame:
    """Per entity, over the configured window: checks, random checks, problems, unreachable/refused, recency,
    and how often it was drawn but not inspected — inputs for the credit/risk scoring."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    window_days = int(config.features["window_days"])
    since = as_of - dt.timedelta(days=window_days)
    flags = _flags(config)
    recent = inspections.where(
        F.col("uscc").isNotNull()
        & (F.col("check_date") > F.lit(since))
        & (F.col("check_date") <= F.lit(as_of))
    )
    latest = Window.partitionBy("uscc").orderBy(F.col("check_date").desc(), F.col("inspection_code").desc())
    last_result = (
        recent.withColumn("n", F.row_number().over(latest))
        .where("n = 1")
        .select("uscc", F.col("check_result_code").alias("last_result_code"))
    )
    counts = (
        recent.groupBy("uscc")
        .agg(
            F.count("*").alias("inspection_count"),
            F.sum(F.col("plan_id").isNotNull().cast("int")).alias("random_inspection_count"),
            *[
                F.sum(F.coalesce(expr, F.lit(False)).cast("int")).alias(f"{name[3:]}_count")
                for name, expr in flags.items()
            ],
            F.max("check_date").alias("last_check_date"),
        )
        .join(last_result, "uscc", "left")
    )
    features = counts
    if linked is not None:
        drawn = (
            linked.where(F.col("period_start_date").isNull() | (F.col("period_start_date") > F.lit(since)))
            .groupBy("uscc")
            .agg(
                F.count("*").alias("drawn_count"),
                F.sum(((F.col("period_end_date") < F.lit(as_of)) & ~F.col("is_inspected")).cast("int")).alias(
                    "drawn_not_inspected_count"
                ),
            )
        )
        features = counts.join(drawn, "uscc", "full_outer")
    else:
        features = counts.withColumn("drawn_count", F.lit(0)).withColumn(
            "drawn_not_inspected_count", F.lit(0)
        )
    zero = ["inspection_count", "random_inspection_count", "problem_count", "unreachable_count", "refused_count",
            "drawn_count", "drawn_not_inspected_count"]  # fmt: skip
    features = features.fillna(0, subset=zero)
    return features.select(
        "uscc",
        *[F.col(c).cast("int").alias(c) for c in zero],
        F.when(F.col("inspection_count") > 0, F.col("problem_count") / F.col("inspection_count")).alias(
            "problem_rate"
        ),
        "last_check_date",
        F.datediff(F.lit(as_of), F.col("last_check_date")).alias("days_since_last_check"),
        "last_result_code",
        F.lit(str(config.features["version"])).alias("features_version"),
        F.lit(as_of).alias("as_of_date"),
        F.lit(computed_at).cast("timestamp").alias("computed_at"),
    )


def write_as_of(settings: Settings, name: str, frame: DataFrame, as_of: dt.date) -> dict[str, int]:
    """Replace the ``as_of_date`` slice of ``gold/<name>`` by ``frame`` (one commit; reruns change nothing)."""
    data = frame.toArrow()
    schema = pa.schema([f.with_nullable(True) for f in data.schema])
    data = data.cast(schema)
    lake = LakeTable.create(
        settings.table_path(LAYER, name),
        schema,
        properties={LIBRARY_PROPERTY: LIBRARY},
        description=f"双随机、一公开: {name}",
        exist_ok=True,
    )
    commit = lake.replace_where(data, f"as_of_date = '{as_of.isoformat()}'")
    return {"rows": data.num_rows, "version": commit.version}


def compute_results(
    spark: SparkSession,
    settings: Settings,
    std: Standard,
    config: InspectionConfig,
    as_of: dt.date,
    computed_at: dt.datetime,
) -> dict[str, dict[str, int]]:
    """Link, complete, publish and featurise for ``as_of``; tables whose inputs are missing are skipped."""
    inspections = inspections_frame(spark, settings, std)
    if inspections is None:
        log.warning("no stg inspections: no results for %s", as_of)
        return {}
    summary: dict[str, dict[str, int]] = {}
    draws = all_draws(spark, settings, std)
    linked = None
    if draws is not None:
        linked = link_results(draws, inspections, config, as_of).cache()
        summary[RESULTS] = write_as_of(settings, RESULTS, linked, as_of)
        summary[COMPLETION] = write_as_of(settings, COMPLETION, completion(linked, as_of), as_of)
        summary[PUBLICATION] = write_as_of(
            settings, PUBLICATION, publication_list(spark, linked, inspections, std, as_of), as_of
        )
    summary[FEATURES] = write_as_of(
        settings, FEATURES, results_features(inspections, linked, config, as_of, computed_at), as_of
    )
    if linked is not None:
        linked.unpersist()
    return summary
