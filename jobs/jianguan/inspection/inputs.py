"""Candidate pools, catalogue and due plans, read with Spark from silver (``stg_*``) and gold tables.

Spark does the reading, filtering, de-duplication and aggregation (latest class per entity, latest check per
entity and item, latest contact per officer and entity); the small per-entity results are collected to the
driver, where :mod:`.draw` runs. Column names are checked against ``schemas/`` so a renamed field fails here,
loudly, instead of silently reading nulls.

The entity key is the USCC (:func:`entity_frame` is the one place that decides it, so it can switch to
``gold/dim_entities`` later).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from jianguan.inspection.draw import EntityCandidate, OfficerCandidate
from jianguan.inspection.plans import (
    InspectionConfig,
    Plan,
    PlanItem,
    plan_from_dict,
    region_prefix,
    split_codes,
)
from jianguan.lake import LakeTable
from jianguan.settings import Settings
from jianguan.spec.loader import Standard

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

CREDIT_CLASSES = "credit_risk_classes"


def stg_name(std: Standard, table: str) -> str:
    return f"stg_{std.table(table).library}__{table}"


def read_table(spark: SparkSession, settings: Settings, layer: str, name: str) -> DataFrame | None:
    """A Delta table as a DataFrame, or ``None`` when it does not exist (yet)."""
    path = settings.table_path(layer, name)
    if not LakeTable(path).exists():
        log.warning("table %s/%s does not exist; treated as empty", layer, name)
        return None
    return spark.read.format("delta").load(str(path))


def read_stg(
    spark: SparkSession, settings: Settings, std: Standard, table: str, *fields: str
) -> DataFrame | None:
    """The staging table of ``table`` with ``fields`` (each checked against the standard)."""
    spec = std.table(table)
    for name in fields:
        spec.field(name)  # KeyError naming table and field when the standard changed
    frame = read_table(spark, settings, "silver", stg_name(std, table))
    return None if frame is None else frame.select(*fields)


def _rows(frame: DataFrame) -> list[dict[str, Any]]:
    """Collect to the driver (one job; the pools are per-entity summaries, see :mod:`.draw` for sizes)."""
    return [row.asDict() for row in frame.collect()]


def _region_filter(column: Any, regions: Sequence[str]) -> Any:
    from functools import reduce

    return reduce(lambda a, b: a | b, [column.startswith(region_prefix(r)) for r in regions])


def entity_frame(
    spark: SparkSession, settings: Settings, std: Standard, config: InspectionConfig, regions: Sequence[str]
) -> DataFrame | None:
    """Active enterprises (企业法人) and individual businesses (个体工商户) of ``regions``, one row per USCC."""
    from pyspark.sql import functions as F

    active = sorted(config.code_set("active_registration"))
    parts = []
    for table, object_type in (
        ("enterprises", config.code("object_type_enterprise")),
        ("individual_businesses", config.code("object_type_individual")),
    ):
        frame = read_stg(
            spark, settings, std, table, "uscc", "party_name", "region_code", "registration_status_code"
        )
        if frame is None:
            continue
        parts.append(
            frame.where(F.col("uscc").isNotNull() & F.col("registration_status_code").isin(active))
            .where(_region_filter(F.col("region_code"), regions))
            .select(
                F.col("uscc"),
                F.col("party_name").alias("entity_name"),
                F.col("region_code"),
                F.lit(object_type).alias("object_type_code"),
            )
        )
    if not parts:
        return None
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    # One row per USCC: the same code registered twice (a data error upstream) keeps its smallest record.
    return (
        union.groupBy("uscc")
        .agg(F.min(F.struct("object_type_code", "region_code", "entity_name")).alias("r"))
        .select("uscc", "r.entity_name", "r.region_code", "r.object_type_code")
    )


def latest_classes(spark: SparkSession, settings: Settings, as_of: dt.date) -> DataFrame | None:
    """Each entity's class from the risk job's latest run on or before ``as_of``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    frame = read_table(spark, settings, "gold", CREDIT_CLASSES)
    if frame is None:
        return None
    order = Window.partitionBy("uscc").orderBy(F.col("as_of_date").desc(), F.col("computed_at").desc())
    return (
        frame.where(F.col("as_of_date") <= F.lit(as_of))
        .withColumn("n", F.row_number().over(order))
        .where("n = 1")
        .select("uscc", "risk_class")
    )


