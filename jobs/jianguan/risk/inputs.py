"""What the risk job reads: the silver ``stg_<library>__<table>`` tables, and how their rows find their entity.

Every input is optional: a table that does not exist yet (a library not delivered, dbt not run) reads as an
empty DataFrame with the schema's columns, so the job degrades to fewer indicators instead of failing. Only the
columns the indicators use are read (the ``delta`` reader's ``columns`` option), and only rows delivered on or
before the logical date (``logical_date <= D``) — a rerun for a past date does not see later deliveries.

Entity key: the 统一社会信用代码 (``uscc``). Rows that name their party without a code (舆情 mostly, complaints
half of the time, shops of natural persons) are attached by *normalised name* to the registry of legal persons
— :func:`entity_registry` and :func:`attach_uscc` are the single place to switch to ``dim_entities`` once the
entity-resolution marts exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from jianguan.lake import LakeTable
from jianguan.spec.loader import Standard
from jianguan.spec.render.schemas import spark_schema_of

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

# Legal-form spellings that name the same form (公司法): the shorter canonical form is used in the key.
LEGAL_FORM_VARIANTS: tuple[tuple[str, str], ...] = (
    ("有限责任公司", "有限公司"),
    ("股份公司", "股份有限公司"),
)
_SPACES = re.compile(r"[\s\u3000]+")

COLUMNS: dict[str, tuple[str, ...]] = {
    # objects
    "enterprises": ("uscc", "party_name", "region_code", "industry_code", "registration_status_code",
                    "is_key_supervision", "established_date"),
    "other_legal_persons": ("uscc", "party_name", "region_code", "industry_code", "is_key_supervision"),
    "individual_businesses": ("uscc", "party_name", "region_code", "registration_status_code", "registered_date"),
    # actions
    "penalties": ("uscc", "penalty_action_code", "penalty_decision_no", "penalty_decision_date", "case_filing_date",
                  "punishment_type_codes", "fine_amount", "is_major_case"),
    "coercive_measures": ("uscc", "coercive_action_code", "measure_start_date"),
    "inspections": ("uscc", "inspection_code", "check_date", "check_result_code"),
    # credit
    "public_penalties": ("uscc", "penalty_decision_no", "decision_date", "punishment_type_codes", "fine_amount",
                         "public_status_code"),
    "abnormal_operations": ("uscc", "is_listed", "inclusion_date", "removal_date", "inclusion_reason_code"),
    "serious_violations": ("uscc", "inclusion_date", "removal_date"),
    "dishonest_debtors": ("uscc", "debtor_type_code", "filing_date", "publish_date", "removal_date",
                          "performance_status_code"),
    "joint_punishments": ("uscc", "start_date", "end_date", "list_inclusion_date"),
    "credit_ratings": ("uscc", "rating_source_code", "risk_class_code", "rated_date"),
    "public_licences": ("uscc", "licence_certificate_name", "licence_content", "valid_to_date"),
    # complaints
    "hotline_work_orders": ("work_order_no", "target_uscc", "target_name", "request_type_code", "title",
                            "content", "accepted_at"),
    "consumer_complaints": ("complaint_no", "hotline_work_order_no", "target_uscc", "target_name",
                            "complaint_category_code", "content", "accepted_at"),
    "national_dispatches": ("dispatch_id", "target_uscc", "target_name", "origin_type_code", "title", "content",
                            "dispatched_at"),
    # third party
    "online_shops": ("platform_code", "shop_id", "uscc", "seller_name", "licence_numbers_shown",
                     "is_licence_displayed", "is_closed"),
    "online_listings": ("platform_code", "listing_id", "shop_id", "title", "description", "category_name",
                        "product_name", "drug_category_code", "is_prescription", "has_prescription_warning",
                        "has_real_name_check", "has_prescription_check", "device_registration_no", "is_on_sale",
                        "captured_at"),
    "public_opinion": ("opinion_id", "uscc", "party_name", "title", "content", "summary", "keywords",
                       "sentiment_code", "published_at", "heat_score"),
    "iot_readings": ("uscc", "party_name", "device_id", "is_exceedance", "measured_value", "limit_value",
                     "data_flag_code", "measured_at"),
    "utility_signals": ("uscc", "signal_type_code", "period_month", "signal_value", "arrears_period_count"),
}  # fmt: skip
"""Columns read per input table (all are fields of ``schemas/tables``; checked in :func:`read_sources`)."""

FEEDBACK_TABLE = "risk_clue_feedback"
FEEDBACK_COLUMNS = ("feedback_id", "clue_id", "stage_code", "event_at", "department_code", "judgement_code",
                    "inspection_code")  # fmt: skip


def stg_name(std: Standard, table: str) -> str:
    """``stg_<library>__<table>``, the silver staging model of a bronze table (dbt naming)."""
    return f"stg_{std.table(table).library}__{table}"


@dataclass(frozen=True)
class Sources:
    """The input DataFrames by bronze table name (each already restricted to ``logical_date <= D``)."""

    frames: Mapping[str, DataFrame]
    present: frozenset[str]
    """Tables that exist in silver (the others are empty stand-ins)."""

    def __getitem__(self, table: str) -> DataFrame:
        return self.frames[table]


def read_table(
    spark: SparkSession,
    std: Standard,
    table: str,
    columns: Sequence[str],
    path_of: Callable[[str], str],
    as_of: date,
) -> tuple[DataFrame, bool]:
    """One staging table's ``columns`` as of ``as_of``; an empty frame when the table does not exist."""
    from pyspark.sql import functions as F

    spec = std.table(table)
    fields = {f.name: f for f in spec.fields}
    unknown = [c for c in columns if c not in fields]
    if unknown:
        raise KeyError(f"{table}: {unknown} are not fields of schemas/tables/{spec.library}/{table}.yaml")
    path = path_of(stg_name(std, table))
    if LakeTable(path).exists():
        frame = spark.read.format("delta").option("columns", ",".join([*columns, "logical_date"])).load(path)
        frame = frame.where(F.col("logical_date") <= F.lit(as_of)).select(*columns)
        # read once: the indicators refer to a table many times, and every reference would re-scan it
        return frame.localCheckpoint(eager=True), True
    schema = spark_schema_of([fields[c] for c in columns])
    return spark.createDataFrame([], schema), False


