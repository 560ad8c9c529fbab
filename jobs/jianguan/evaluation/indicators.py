"""Indicator builders and the roll-up to department × region level × period numerators and denominators.

Each builder is a pure function ``(inputs, context, spec) -> Facts | None``: it reads the staging tables it
needs from :class:`Inputs`, keeps the rows that count for each period of :attr:`Context.periods` and returns
*facts* — ``period_type, period_key, department_code, region_code, numerator, denominator`` — usually one per
record, at the region the record belongs to. :func:`aggregate` then sums the facts at that region and at every
region above it (county → city → province) and over all departments (``department_code = 'ALL'``), so every
stored value is ``scale × Σ numerator / Σ denominator`` and can be recomputed from the two sums stored beside it.

Two kinds of period membership:

* **flow** (:func:`flow`): a record counts in a period when its date falls between the period start and the
  period's ``as_of`` date (actions, complaints, decisions);
* **stock** (:func:`stock`): a record counts when it is in force at ``as_of`` (catalogue items, checklists,
  enterprises).

Deadlines in working days use :attr:`Context.calendar` (``day → workday_seq``). A record whose deadline has not
passed at ``as_of`` and that is not done yet is left out of both numerator and denominator ("not yet due"),
so a period evaluated to date is not punished for work that is still allowed to happen.

A builder returns ``None`` when a source table is absent; the job then stores null values with a note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from typing import Any, Literal

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType, StructField, StructType

from jianguan.calendar import WorkCalendar
from jianguan.evaluation.config import IndicatorSpec
from jianguan.evaluation.periods import Period
from jianguan.evaluation.regions import RegionNode, ancestor_rows
from jianguan.evaluation.workdays import workday_sequence

ALL_DEPARTMENTS = "ALL"
"""department_code of the rows that cover every department of a region."""

PERIOD_KEYS = ["period_type", "period_key"]
FACT_COLUMNS = [*PERIOD_KEYS, "department_code", "region_code", "numerator", "denominator"]
VALUE_COLUMNS = [
    *PERIOD_KEYS,
    "indicator_id",
    "department_code",
    "region_level",
    "region_code",
    "numerator",
    "denominator",
    "value",
]
ACTION_TABLES = ("inspections", "penalties", "coercive_measures", "other_actions")

FACT_SCHEMA = StructType(
    [
        StructField("period_type", StringType(), False),
        StructField("period_key", StringType(), False),
        StructField("department_code", StringType(), True),
        StructField("region_code", StringType(), True),
        StructField("numerator", DoubleType(), True),
        StructField("denominator", DoubleType(), True),
    ]
)


@dataclass(frozen=True)
class Inputs:
    """The DataFrames the builders read, by standard table name; absent tables are simply missing."""

    tables: Mapping[str, DataFrame]
    rejected: Mapping[str, DataFrame] = field(default_factory=dict)
    """Quarantine tables (``bronze/<table>__rejected``) by table name."""
    risk_clues: DataFrame | None = None
    """``gold/risk_clues`` of the risk job, when it has run."""

    def get(self, name: str) -> DataFrame | None:
        return self.tables.get(name)


@dataclass(frozen=True)
class Context:
    """The axes every builder shares."""

    spark: SparkSession
    periods: DataFrame
    """``period_type, period_key, period_start, as_of_date`` (one row per evaluated period)."""
    calendar: DataFrame
    """``day, workday_seq``: working days from the calendar's origin up to and including ``day``."""
    regions: DataFrame
    """``region_code, ancestor_level, ancestor_code``: each code with itself and every ancestor."""
    province_code: str
    region_levels: Mapping[str, str]
    """Region level → 行使层级 code (``province → 2`` …)."""


@dataclass(frozen=True)
class Facts:
    """A builder's result. ``all_departments`` says how the ``ALL`` rows arise:

    * ``"sum"`` — :func:`aggregate` adds them by summing every fact (the indicator is additive over departments);
    * ``"provided"`` — the builder emitted its own ``ALL`` rows (e.g. distinct counts, per-region indicators).

    ``leveled`` facts carry ``region_level`` and are already counted at every level (no roll-up).
    """

    df: DataFrame
    all_departments: Literal["sum", "provided"] = "sum"
    leveled: bool = False


Builder = Callable[[Inputs, Context, IndicatorSpec], "Facts | None"]


