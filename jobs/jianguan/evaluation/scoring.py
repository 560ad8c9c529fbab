"""Normalisation, weighted composites, rankings per level and period-over-period change.

All functions take and return DataFrames; the rules come from :class:`EvaluationConfig`:

* **normalised score** (0..100, higher is better) per indicator value, by the indicator's ``normalisation``:
  ``ratio`` — 100·v (100·(1−v) when lower is better); ``target`` — linear from ``worst`` (0) to ``best`` (100),
  clipped; ``minmax`` — linear from the worst to the best value among peers (same indicator, period and region
  level; department units with department units, ``ALL`` with ``ALL``), 100 when all peers are equal;
* **composite** per index and unit: ``Σ wᵢ·sᵢ / Σ wᵢ`` over the indicators with a score, and
  ``weight_coverage = Σ wᵢ`` of those (weights of an index sum to 1), so a missing source lowers coverage instead
  of silently counting as zero;
* **ranks** (1 = best; ties share a rank) among the regions of one level for one department scope
  (``rank_among_regions``), and among the departments of one region (``rank_among_departments``); a unit is
  ranked only when its ``weight_coverage`` reaches ``min_weight_coverage``;
* **change**: composite and rank against the previous period of the same type.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from jianguan.evaluation.config import EvaluationConfig
from jianguan.evaluation.indicators import ALL_DEPARTMENTS, PERIOD_KEYS

UNIT = ["department_code", "region_level", "region_code"]


def indicator_table(spark: SparkSession, config: EvaluationConfig) -> DataFrame:
    """The configuration as a small DataFrame (one row per indicator), joined onto values."""
    rows = [
        (
            i.id,
            i.name_zh,
            i.index,
            i.direction,
            i.normalisation,
            float(i.weight),
            None if i.best is None else float(i.best),
            None if i.worst is None else float(i.worst),
            int(i.version),
        )
        for i in config.indicators
    ]
    return spark.createDataFrame(
        rows,
        "indicator_id string, indicator_name_zh string, index_code string, direction string, "
        "normalisation string, weight double, best double, worst double, indicator_version int",
    )


def _clip(column: Column) -> Column:
    return F.least(F.greatest(column, F.lit(0.0)), F.lit(100.0))


def normalise(values: DataFrame, indicators: DataFrame) -> DataFrame:
    """Add the indicator's configuration columns and ``normalised_score`` (null when the value is null)."""
    joined = values.join(F.broadcast(indicators), "indicator_id")
    higher = F.col("direction") == "higher_better"
    value = F.col("value")
    ratio = F.when(higher, 100.0 * value).otherwise(100.0 * (1.0 - value))
    target = 100.0 * (value - F.col("worst")) / (F.col("best") - F.col("worst"))
    peers = Window.partitionBy(
        "indicator_id", *PERIOD_KEYS, "region_level", F.col("department_code") == ALL_DEPARTMENTS
    )
    low, high = F.min(value).over(peers), F.max(value).over(peers)
    spread = high - low
    minmax = F.when(spread == 0, F.lit(100.0)).otherwise(
        F.when(higher, 100.0 * (value - low) / spread).otherwise(100.0 * (high - value) / spread)
    )
    score = (
        F.when(F.col("normalisation") == "ratio", ratio)
        .when(F.col("normalisation") == "target", target)
        .when(F.col("normalisation") == "minmax", minmax)
    )
    return joined.withColumn("normalised_score", F.when(value.isNotNull(), _clip(score)).cast("double"))


def composite(scored: DataFrame, config: EvaluationConfig) -> DataFrame:
    """One row per period × index × unit: composite score, weight coverage and indicator count."""
    has_score = F.col("normalised_score").isNotNull()
    available = F.when(has_score, F.col("weight")).otherwise(F.lit(0.0))
    grouped = scored.groupBy(*PERIOD_KEYS, "index_code", *UNIT).agg(
        F.sum(F.when(has_score, F.col("weight") * F.col("normalised_score"))).alias("_weighted"),
        F.sum(available).alias("weight_coverage"),
        F.count(F.when(has_score, F.lit(1))).alias("indicator_count"),
    )
    composite_score = F.when(F.col("weight_coverage") > 0, F.col("_weighted") / F.col("weight_coverage"))
    return grouped.select(
        *PERIOD_KEYS,
        "index_code",
        *UNIT,
        composite_score.cast("double").alias("composite_score"),
        F.col("weight_coverage").cast("double").alias("weight_coverage"),
        F.col("indicator_count").cast("int").alias("indicator_count"),
    )


def rank(composites: DataFrame, config: EvaluationConfig) -> DataFrame:
    """Add ranks and peer counts among regions (same level and department scope) and among departments."""
    eligible = F.col("composite_score").isNotNull() & (
        F.col("weight_coverage") >= F.lit(config.min_weight_coverage) - 1e-9
    )
    flagged = composites.withColumn("_eligible", eligible)
    by_region = Window.partitionBy(*PERIOD_KEYS, "index_code", "department_code", "region_level", "_eligible")
    flagged = flagged.withColumn(
        "rank_among_regions",
        F.when(F.col("_eligible"), F.rank().over(by_region.orderBy(F.col("composite_score").desc()))),
    ).withColumn("peers_among_regions", F.when(F.col("_eligible"), F.count(F.lit(1)).over(by_region)))
    is_department = F.col("department_code") != ALL_DEPARTMENTS
    by_department = Window.partitionBy(
        *PERIOD_KEYS, "index_code", "region_level", "region_code", "_eligible", is_department
    )
    flagged = flagged.withColumn(
        "rank_among_departments",
        F.when(
            F.col("_eligible") & is_department,
            F.rank().over(by_department.orderBy(F.col("composite_score").desc())),
        ),
    ).withColumn(
        "peers_among_departments",
        F.when(F.col("_eligible") & is_department, F.count(F.lit(1)).over(by_department)),
    )
    return flagged.drop("_eligible")


def change(ranked: DataFrame, previous_keys: Mapping[tuple[str, str], str], spark: SparkSession) -> DataFrame:
    """Add the previous period's composite and ranks, and the changes (rank_change > 0 means moved up)."""
    mapping = spark.createDataFrame(
        [(kind, key, prev) for (kind, key), prev in previous_keys.items()],
        "period_type string, period_key string, previous_period_key string",
    )
    current = ranked.join(F.broadcast(mapping), PERIOD_KEYS, "left")
    previous = ranked.select(
        "period_type",
        F.col("period_key").alias("previous_period_key"),
        "index_code",
        *UNIT,
        F.col("composite_score").alias("previous_composite_score"),
        F.col("rank_among_regions").alias("previous_rank_among_regions"),
        F.col("rank_among_departments").alias("previous_rank_among_departments"),
    )
    joined = current.join(previous, ["period_type", "previous_period_key", "index_code", *UNIT], "left")
    return joined.withColumn(
        "composite_change", F.col("composite_score") - F.col("previous_composite_score")
    ).withColumn(
        "rank_change_among_regions",
        F.col("previous_rank_among_regions") - F.col("rank_among_regions"),
    )


def score(
    values: DataFrame,
    config: EvaluationConfig,
    previous_keys: Mapping[tuple[str, str], str],
    spark: SparkSession,
) -> tuple[DataFrame, DataFrame]:
    """(indicator values with scores, composite scores with ranks and change) for every period in ``values``."""
    # materialised once: both outputs (and the composite's self-join for change) read the scored values
    scored = normalise(values, indicator_table(spark, config)).localCheckpoint(eager=True)
    scores = change(rank(composite(scored, config), config), previous_keys, spark)
    return scored, scores