def read_sources(spark: SparkSession, std: Standard, path_of: Callable[[str], str], as_of: date) -> Sources:
    frames: dict[str, DataFrame] = {}
    present: set[str] = set()
    for table, columns in COLUMNS.items():
        frames[table], exists = read_table(spark, std, table, columns, path_of, as_of)
        if exists:
            present.add(table)
    return Sources(frames, frozenset(present))


# -- names and codes -----------------------------------------------------------------------------------------


_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
_HALF = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F))
_TO_HALF = str.maketrans(_FULL, _HALF)
"""Full-width ASCII forms (U+FF01..U+FF5E: brackets, letters, digits) to their half-width characters."""


def name_key(name: str | None) -> str | None:
    """The matching key of a legal person's name: half-width forms, no spaces, one spelling per legal form.

    ``湖北某某（武汉）有限责任公司 `` and ``湖北某某(武汉)有限公司`` share a key.
    """
    if name is None:
        return None
    text = _SPACES.sub("", name).translate(_TO_HALF)
    for variant, canonical in LEGAL_FORM_VARIANTS:
        if text.endswith(variant):
            text = text[: -len(variant)] + canonical
    return text or None


def name_key_col(column: Column) -> Column:
    """:func:`name_key` as a Spark expression (kept equivalent; tested on the same inputs)."""
    from pyspark.sql import functions as F

    text = F.translate(F.regexp_replace(column, r"[\s\u3000]+", ""), _FULL, _HALF)
    for variant, canonical in LEGAL_FORM_VARIANTS:
        text = F.regexp_replace(text, f"{variant}$", canonical)
    return F.when(F.length(text) > 0, text)