def build_context(
    spark: SparkSession,
    periods: Sequence[Period],
    nodes: Mapping[str, RegionNode],
    province_code: str,
    region_levels: Mapping[str, str],
    calendar_years_back: int,
    calendar: WorkCalendar | None = None,
) -> Context:
    """The three axes as small DataFrames: periods, the working-day calendar and the region tree."""
    period_rows = [(p.period_type, p.key, p.start, p.as_of) for p in periods]
    period_df = spark.createDataFrame(
        period_rows, "period_type string, period_key string, period_start date, as_of_date date"
    )
    latest = max(p.end for p in periods)
    earliest = date(min(p.start for p in periods).year - calendar_years_back, 1, 1)
    calendar_df = spark.createDataFrame(
        workday_sequence(earliest, latest, calendar), "day date, workday_seq long"
    )
    regions_df = spark.createDataFrame(
        ancestor_rows(dict(nodes)), "region_code string, ancestor_level string, ancestor_code string"
    )
    return Context(spark, period_df, calendar_df, regions_df, province_code, dict(region_levels))


# ---- shared column helpers ---------------------------------------------------------------------------------


def _blank_to_null(column: Column) -> Column:
    trimmed = F.trim(column.cast("string"))
    return F.when(F.length(trimmed) > 0, trimmed)


def _codes(values: Sequence[Any]) -> list[str]:
    return [str(v) for v in values]


def _param_codes(spec: IndicatorSpec, name: str) -> list[str]:
    return _codes(spec.params.get(name, []))


def flow(df: DataFrame, date_column: Column, context: Context) -> DataFrame:
    """Rows whose date lies in ``[period_start, as_of_date]`` of a period, once per such period."""
    dated = df.withColumn("_event_date", date_column.cast("date"))
    periods = F.broadcast(context.periods)
    joined = dated.join(
        periods,
        (dated["_event_date"] >= periods["period_start"]) & (dated["_event_date"] <= periods["as_of_date"]),
    )
    return joined.drop("_event_date")


def stock(df: DataFrame, valid_from: Column | None, valid_to: Column | None, context: Context) -> DataFrame:
    """Rows in force at a period's ``as_of_date`` (from ≤ as_of, and not ended by then), once per period."""
    dated = df.withColumn(
        "_valid_from", valid_from.cast("date") if valid_from is not None else F.lit(None).cast("date")
    ).withColumn("_valid_to", valid_to.cast("date") if valid_to is not None else F.lit(None).cast("date"))
    periods = F.broadcast(context.periods)
    in_force = (dated["_valid_from"].isNull() | (dated["_valid_from"] <= periods["as_of_date"])) & (
        dated["_valid_to"].isNull() | (dated["_valid_to"] > periods["as_of_date"])
    )
    return dated.join(periods, in_force).drop("_valid_from", "_valid_to")


def with_workday_seq(df: DataFrame, date_column: Column, name: str, context: Context) -> DataFrame:
    """Add ``name`` = the calendar's ``workday_seq`` of ``date_column`` (null outside the calendar)."""
    calendar = F.broadcast(
        context.calendar.select(F.col("day").alias(f"_{name}_day"), F.col("workday_seq").alias(name))
    )
    keyed = df.withColumn(f"_{name}_key", date_column.cast("date"))
    return keyed.join(calendar, keyed[f"_{name}_key"] == calendar[f"_{name}_day"], "left").drop(
        f"_{name}_key", f"_{name}_day"
    )


def deadline_facts(
    df: DataFrame,
    start: Column,
    done: Column,
    deadline_working_days: int,
    context: Context,
) -> DataFrame:
    """Facts for "done within N working days of start", evaluated at each period's ``as_of_date``.

    Expects ``df`` already joined to its periods (``as_of_date`` present). A record done after ``as_of`` is
    not done yet. Eligible: done by ``as_of``, or N working days have elapsed in ``(start, as_of]``.
    """
    staged = df.withColumn("_start", start.cast("date")).withColumn("_done", done.cast("date"))
    staged = staged.withColumn("_done", F.when(F.col("_done") <= F.col("as_of_date"), F.col("_done")))
    staged = with_workday_seq(staged, F.col("_start"), "_seq_start", context)
    staged = with_workday_seq(staged, F.col("_done"), "_seq_done", context)
    staged = with_workday_seq(staged, F.col("as_of_date"), "_seq_asof", context)
    is_done = F.col("_done").isNotNull()
    on_time = is_done & ((F.col("_seq_done") - F.col("_seq_start")) <= deadline_working_days)
    overdue_open = (F.col("_seq_asof") - F.col("_seq_start")) >= deadline_working_days
    return staged.where(is_done | overdue_open).select(
        *PERIOD_KEYS,
        "department_code",
        "region_code",
        on_time.cast("double").alias("numerator"),
        F.lit(1.0).alias("denominator"),
    )


