"""The evaluation job: staging tables → indicator values and composite scores (gold) → HTML report.

:func:`run` evaluates the month, quarter and year containing the logical date (each "to date"), and their
previous periods so each unit's change can be reported. Only the current periods are written: each run replaces
exactly their rows (``replace_where`` on ``period_type``/``period_key``) in one commit per table, so rerunning a
date changes nothing and a later date of the same month supersedes an earlier one. Rows delivered after the
logical date are not read (``logical_date ≤ D``), so a rerun for a past date reproduces that date's view.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from jianguan.evaluation import indicators as ind
from jianguan.evaluation.config import EvaluationConfig, load_config
from jianguan.evaluation.periods import Period, evaluation_periods
from jianguan.evaluation.regions import RegionNode, region_nodes
from jianguan.evaluation.scoring import score
from jianguan.lake import LakeTable
from jianguan.lake.catalog import LIBRARY_PROPERTY
from jianguan.settings import Settings
from jianguan.spec.loader import Standard, load_standard

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

LIBRARY = "evaluation"
VALUES_TABLE = "evaluation_indicator_values"
SCORES_TABLE = "evaluation_scores"
REPORT_DIR = ("reports", "evaluation")
TIMESTAMP = pa.timestamp("us", tz="UTC")

COLUMNS: dict[str, tuple[str, ...]] = {
    "supervision_items": ("item_code", "item_type_code", "exercise_level_codes", "department_code",
                          "region_code", "claim_status_code", "effective_date", "repealed_date"),
    "inspection_checklists": ("item_code", "department_code", "region_code", "claim_status_code",
                              "effective_date", "check_object", "check_type_code", "check_content",
                              "check_mode_codes", "check_basis", "sampling_ratio_frequency"),
    "officers": ("officer_certificate_no", "certificate_status_code", "certificate_valid_to_date",
                 "department_code", "region_code"),
    "inspections": ("inspection_code", "item_code", "department_code", "region_code", "check_date",
                    "submitted_at", "officer_certificate_nos", "uscc", "is_joint_inspection"),
    "penalties": ("penalty_action_code", "penalty_decision_no", "item_code", "department_code", "region_code",
                  "penalty_decision_date", "submitted_at", "is_not_punished", "case_filing_date",
                  "case_closed_date"),
    "coercive_measures": ("item_code", "department_code", "region_code", "measure_start_date", "submitted_at"),
    "other_actions": ("item_code", "department_code", "region_code", "start_date", "end_date", "submitted_at"),
    "random_inspection_plans": ("plan_id", "department_code", "region_code", "plan_start_date",
                                "plan_end_date", "plan_status_code"),
    "random_inspection_draws": ("plan_id", "region_code", "drawn_at", "is_inspected", "inspection_code"),
    "public_penalties": ("penalty_decision_no", "penalty_action_code", "public_date", "public_status_code",
                         "is_public"),
    "consumer_complaints": ("department_code", "region_code", "accepted_at", "acceptance_decision_date",
                            "closed_at"),
    "hotline_work_orders": ("department_code", "region_code", "request_type_code", "accepted_at",
                            "dispatched_at", "due_at", "extended_due_at", "closed_at", "is_returned",
                            "return_count", "callback_at", "satisfaction_code"),
    "national_dispatches": ("department_code", "region_code", "dispatched_at", "deadline_date", "feedback_at"),
    "enterprises": ("region_code", "registration_status_code", "established_date"),
}  # fmt: skip
"""Columns read per staging table (checked against ``schemas/`` when read); ``logical_date`` is always added."""

RISK_CLUE_COLUMNS = ("department_code", "region_code", "issued_at", "disposed_at", "fed_back_at", "due_at")
RISK_CLUES_TABLE = "risk_clues"


def _field(name: str, kind: pa.DataType, comment: str) -> pa.Field:
    return pa.field(name, kind, nullable=True, metadata={"comment": comment, "label_zh": comment})


_PERIOD = [
    _field("period_type", pa.string(), "评价周期类型（month/quarter/year）"),
    _field("period_key", pa.string(), "评价周期"),
    _field("period_start", pa.date32(), "周期开始日期"),
    _field("period_end", pa.date32(), "周期结束日期"),
    _field("as_of_date", pa.date32(), "数据截止日期"),
]
_UNIT = [
    _field("department_code", pa.string(), "部门编码（ALL 为全部部门）"),
    _field("department_name_zh", pa.string(), "部门名称"),
    _field("region_level", pa.string(), "区划层级（province/prefecture/county）"),
    _field("region_code", pa.string(), "行政区划代码"),
    _field("region_name_zh", pa.string(), "行政区划名称"),
]
_RUN = [
    _field("weights_version", pa.string(), "指标体系版本"),
    _field("logical_date", pa.date32(), "逻辑日期"),
    _field("computed_at", TIMESTAMP, "计算时间"),
]
VALUES_SCHEMA = pa.schema(
    [
        *_PERIOD,
        _field("index_code", pa.string(), "指数"),
        _field("indicator_id", pa.string(), "指标编码"),
        _field("indicator_name_zh", pa.string(), "指标名称"),
        _field("indicator_version", pa.int32(), "指标版本"),
        *_UNIT,
        _field("numerator", pa.float64(), "分子"),
        _field("denominator", pa.float64(), "分母"),
        _field("value", pa.float64(), "指标值 = 系数 × 分子 / 分母"),
        _field("scale", pa.float64(), "系数"),
        _field("normalised_score", pa.float64(), "标准化得分（0–100）"),
        _field("direction", pa.string(), "指标方向"),
        _field("normalisation", pa.string(), "标准化方法"),
        _field("weight", pa.float64(), "权重"),
        _field("note", pa.string(), "说明"),
        *_RUN,
    ]
)
SCORES_SCHEMA = pa.schema(
    [
        *_PERIOD,
        _field("index_code", pa.string(), "指数"),
        _field("index_name_zh", pa.string(), "指数名称"),
        *_UNIT,
        _field("composite_score", pa.float64(), "综合得分（0–100）"),
        _field("weight_coverage", pa.float64(), "有值指标权重合计"),
        _field("indicator_count", pa.int32(), "有值指标数"),
        _field("rank_among_regions", pa.int32(), "同级区划排名"),
        _field("peers_among_regions", pa.int32(), "同级区划参评数"),
        _field("rank_among_departments", pa.int32(), "区划内部门排名"),
        _field("peers_among_departments", pa.int32(), "区划内参评部门数"),
        _field("previous_period_key", pa.string(), "上一周期"),
        _field("previous_composite_score", pa.float64(), "上一周期综合得分"),
        _field("composite_change", pa.float64(), "综合得分变化"),
        _field("previous_rank_among_regions", pa.int32(), "上一周期同级排名"),
        _field("rank_change_among_regions", pa.int32(), "排名变化（正数为上升）"),
        *_RUN,
    ]
)


@dataclass(frozen=True)
class Loaded:
    inputs: ind.Inputs
    present: frozenset[str]
    notes: dict[str, str]


def stg_name(std: Standard, table: str) -> str:
    return f"stg_{std.table(table).library}__{table}"


def read_inputs(spark: SparkSession, std: Standard, settings: Settings, as_of: date) -> Loaded:
    """Every staging table the builders use (only the columns they use, rows delivered by ``as_of``)."""
    from pyspark.sql import functions as F

    tables: dict[str, DataFrame] = {}
    rejected: dict[str, DataFrame] = {}
    notes: dict[str, str] = {}
    for table, columns in COLUMNS.items():
        fields = set(std.table(table).field_names)
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise KeyError(f"{table}: {unknown} are not fields of schemas/tables")
        path = settings.table_path("silver", stg_name(std, table))
        if not LakeTable(path).exists():
            notes[table] = f"silver/{stg_name(std, table)} absent"
            continue
        frame = (
            spark.read.format("delta").option("columns", ",".join([*columns, "logical_date"])).load(str(path))
        )
        # read once (a local checkpoint): the indicators refer to a table many times in one plan
        tables[table] = (
            frame.where(F.col("logical_date") <= F.lit(as_of))
            .select(*columns, "logical_date")
            .localCheckpoint(eager=True)
        )
    for table in ind.ACTION_TABLES:
        path = settings.table_path("bronze", f"{table}__rejected")
        if LakeTable(path).exists():
            frame = spark.read.format("delta").option("columns", "raw_payload,logical_date").load(str(path))
            rejected[table] = frame.where(F.col("logical_date") <= F.lit(as_of)).select(
                "raw_payload", "logical_date"
            )
    risk_clues = read_risk_clues(spark, settings, as_of)
    if risk_clues is None:
        notes[RISK_CLUES_TABLE] = f"gold/{RISK_CLUES_TABLE} absent (the risk job has not run for this date)"
    present = frozenset(tables) | (frozenset({RISK_CLUES_TABLE}) if risk_clues is not None else frozenset())
    return Loaded(ind.Inputs(tables, rejected, risk_clues), present, notes)


def read_risk_clues(spark: SparkSession, settings: Settings, as_of: date) -> DataFrame | None:
    """The latest snapshot of ``gold/risk_clues`` on or before ``as_of`` (one partition per as_of_date)."""
    path = settings.table_path("gold", RISK_CLUES_TABLE)
    table = LakeTable(path)
    if not table.exists():
        return None
    dates = sorted(
        {
            value
            for entry in table.files()
            if (value := entry.partition_values.get("as_of_date")) is not None and value <= as_of.isoformat()
        }
    )
    if not dates:
        return None
    reader = spark.read.format("delta")
    if "as_of_date" in table.partition_columns():
        reader = reader.option("partitionFilter", f"as_of_date = '{dates[-1]}'")
    from pyspark.sql import functions as F

    frame = reader.load(str(path)).where(F.col("as_of_date") == F.lit(date.fromisoformat(dates[-1])))
    return frame.select(*RISK_CLUE_COLUMNS).localCheckpoint(eager=True)


def compute_values(
    config: EvaluationConfig, loaded: Loaded, context: ind.Context
) -> tuple[DataFrame, dict[str, str]]:
    """Every indicator's values, plus null rows (with a note) for indicators whose sources are absent."""
    from pyspark.sql import functions as F

    frames: list[DataFrame] = []
    missing: dict[str, str] = {}
    for spec in config.indicators:
        values = ind.compute(spec, loaded.inputs, context)
        if values is None:
            sources = ind.BUILDER_SOURCES.get(spec.builder, ())
            missing[spec.id] = (
                "; ".join(loaded.notes[s] for s in sources if s in loaded.notes) or "source absent"
            )
            log.warning("indicator %s: no value (%s)", spec.id, missing[spec.id])
            continue
        frames.append(values.withColumn("note", F.lit(None).cast("string")))
    if not frames:
        raise RuntimeError("no indicator could be computed: no staging table is present")
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    union = union.localCheckpoint(eager=True)
    if missing:
        units = union.select(*ind.PERIOD_KEYS, "department_code", "region_level", "region_code").distinct()
        spark = context.spark
        absent = spark.createDataFrame(list(missing.items()), "indicator_id string, note string")
        nulls = units.crossJoin(F.broadcast(absent)).select(
            *ind.PERIOD_KEYS,
            "indicator_id",
            "department_code",
            "region_level",
            "region_code",
            F.lit(None).cast("double").alias("numerator"),
            F.lit(None).cast("double").alias("denominator"),
            F.lit(None).cast("double").alias("value"),
            "note",
        )
        union = union.unionByName(nulls)
    return union, missing