def uscc_col(column: Column) -> Column:
    """A 统一社会信用代码 as a join key: trimmed, half-width, upper-case; anything not 18 characters is no key."""
    from pyspark.sql import functions as F

    code = F.upper(F.translate(F.regexp_replace(column, r"[\s\u3000]+", ""), _FULL, _HALF))
    return F.when(F.length(code) == 18, code)


# -- entities -------------------------------------------------------------------------------------------------


def entity_registry(sources: Sources) -> DataFrame:
    """One row per registered party with a code: ``uscc, entity_name, region_code, industry_code,
    registration_status_code, is_key_supervision, established_date, entity_kind``.

    Built from the objects library (enterprises, other legal persons, 个体工商户 — whose names are masked in
    silver and stay so). When ``dim_entities`` exists this is the function to replace.
    """
    from pyspark.sql import functions as F

    enterprises = sources["enterprises"].select(
        uscc_col(F.col("uscc")).alias("uscc"), F.col("party_name").alias("entity_name"), "region_code",
        "industry_code", "registration_status_code", "is_key_supervision", "established_date",
        F.lit("enterprise").alias("entity_kind"),
    )  # fmt: skip
    others = sources["other_legal_persons"].select(
        uscc_col(F.col("uscc")).alias("uscc"), F.col("party_name").alias("entity_name"), "region_code",
        "industry_code", F.lit(None).cast("string").alias("registration_status_code"), "is_key_supervision",
        F.lit(None).cast("date").alias("established_date"), F.lit("other_legal_person").alias("entity_kind"),
    )  # fmt: skip
    individuals = sources["individual_businesses"].select(
        uscc_col(F.col("uscc")).alias("uscc"), F.col("party_name").alias("entity_name"), "region_code",
        F.lit(None).cast("string").alias("industry_code"), "registration_status_code",
        F.lit(None).cast("boolean").alias("is_key_supervision"), F.col("registered_date").alias("established_date"),
        F.lit("individual_business").alias("entity_kind"),
    )  # fmt: skip
    parties = enterprises.unionByName(others).unionByName(individuals).where(F.col("uscc").isNotNull())
    # one row per code; max() keeps the choice deterministic when a code was delivered by two registries
    return parties.groupBy("uscc").agg(*[F.max(c).alias(c) for c in parties.columns if c != "uscc"])


def name_index(registry: DataFrame) -> DataFrame:
    """``name_key → uscc`` for unambiguous names of legal persons (a key naming two codes is dropped).

    Individual businesses are left out: their names are personal data, masked in silver, useless as keys.
    """
    from pyspark.sql import functions as F

    keyed = registry.where(F.col("entity_kind") != "individual_business").select(
        name_key_col(F.col("entity_name")).alias("name_key"), "uscc"
    )
    return (
        keyed.where(F.col("name_key").isNotNull())
        .groupBy("name_key")
        .agg(F.min("uscc").alias("resolved_uscc"), F.countDistinct("uscc").alias("codes"))
        .where(F.col("codes") == 1)
        .select("name_key", "resolved_uscc")
    )


def attach_uscc(frame: DataFrame, code_column: str, name_column: str | None, names: DataFrame) -> DataFrame:
    """``frame`` with ``uscc``: its own code when it carries a valid one, else the code its name resolves to."""
    from pyspark.sql import functions as F

    own = uscc_col(F.col(code_column))
    if name_column is None:
        return frame.withColumn("uscc", own)
    keyed = frame.withColumn("_own_uscc", own).withColumn("name_key", name_key_col(F.col(name_column)))
    joined = keyed.join(names, on="name_key", how="left")
    return joined.withColumn("uscc", F.coalesce(F.col("_own_uscc"), F.col("resolved_uscc"))).drop(
        "_own_uscc", "name_key", "resolved_uscc"
    )