def timestamp_deadline_facts(df: DataFrame, done_at: Column, due_at: Column) -> DataFrame:
    """Facts for "done by a deadline timestamp", the deadline counting as passed by the end of ``as_of``."""
    done_by_asof = done_at.isNotNull() & (F.to_date(done_at) <= F.col("as_of_date"))
    due_passed = due_at.isNotNull() & (F.to_date(due_at) <= F.col("as_of_date"))
    on_time = done_by_asof & due_at.isNotNull() & (done_at <= due_at)
    return df.where(done_by_asof | due_passed).select(
        *PERIOD_KEYS,
        "department_code",
        "region_code",
        on_time.cast("double").alias("numerator"),
        F.lit(1.0).alias("denominator"),
    )


def ratio_facts(df: DataFrame, numerator: Column, denominator: Column | None = None) -> DataFrame:
    """The fact columns of ``df`` with the given numerator (and denominator, 1 per row by default)."""
    return df.select(
        *PERIOD_KEYS,
        "department_code",
        "region_code",
        numerator.cast("double").alias("numerator"),
        (denominator if denominator is not None else F.lit(1.0)).cast("double").alias("denominator"),
    )


def _unit(
    df: DataFrame, department: str | Column = "department_code", region: str = "region_code"
) -> DataFrame:
    """Standardise the unit columns: trimmed codes, blanks as null."""
    department_column = F.col(department) if isinstance(department, str) else department
    return df.withColumn("department_code", _blank_to_null(department_column)).withColumn(
        "region_code", _blank_to_null(F.col(region))
    )


def _union(frames: Sequence[DataFrame]) -> DataFrame | None:
    present = [f for f in frames if f is not None]
    if not present:
        return None
    return reduce(lambda a, b: a.unionByName(b), present)


def _level_code(context: Context) -> Column:
    """行使层级 code of ``ancestor_level`` (a map built from the configuration)."""
    pairs: list[Column] = []
    for level, code in context.region_levels.items():
        pairs.extend([F.lit(level), F.lit(code)])
    return F.create_map(*pairs)[F.col("ancestor_level")]


def _active_items(inputs: Inputs, context: Context, item_types: Sequence[str] = ()) -> DataFrame | None:
    items = inputs.get("supervision_items")
    if items is None:
        return None
    selected = _unit(items).where(F.col("department_code").isNotNull())
    if item_types:
        selected = selected.where(F.col("item_type_code").isin(list(item_types)))
    return stock(
        selected.select(
            "department_code",
            "item_code",
            "item_type_code",
            "exercise_level_codes",
            "effective_date",
            "repealed_date",
        ),
        F.col("effective_date"),
        F.col("repealed_date"),
        context,
    ).select(*PERIOD_KEYS, "department_code", "item_code", "exercise_level_codes")


# ---- builders: 对监管的监管 -----------------------------------------------------------------------------------