def load_entities(
    spark: SparkSession,
    settings: Settings,
    std: Standard,
    config: InspectionConfig,
    regions: Sequence[str],
    as_of: dt.date,
    history_days: int,
) -> list[EntityCandidate]:
    """The object library of ``regions`` with classes and the latest check per item (within ``history_days``)."""
    from pyspark.sql import functions as F

    entities = entity_frame(spark, settings, std, config, regions)
    if entities is None:
        return []
    classes = latest_classes(spark, settings, as_of)
    if classes is not None:
        entities = entities.join(classes, "uscc", "left")
    else:
        entities = entities.withColumn("risk_class", F.lit(None).cast("string"))
    history: dict[str, list[tuple[str, dt.date]]] = defaultdict(list)
    inspections = read_stg(spark, settings, std, "inspections", "uscc", "item_code", "check_date")
    if inspections is not None:
        recent = (
            inspections.where(F.col("uscc").isNotNull() & F.col("item_code").isNotNull())
            .where(
                (F.col("check_date") <= F.lit(as_of))
                & (F.col("check_date") > F.lit(as_of - dt.timedelta(days=history_days)))
            )
            .groupBy("uscc", "item_code")
            .agg(F.max("check_date").alias("check_date"))
        )
        for row in _rows(recent):
            history[row["uscc"]].append((row["item_code"], row["check_date"]))
    candidates = [
        EntityCandidate(
            uscc=row["uscc"],
            entity_name=row["entity_name"] or "",
            region_code=row["region_code"],
            object_type_code=row["object_type_code"],
            risk_class=row["risk_class"],
            recent_items=tuple(sorted(history.get(row["uscc"], ()))),
        )
        for row in _rows(
            entities.select("uscc", "entity_name", "region_code", "object_type_code", "risk_class")
        )
    ]
    log.info("entity pool: %d entities, %d with recent checks", len(candidates), len(history))
    return candidates


def load_officers(
    spark: SparkSession,
    settings: Settings,
    std: Standard,
    config: InspectionConfig,
    departments: Iterable[str],
    valid_through: dt.date,
    as_of: dt.date,
) -> list[OfficerCandidate]:
    """Officers of ``departments`` with certificate validity and their recent inspections/penalties per entity."""
    from pyspark.sql import functions as F

    officers = read_stg(
        spark, settings, std, "officers",
        "officer_certificate_no", "department_code", "region_code", "certificate_status_code", "certificate_valid_to_date",
    )  # fmt: skip
    if officers is None:
        return []
    valid = sorted(config.code_set("valid_certificate"))
    officers = officers.where(
        F.col("department_code").isin(sorted(set(departments))) & F.col("region_code").isNotNull()
    ).select(
        "officer_certificate_no",
        "department_code",
        "region_code",
        (
            F.coalesce(F.col("certificate_status_code").isin(valid), F.lit(False))
            & (
                F.col("certificate_valid_to_date").isNull()
                | (F.col("certificate_valid_to_date") >= F.lit(valid_through))
            )
        ).alias("is_valid"),
    )
    since = as_of - dt.timedelta(days=config.recusal_lookback_days)
    contacts: dict[str, list[tuple[str, dt.date]]] = defaultdict(list)
    sources = (("inspections", "check_date"), ("penalties", "penalty_decision_date"))
    frames = []
    for table, day in sources:
        frame = read_stg(spark, settings, std, table, "uscc", "officer_certificate_nos", day)
        if frame is not None:
            frames.append(
                frame.where(F.col("uscc").isNotNull() & F.col("officer_certificate_nos").isNotNull())
                .where((F.col(day) > F.lit(since)) & (F.col(day) <= F.lit(as_of)))
                .select(
                    F.explode(F.split("officer_certificate_nos", ",")).alias("certificate_no"),
                    "uscc",
                    F.col(day).alias("day"),
                )
            )
    if frames:
        union = frames[0]
        for frame in frames[1:]:
            union = union.unionByName(frame)
        latest = (
            union.select(F.trim("certificate_no").alias("certificate_no"), "uscc", "day")
            .groupBy("certificate_no", "uscc")
            .agg(F.max("day").alias("day"))
        )
        for row in _rows(latest):
            contacts[row["certificate_no"]].append((row["uscc"], row["day"]))
    result = [
        OfficerCandidate(
            certificate_no=row["officer_certificate_no"],
            department_code=row["department_code"],
            region_code=row["region_code"],
            is_valid=bool(row["is_valid"]),
            recent_contacts=tuple(sorted(contacts.get(row["officer_certificate_no"], ()))),
        )
        for row in _rows(officers)
    ]
    log.info("officer pool: %d officers of %s", len(result), sorted(set(departments)))
    return result