def _names(
    spark: SparkSession, std: Standard, nodes: Mapping[str, RegionNode]
) -> tuple[DataFrame, DataFrame]:
    departments = [(c.code, c.label_zh) for c in std.code_list("departments").codes]
    departments.append((ind.ALL_DEPARTMENTS, "全部部门"))
    regions = [(n.code, n.name_zh) for n in nodes.values()]
    return (
        spark.createDataFrame(departments, "department_code string, department_name_zh string"),
        spark.createDataFrame(regions, "region_code string, region_name_zh string"),
    )


def _period_frame(spark: SparkSession, periods: Sequence[Period]) -> DataFrame:
    return spark.createDataFrame(
        [(p.period_type, p.key, p.start, p.end, p.as_of) for p in periods],
        "period_type string, period_key string, period_start date, period_end date, as_of_date date",
    )


def _to_arrow(df: DataFrame, schema: pa.Schema) -> pa.Table:
    table = df.select(*schema.names).toArrow()
    return table.cast(schema)


def _replace_periods(
    path: Path, data: pa.Table, schema: pa.Schema, periods: Sequence[Period], description: str
) -> int:
    """Replace the rows of ``periods`` by ``data`` in one commit (creating the table on first use)."""
    table = LakeTable.create(
        path,
        schema,
        properties={LIBRARY_PROPERTY: LIBRARY},
        name=path.name,
        description=description,
        exist_ok=True,
    )
    predicate = " OR ".join(f"(period_type = '{p.period_type}' AND period_key = '{p.key}')" for p in periods)
    result = table.replace_where(data, predicate)
    return result.version