def catalogue_claim(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    claimed = _param_codes(spec, "claimed_codes")
    parts = []
    items = inputs.get("supervision_items")
    if items is not None:
        parts.append(
            stock(_unit(items), F.col("effective_date"), F.col("repealed_date"), context).select(
                *PERIOD_KEYS, "department_code", "region_code", "claim_status_code"
            )
        )
    checklists = inputs.get("inspection_checklists")
    if checklists is not None:
        parts.append(
            stock(_unit(checklists), F.col("effective_date"), None, context).select(
                *PERIOD_KEYS, "department_code", "region_code", "claim_status_code"
            )
        )
    union = _union(parts)
    if union is None:
        return None
    return Facts(ratio_facts(union, F.coalesce(F.col("claim_status_code").isin(claimed), F.lit(False))))


def checklist_completion(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    items = _active_items(inputs, context, _param_codes(spec, "inspection_item_types"))
    checklists = inputs.get("inspection_checklists")
    if items is None or checklists is None:
        return None
    officers = inputs.get("officers")
    presence_parts = [_unit(checklists).select("department_code", "region_code")]
    if officers is not None:
        presence_parts.append(_unit(officers).select("department_code", "region_code"))
    presence = reduce(lambda a, b: a.unionByName(b), presence_parts).where(
        F.col("department_code").isNotNull() & F.col("region_code").isNotNull()
    )
    # the level of each present region (its own row in the ancestor table) decides which items it exercises
    own_level = context.regions.where(F.col("region_code") == F.col("ancestor_code")).select(
        "region_code", _level_code(context).alias("exercise_level_code")
    )
    presence = presence.distinct().join(own_level, "region_code")
    expected = items.join(presence, "department_code").where(
        F.array_contains(
            F.split(F.regexp_replace("exercise_level_codes", r"\s", ""), ","), F.col("exercise_level_code")
        )
    )
    compiled = (
        stock(_unit(checklists), F.col("effective_date"), None, context)
        .select(*PERIOD_KEYS, "department_code", "region_code", "item_code", F.lit(True).alias("_has"))
        .distinct()
    )
    pairs = expected.join(compiled, [*PERIOD_KEYS, "department_code", "region_code", "item_code"], "left")
    return Facts(ratio_facts(pairs, F.coalesce(F.col("_has"), F.lit(False))))


def checklist_completeness(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    checklists = inputs.get("inspection_checklists")
    if checklists is None:
        return None
    required = [str(f) for f in spec.params.get("required_fields", [])]
    complete = reduce(lambda acc, name: acc & _blank_to_null(F.col(name)).isNotNull(), required, F.lit(True))
    in_force = stock(_unit(checklists), F.col("effective_date"), None, context)
    return Facts(ratio_facts(in_force, complete))


def registered_officers(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    inspections = inputs.get("inspections")
    officers = inputs.get("officers")
    if inspections is None or officers is None:
        return None
    valid_codes = _param_codes(spec, "valid_status_codes")
    register = officers.select(
        F.trim("officer_certificate_no").alias("_certificate"),
        F.col("certificate_status_code").alias("_status"),
        F.col("certificate_valid_to_date").alias("_valid_to"),
    )
    checks = flow(_unit(inspections), F.col("check_date"), context).select(
        *PERIOD_KEYS,
        "inspection_code",
        "department_code",
        "region_code",
        "check_date",
        F.explode_outer(F.split(F.col("officer_certificate_nos"), ",")).alias("_certificate"),
    )
    checks = checks.withColumn("_certificate", _blank_to_null(F.col("_certificate")))
    joined = checks.join(register, "_certificate", "left")
    valid = F.col("_status").isin(valid_codes) & (
        F.col("_valid_to").isNull() | (F.col("_valid_to") >= F.col("check_date"))
    )
    per_inspection = joined.groupBy(*PERIOD_KEYS, "inspection_code", "department_code", "region_code").agg(
        F.min(F.coalesce(valid, F.lit(False)).cast("int")).alias("_all_valid")
    )
    return Facts(ratio_facts(per_inspection, F.col("_all_valid")))


def _actions(inputs: Inputs, date_columns: Mapping[str, Column]) -> DataFrame | None:
    """``department_code, region_code, item_code, action_date, submitted_at`` of every action table present."""
    parts = []
    for table in ACTION_TABLES:
        df = inputs.get(table)
        if df is None:
            continue
        parts.append(
            _unit(df).select(
                "department_code",
                "region_code",
                "item_code",
                date_columns[table].cast("date").alias("action_date"),
                F.col("submitted_at"),
            )
        )
    return _union(parts)


def action_dates() -> dict[str, Column]:
    """The date each kind of action happened (its reporting clock starts then)."""
    return {
        "inspections": F.col("check_date"),
        "penalties": F.col("penalty_decision_date"),
        "coercive_measures": F.coalesce(F.col("measure_start_date"), F.to_date("submitted_at")),
        "other_actions": F.coalesce(F.col("end_date"), F.col("start_date")),
    }


def action_coverage(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    items = _active_items(inputs, context)
    actions = _actions(inputs, action_dates())
    if items is None or actions is None:
        return None
    ancestors = context.regions.select("region_code", "ancestor_level", "ancestor_code")
    covered = (
        flow(actions.where(F.col("department_code").isNotNull()), F.col("action_date"), context)
        .join(ancestors, "region_code")
        .select(*PERIOD_KEYS, "department_code", "ancestor_level", "ancestor_code", "item_code")
        .distinct()
        .join(
            items.select(*PERIOD_KEYS, "department_code", "item_code"),
            [*PERIOD_KEYS, "department_code", "item_code"],
        )
        .groupBy(*PERIOD_KEYS, "department_code", "ancestor_level", "ancestor_code")
        .agg(F.count(F.lit(1)).cast("double").alias("numerator"))
    )
    # units: every region where the department is present (an agency, an officer or an action below it)
    presence_parts = [actions.select("department_code", "region_code")]
    for table in ("inspection_checklists", "officers"):
        df = inputs.get(table)
        if df is not None:
            presence_parts.append(_unit(df).select("department_code", "region_code"))
    presence = (
        reduce(lambda a, b: a.unionByName(b), presence_parts)
        .where(F.col("department_code").isNotNull())
        .distinct()
        .join(ancestors, "region_code")
        .select("department_code", "ancestor_level", "ancestor_code")
        .distinct()
    )
    item_counts = items.groupBy(*PERIOD_KEYS, "department_code").agg(
        F.count(F.lit(1)).cast("double").alias("denominator")
    )
    units = presence.join(item_counts, "department_code")
    facts = units.join(
        covered, [*PERIOD_KEYS, "department_code", "ancestor_level", "ancestor_code"], "left"
    ).select(
        *PERIOD_KEYS,
        "department_code",
        F.col("ancestor_level").alias("region_level"),
        F.col("ancestor_code").alias("region_code"),
        F.coalesce(F.col("numerator"), F.lit(0.0)).alias("numerator"),
        "denominator",
    )
    return Facts(facts, leveled=True)


def reporting_timeliness(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    actions = _actions(inputs, action_dates())
    if actions is None:
        return None
    in_period = flow(actions.where(F.col("action_date").isNotNull()), F.col("action_date"), context)
    days = int(spec.params["deadline_working_days"])
    return Facts(deadline_facts(in_period, F.col("action_date"), F.to_date("submitted_at"), days, context))


def reporting_accuracy(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    parts = []
    for table in ACTION_TABLES:
        accepted = inputs.get(table)
        if accepted is not None:
            parts.append(
                _unit(accepted).select(
                    "department_code", "region_code", "logical_date", F.lit(1.0).alias("_passed")
                )
            )
        rejected = inputs.rejected.get(table)
        if rejected is not None:
            parts.append(
                rejected.select(
                    _blank_to_null(F.get_json_object("raw_payload", "$.department_code")).alias(
                        "department_code"
                    ),
                    _blank_to_null(F.get_json_object("raw_payload", "$.region_code")).alias("region_code"),
                    "logical_date",
                    F.lit(0.0).alias("_passed"),
                )
            )
    if not any(inputs.get(t) is not None for t in ACTION_TABLES):
        return None
    union = _union(parts)
    assert union is not None  # at least one accepted table is present
    return Facts(ratio_facts(flow(union, F.col("logical_date"), context), F.col("_passed")))


def random_completion(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    draws = inputs.get("random_inspection_draws")
    plans = inputs.get("random_inspection_plans")
    if draws is None or plans is None:
        return None
    plan_units = _unit(plans).select(
        "plan_id",
        F.col("department_code").alias("_plan_department"),
        F.col("region_code").alias("_plan_region"),
        "plan_start_date",
        "plan_end_date",
    )
    joined = draws.join(plan_units, "plan_id").select(
        F.col("_plan_department").alias("department_code"),
        F.coalesce(_blank_to_null(F.col("region_code")), F.col("_plan_region")).alias("region_code"),
        F.coalesce(F.to_date("drawn_at"), F.col("plan_start_date")).alias("_drawn_on"),
        "plan_end_date",
        (
            F.coalesce(F.col("is_inspected"), F.lit(False))
            | _blank_to_null(F.col("inspection_code")).isNotNull()
        ).alias("_inspected"),
    )
    in_period = flow(joined, F.col("_drawn_on"), context)
    closed = F.col("plan_end_date").isNotNull() & (F.col("plan_end_date") <= F.col("as_of_date"))
    eligible = in_period.where(F.col("_inspected") | closed)
    return Facts(ratio_facts(eligible, F.col("_inspected")))


def random_publication(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    plans = inputs.get("random_inspection_plans")
    if plans is None:
        return None
    excluded = _param_codes(spec, "excluded_codes")
    published = _param_codes(spec, "published_codes")
    kept = _unit(plans).where(~F.coalesce(F.col("plan_status_code").isin(excluded), F.lit(False)))
    in_period = flow(kept, F.col("plan_start_date"), context)
    return Facts(ratio_facts(in_period, F.coalesce(F.col("plan_status_code").isin(published), F.lit(False))))


def penalty_publication(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    penalties = inputs.get("penalties")
    public = inputs.get("public_penalties")
    if penalties is None or public is None:
        return None
    valid = _param_codes(spec, "valid_public_status_codes")
    shown = public.where(
        F.coalesce(F.col("public_status_code").isin(valid), F.lit(True))
        & F.coalesce(F.col("is_public"), F.lit(True))
        & F.col("public_date").isNotNull()
    )
    # a public record links to its case by decision number, or by the penalty action code when sent
    by_number = shown.groupBy(_blank_to_null(F.col("penalty_decision_no")).alias("_number")).agg(
        F.min("public_date").alias("_public_by_number")
    )
    by_code = shown.groupBy(_blank_to_null(F.col("penalty_action_code")).alias("_code")).agg(
        F.min("public_date").alias("_public_by_code")
    )
    cases = (
        _unit(penalties)
        .where(~F.coalesce(F.col("is_not_punished"), F.lit(False)))
        .withColumn("_number", _blank_to_null(F.col("penalty_decision_no")))
        .withColumn("_code", _blank_to_null(F.col("penalty_action_code")))
        .join(by_number, "_number", "left")
        .join(by_code, "_code", "left")
    )
    in_period = flow(cases, F.col("penalty_decision_date"), context)
    published = F.least(F.col("_public_by_number"), F.col("_public_by_code"))
    days = int(spec.params["deadline_working_days"])
    return Facts(deadline_facts(in_period, F.col("penalty_decision_date"), published, days, context))


def complaint_acceptance(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    complaints = inputs.get("consumer_complaints")
    if complaints is None:
        return None
    in_period = flow(_unit(complaints), F.to_date("accepted_at"), context)
    days = int(spec.params["deadline_working_days"])
    return Facts(
        deadline_facts(in_period, F.to_date("accepted_at"), F.col("acceptance_decision_date"), days, context)
    )


def complaint_closure(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    parts = []
    orders = inputs.get("hotline_work_orders")
    if orders is not None:
        dispatched = _unit(orders).where(F.col("due_at").isNotNull())
        in_period = flow(dispatched, F.to_date("accepted_at"), context)
        parts.append(
            timestamp_deadline_facts(
                in_period, F.col("closed_at"), F.coalesce(F.col("extended_due_at"), F.col("due_at"))
            )
        )
    dispatches = inputs.get("national_dispatches")
    if dispatches is not None:
        in_period = flow(_unit(dispatches), F.to_date("dispatched_at"), context)
        # 办理期限 is a date: the deadline is the end of that day
        deadline = F.to_timestamp(F.date_add(F.col("deadline_date"), 1)) - F.expr("INTERVAL 1 SECOND")
        parts.append(timestamp_deadline_facts(in_period, F.col("feedback_at"), deadline))
    union = _union(parts)
    return None if union is None else Facts(union)


def complaint_satisfaction(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    orders = inputs.get("hotline_work_orders")
    if orders is None:
        return None
    rated = _unit(orders).where(_blank_to_null(F.col("satisfaction_code")).isNotNull())
    in_period = flow(rated, F.coalesce(F.to_date("callback_at"), F.to_date("closed_at")), context)
    satisfied = F.trim("satisfaction_code").isin(_param_codes(spec, "satisfied_codes"))
    return Facts(ratio_facts(in_period, satisfied))


def complaint_returns(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    orders = inputs.get("hotline_work_orders")
    if orders is None:
        return None
    dispatched = flow(
        _unit(orders).where(F.col("dispatched_at").isNotNull()), F.to_date("dispatched_at"), context
    )
    returned = F.coalesce(F.col("is_returned"), F.lit(False)) | (
        F.coalesce(F.col("return_count"), F.lit(0)) > 0
    )
    return Facts(ratio_facts(dispatched, returned))


def _risk_clue_facts(inputs: Inputs, context: Context, done_column: str) -> Facts | None:
    clues = inputs.risk_clues
    if clues is None:
        return None
    in_period = flow(_unit(clues), F.to_date("issued_at"), context)
    done_at = F.col(done_column)
    done_by_asof = done_at.isNotNull() & (F.to_date(done_at) <= F.col("as_of_date"))
    due_passed = F.col("due_at").isNull() | (F.to_date("due_at") <= F.col("as_of_date"))
    eligible = in_period.where(done_by_asof | due_passed)
    return Facts(ratio_facts(eligible, done_by_asof))


def risk_disposal(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    return _risk_clue_facts(inputs, context, "disposed_at")


def risk_feedback(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    return _risk_clue_facts(inputs, context, "fed_back_at")


def repeat_inspections(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    from pyspark.sql import Window

    inspections = inputs.get("inspections")
    if inspections is None:
        return None
    window_days = int(spec.params["window_days"])
    entity = entity_key(inspections)
    keyed = _unit(inspections).withColumn("_entity", entity).where(F.col("_entity").isNotNull())
    # the previous inspection of the same enterprise, over all history (before the period filter)
    ordered = Window.partitionBy("_entity").orderBy("check_date", "inspection_code")
    keyed = keyed.withColumn("_previous", F.lag("check_date").over(ordered))
    repeat = (
        F.col("_previous").isNotNull()
        & (F.datediff("check_date", "_previous") <= window_days)
        & ~F.coalesce(F.col("is_joint_inspection"), F.lit(False))
    )
    return Facts(ratio_facts(flow(keyed, F.col("check_date"), context), repeat))


def entity_key(df: DataFrame) -> Column:
    """The enterprise an action concerns: its USCC (plain in action and credit tables).

    Kept in one place so it can switch to ``dim_entities.entity_key`` once entity resolution lands.
    """
    return _blank_to_null(F.upper(F.col("uscc")))


# ---- builders: 营商环境 -----------------------------------------------------------------------------------------


def complaints_per_enterprise(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    enterprises = inputs.get("enterprises")
    complaints = inputs.get("consumer_complaints")
    orders = inputs.get("hotline_work_orders")
    if enterprises is None or (complaints is None and orders is None):
        return None
    parts = []
    if complaints is not None:
        parts.append(_unit(complaints).select("region_code", F.to_date("accepted_at").alias("_on")))
    if orders is not None:
        wanted = _param_codes(spec, "hotline_request_types")
        parts.append(
            _unit(orders)
            .where(F.col("request_type_code").isin(wanted))
            .select("region_code", F.to_date("accepted_at").alias("_on"))
        )
    union = _union(parts)
    assert union is not None
    counted = flow(union, F.col("_on"), context).select(
        *PERIOD_KEYS, "region_code", F.lit(1.0).alias("numerator"), F.lit(0.0).alias("denominator")
    )
    active = _param_codes(spec, "active_status_codes")
    registered = enterprises.withColumn("region_code", _blank_to_null(F.col("region_code")))
    operating = stock(
        registered.where(F.col("registration_status_code").isin(active)),
        F.col("established_date"),
        None,
        context,
    ).select(*PERIOD_KEYS, "region_code", F.lit(0.0).alias("numerator"), F.lit(1.0).alias("denominator"))
    facts = counted.unionByName(operating).withColumn("department_code", F.lit(ALL_DEPARTMENTS))
    return Facts(facts.select(*FACT_COLUMNS), all_departments="provided")


def inspection_burden(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    inspections = inputs.get("inspections")
    if inspections is None:
        return None
    keyed = (
        _unit(inspections).withColumn("_entity", entity_key(inspections)).where(F.col("_entity").isNotNull())
    )
    in_period = flow(keyed, F.col("check_date"), context)

    def burden(df: DataFrame, department: Column) -> DataFrame:
        # distinct enterprises per region: each enterprise sits in one region, so the sums roll up
        return (
            df.withColumn("department_code", department)
            .groupBy(*PERIOD_KEYS, "department_code", "region_code")
            .agg(
                F.count(F.lit(1)).cast("double").alias("numerator"),
                F.countDistinct("_entity").cast("double").alias("denominator"),
            )
        )

    per_department = burden(in_period.where(F.col("department_code").isNotNull()), F.col("department_code"))
    overall = burden(in_period, F.lit(ALL_DEPARTMENTS))
    return Facts(per_department.unionByName(overall).select(*FACT_COLUMNS), all_departments="provided")


def _closing_days(df: DataFrame, start: Column, end: Column, context: Context) -> DataFrame:
    staged = with_workday_seq(df, start, "_seq_start", context)
    staged = with_workday_seq(staged, end, "_seq_end", context)
    days = F.greatest(F.col("_seq_end") - F.col("_seq_start"), F.lit(0))
    return ratio_facts(staged.where(days.isNotNull()), days)


def complaint_closing_days(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    parts = []
    for table in ("consumer_complaints", "hotline_work_orders"):
        df = inputs.get(table)
        if df is None:
            continue
        closed = flow(_unit(df).where(F.col("closed_at").isNotNull()), F.to_date("closed_at"), context)
        parts.append(_closing_days(closed, F.to_date("accepted_at"), F.to_date("closed_at"), context))
    union = _union(parts)
    return None if union is None else Facts(union)


def penalty_case_days(inputs: Inputs, context: Context, spec: IndicatorSpec) -> Facts | None:
    penalties = inputs.get("penalties")
    if penalties is None:
        return None
    closed = flow(
        _unit(penalties).where(F.col("case_filing_date").isNotNull() & F.col("case_closed_date").isNotNull()),
        F.col("case_closed_date"),
        context,
    )
    return Facts(_closing_days(closed, F.col("case_filing_date"), F.col("case_closed_date"), context))


BUILDERS: dict[str, Builder] = {
    "catalogue_claim": catalogue_claim,
    "checklist_completion": checklist_completion,
    "checklist_completeness": checklist_completeness,
    "registered_officers": registered_officers,
    "action_coverage": action_coverage,
    "reporting_timeliness": reporting_timeliness,
    "reporting_accuracy": reporting_accuracy,
    "random_completion": random_completion,
    "random_publication": random_publication,
    "penalty_publication": penalty_publication,
    "complaint_acceptance": complaint_acceptance,
    "complaint_closure": complaint_closure,
    "complaint_satisfaction": complaint_satisfaction,
    "complaint_returns": complaint_returns,
    "risk_disposal": risk_disposal,
    "risk_feedback": risk_feedback,
    "repeat_inspections": repeat_inspections,
    "complaints_per_enterprise": complaints_per_enterprise,
    "inspection_burden": inspection_burden,
    "complaint_closing_days": complaint_closing_days,
    "penalty_case_days": penalty_case_days,
}
"""Builder name (``builder:`` in the YAML) → function."""

BUILDER_SOURCES: dict[str, tuple[str, ...]] = {
    "catalogue_claim": ("supervision_items", "inspection_checklists"),
    "checklist_completion": ("supervision_items", "inspection_checklists"),
    "checklist_completeness": ("inspection_checklists",),
    "registered_officers": ("inspections", "officers"),
    "action_coverage": ("supervision_items", *ACTION_TABLES),
    "reporting_timeliness": ACTION_TABLES,
    "reporting_accuracy": ACTION_TABLES,
    "random_completion": ("random_inspection_plans", "random_inspection_draws"),
    "random_publication": ("random_inspection_plans",),
    "penalty_publication": ("penalties", "public_penalties"),
    "complaint_acceptance": ("consumer_complaints",),
    "complaint_closure": ("hotline_work_orders", "national_dispatches"),
    "complaint_satisfaction": ("hotline_work_orders",),
    "complaint_returns": ("hotline_work_orders",),
    "risk_disposal": ("risk_clues",),
    "risk_feedback": ("risk_clues",),
    "repeat_inspections": ("inspections",),
    "complaints_per_enterprise": ("enterprises", "consumer_complaints", "hotline_work_orders"),
    "inspection_burden": ("inspections",),
    "complaint_closing_days": ("consumer_complaints", "hotline_work_orders"),
    "penalty_case_days": ("penalties",),
}
"""The tables each builder reads (named in the note of a value that could not be computed)."""


# ---- roll-up ---------------------------------------------------------------------------------------------------


def aggregate(facts: Facts, spec: IndicatorSpec, context: Context) -> DataFrame:
    """Sum facts per department × region level × region × period; value = scale × Σnum / Σden (null if Σden = 0).

    Facts at a region code outside the tree are counted at the province only (they still belong to it).
    """
    df = facts.df
    if facts.leveled:
        placed = df
    else:
        ancestors = context.regions.select("region_code", "ancestor_level", "ancestor_code")
        placed = df.join(F.broadcast(ancestors), "region_code", "left").select(
            *PERIOD_KEYS,
            "department_code",
            F.coalesce(F.col("ancestor_level"), F.lit("province")).alias("region_level"),
            F.coalesce(F.col("ancestor_code"), F.lit(context.province_code)).alias("region_code"),
            "numerator",
            "denominator",
        )
    group = [*PERIOD_KEYS, "department_code", "region_level", "region_code"]
    sums = [F.sum("numerator").alias("numerator"), F.sum("denominator").alias("denominator")]
    if facts.all_departments == "sum":
        departments = placed.where(F.col("department_code").isNotNull()).groupBy(*group).agg(*sums)
        overall = placed.withColumn("department_code", F.lit(ALL_DEPARTMENTS)).groupBy(*group).agg(*sums)
        summed = departments.unionByName(overall)
    else:
        summed = placed.where(F.col("department_code").isNotNull()).groupBy(*group).agg(*sums)
    value = F.when(
        F.col("denominator") > 0, F.lit(spec.scale) * F.col("numerator") / F.col("denominator")
    ).cast("double")
    return summed.select(
        *PERIOD_KEYS,
        F.lit(spec.id).alias("indicator_id"),
        "department_code",
        "region_level",
        "region_code",
        F.col("numerator").cast("double").alias("numerator"),
        F.col("denominator").cast("double").alias("denominator"),
        value.alias("value"),
    )


def compute(spec: IndicatorSpec, inputs: Inputs, context: Context) -> DataFrame | None:
    """The indicator's values (:data:`VALUE_COLUMNS`), or ``None`` when a source it needs is absent."""
    builder = BUILDERS.get(spec.builder)
    if builder is None:
        raise KeyError(f"{spec.id}: no builder {spec.builder!r}; known: {sorted(BUILDERS)}")
    facts = builder(inputs, context, spec)
    if facts is None:
        return None
    return aggregate(facts, spec, context)