def load_catalogue(
    spark: SparkSession, settings: Settings, std: Standard, config: InspectionConfig
) -> dict[str, PlanItem]:
    """Item code → :class:`PlanItem` from the catalogue library: department and object types from the item,
    key flag (重点检查事项) from its checklists, the first 双随机 checklist as the item's checklist."""
    from pyspark.sql import functions as F

    items = read_stg(
        spark,
        settings,
        std,
        "supervision_items",
        "item_code",
        "department_code",
        "object_type_codes",
        "repealed_date",
    )
    if items is None:
        return {}
    checklists = read_stg(
        spark, settings, std, "inspection_checklists", "checklist_code", "item_code", "check_type_code", "is_random_inspection"
    )  # fmt: skip
    key_code = config.code("key_check_type")
    by_item: dict[str, dict[str, Any]] = {}
    if checklists is not None:
        summary = checklists.groupBy("item_code").agg(
            F.max((F.col("check_type_code") == key_code).cast("int")).alias("is_key"),
            F.min(F.when(F.col("is_random_inspection"), F.col("checklist_code"))).alias("checklist_code"),
        )
        by_item = {row["item_code"]: row for row in _rows(summary)}
    catalogue: dict[str, PlanItem] = {}
    for row in _rows(items.where(F.col("repealed_date").isNull())):
        extra = by_item.get(row["item_code"], {})
        catalogue[row["item_code"]] = PlanItem(
            item_code=row["item_code"],
            department_code=row["department_code"],
            checklist_code=extra.get("checklist_code"),
            is_key=bool(extra.get("is_key")),
            object_type_codes=split_codes(row["object_type_codes"]),
        )
    return catalogue


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def due_plans(
    spark: SparkSession,
    settings: Settings,
    std: Standard,
    config: InspectionConfig,
    catalogue: dict[str, PlanItem],
    logical_date: dt.date,
) -> list[Plan]:
    """Published plans (status in ``plan_status_to_draw``) whose window contains ``logical_date``.

    The published value of such a plan is the canonical JSON of its published record (every field of the
    standard's ``random_inspection_plans``): whoever saw the plan published can recompute the seed.
    """
    from pyspark.sql import functions as F

    spec = std.table("random_inspection_plans")
    frame = read_stg(spark, settings, std, "random_inspection_plans", *spec.field_names)
    if frame is None:
        return []
    frame = frame.where(F.col("plan_status_code").isin(sorted(config.code_set("plan_status_to_draw"))))
    frame = frame.where(
        (F.col("plan_start_date").isNull() | (F.col("plan_start_date") <= F.lit(logical_date)))
        & (F.col("plan_end_date").isNull() | (F.col("plan_end_date") >= F.lit(logical_date)))
    )
    checklist_items: dict[str, str] = {}
    checklists = read_stg(spark, settings, std, "inspection_checklists", "checklist_code", "item_code")
    if checklists is not None:
        checklist_items = {r["checklist_code"]: r["item_code"] for r in _rows(checklists)}
    plans: list[Plan] = []
    for row in sorted(_rows(frame), key=lambda r: r["plan_id"]):
        codes = split_codes(row["checklist_codes"])
        items = []
        for checklist in codes:
            item = checklist_items.get(checklist)
            if item is None or item not in catalogue:
                log.warning(
                    "plan %s: checklist %s is not in the catalogue; skipped", row["plan_id"], checklist
                )
                continue
            items.append({**catalogue[item].to_dict(), "checklist_code": checklist})
        if not items:
            log.warning("plan %s names no catalogued 抽查事项; not drawn", row["plan_id"])
            continue
        start = row["plan_start_date"] or logical_date
        plans.append(
            plan_from_dict(
                {
                    "plan_id": row["plan_id"],
                    "plan_name": row["plan_name"],
                    "department_codes": sorted(
                        {row["department_code"], *(i["department_code"] for i in items)}
                    ),
                    "items": items,
                    "region_code": row["region_code"],
                    "period_start": start,
                    "period_end": row["plan_end_date"] or dt.date(start.year, 12, 31),
                    "base_ratio": float(row["sampling_ratio"]),
                    "published_value": json.dumps(
                        {k: _plain(row[k]) for k in spec.field_names}, ensure_ascii=False, sort_keys=True
                    ),
                }
            )
        )
    return plans