def run(
    settings: Settings,
    logical_date: date,
    spark: SparkSession | None = None,
    *,
    config: EvaluationConfig | None = None,
    computed_at: datetime | None = None,
    write_report: bool = True,
) -> dict[str, Any]:
    """Evaluate the periods containing ``logical_date``; write the gold tables and the report; return a summary."""
    from pyspark.sql import functions as F

    from jianguan.evaluation.report import write_report as render_report
    from jianguan.spark import spark_session

    started = time.perf_counter()
    spark = spark or spark_session(settings, app_name="jianguan-evaluate")
    config = config or load_config()
    std = load_standard(settings.schemas_root)
    nodes = region_nodes(std)
    current, previous = evaluation_periods(logical_date)
    context = ind.build_context(
        spark,
        [*current, *previous],
        nodes,
        settings.province_code,
        config.region_levels,
        config.calendar_years_back,
    )
    loaded = read_inputs(spark, std, settings, logical_date)
    values, missing = compute_values(config, loaded, context)
    previous_keys: dict[tuple[str, str], str] = {
        (c.period_type, c.key): p.key for c, p in zip(current, previous, strict=True)
    }
    scored, scores = score(values, config, previous_keys, spark)
    stamp = computed_at or datetime.now(UTC)
    departments, regions = _names(spark, std, nodes)
    index_names = spark.createDataFrame(
        [(i.code, i.name_zh) for i in config.indices], "index_code string, index_name_zh string"
    )
    periods = F.broadcast(_period_frame(spark, current))
    specs = spark.createDataFrame(
        [(i.id, float(i.scale)) for i in config.indicators], "indicator_id string, scale double"
    )
    run_columns = [
        F.lit(config.version).alias("weights_version"),
        F.lit(logical_date).alias("logical_date"),
        F.lit(stamp).cast("timestamp").alias("computed_at"),
    ]

    def finish(df: DataFrame) -> DataFrame:
        return (
            df.join(periods, ind.PERIOD_KEYS)
            .join(F.broadcast(departments), "department_code", "left")
            .join(F.broadcast(regions), "region_code", "left")
            .select("*", *run_columns)
        )

    values_out = finish(scored.join(F.broadcast(specs), "indicator_id"))
    scores_out = finish(scores.join(F.broadcast(index_names), "index_code"))
    values_arrow = _to_arrow(values_out, VALUES_SCHEMA)
    scores_arrow = _to_arrow(scores_out, SCORES_SCHEMA)
    values_version = _replace_periods(
        settings.table_path("gold", VALUES_TABLE),
        values_arrow,
        VALUES_SCHEMA,
        current,
        "Evaluation indicator values (评价指标值): one row per period, indicator, department and region.",
    )
    scores_version = _replace_periods(
        settings.table_path("gold", SCORES_TABLE),
        scores_arrow,
        SCORES_SCHEMA,
        current,
        "Evaluation composite scores (评价综合得分): one row per period, index, department and region.",
    )
    report_path = None
    if write_report:
        report_path = render_report(settings, logical_date, config)
    summary: dict[str, Any] = {
        "logical_date": logical_date.isoformat(),
        "periods": [f"{p.period_type}:{p.key}" for p in current],
        "weights_version": config.version,
        "inputs_present": sorted(loaded.present),
        "indicators_missing": missing,
        "tables": {
            VALUES_TABLE: {"rows": values_arrow.num_rows, "version": values_version},
            SCORES_TABLE: {"rows": scores_arrow.num_rows, "version": scores_version},
        },
        "report": str(report_path) if report_path else None,
        "seconds": round(time.perf_counter() - started, 2),
    }
    for table_df in loaded.inputs.tables.values():
        table_df.unpersist()
    log.info(
        "evaluation %s: %d values, %d scores, %d indicator(s) without source, %.1f s",
        logical_date,
        values_arrow.num_rows,
        scores_arrow.num_rows,
        len(missing),
        summary["seconds"],
    )
    return summary


def report_path(settings: Settings, logical_date: date) -> Path:
    """``<lakehouse_root>/reports/evaluation/<date>/index.html``."""
    return settings.resolved_lakehouse_root.joinpath(*REPORT_DIR, logical_date.isoformat(), "index.html")
