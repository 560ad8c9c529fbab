"""The indicator library (风险指标库): per-entity features from every library, as of a logical date ``D``.

Each family is a pure function ``(sources, config, D) -> DataFrame[uscc, <indicator columns>]`` over the silver
staging tables (:mod:`jianguan.risk.inputs`); :func:`compute_indicators` runs them all and returns the *long*
form ``(uscc, indicator_code, indicator_value)`` — one row per entity and non-zero indicator — which is what the
gold table ``risk_indicators`` stores and what :func:`wide` pivots back for the models.

Every indicator is documented in :data:`CATALOGUE` (code → library, Chinese label, definition, default). Windows
are calendar days ending on and including ``D``; the parameters are in ``config/indicators.yaml``. Counts
default to 0 when an entity has no rows; "latest value" indicators (headcount, days since last inspection,
last period's external class) stay null without data, and a rule on a null value never fires.

Model-specific indicators are generated per model in ``config/models.yaml``: ``opinion_kw_<model>``,
``complaint_kw_<model>``, ``listing_kw_<model>`` (items whose text contains a cue phrase of the model's lexicons)
and ``in_scope_<model>`` (the entity's GB/T 4754 industry code starts with one of the model's prefixes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jianguan.risk.config import IndicatorConfig, ModelsConfig, RiskConfig
from jianguan.risk.inputs import Sources, attach_uscc, uscc_col


@dataclass(frozen=True)
class Indicator:
    code: str
    library: str
    label_zh: str
    definition: str
    default: float | None = 0.0
    """Value of an entity without rows (0 for counts and flags, None for "latest value" indicators)."""


_BASE: tuple[Indicator, ...] = (
    Indicator("penalty_count", "actions", "行政处罚次数", "Distinct penalty decisions (行政处罚 + 双公示处罚, "
              "deduplicated by decision number) decided in the penalty window."),
    Indicator("penalty_severe_count", "actions", "较重行政处罚次数", "Those with a severe punishment type "
              "(停产停业, 吊销/暂扣许可, 限制经营/从业, 关闭 …), a fine ≥ severe_fine_amount, or flagged major."),
    Indicator("penalty_fine_amount", "actions", "罚款金额合计", "Sum of fines (yuan) of those decisions."),
    Indicator("coercive_count", "actions", "行政强制次数", "Coercive measures started in the coercive window."),
    Indicator("inspection_count", "actions", "检查次数", "Inspections in the inspection window."),
    Indicator("inspection_problem_count", "actions", "检查发现问题次数", "Inspections whose result code is a problem."),
    Indicator("inspection_uncooperative_count", "actions", "不配合检查次数", "Inspections with result 不配合检查."),
    Indicator("inspection_unreachable_count", "actions", "检查无法联系次数", "Inspections with result 无法联系."),
    Indicator("days_since_last_inspection", "actions", "距上次检查天数", "Days from the latest inspection on or "
              "before D to D; null when never inspected.", None),
    Indicator("complaint_count_30d", "complaints", "近30日投诉举报数", "12345 orders, 12315 complaints not "
              "transferred from a 12345 order, and national dispatches naming the entity, last 30 days."),
    Indicator("complaint_count_90d", "complaints", "近90日投诉举报数", "The same over the baseline window."),
    Indicator("complaint_trend_ratio", "complaints", "投诉举报趋势比", "(recent count + 1) / (count in the rest of "
              "the baseline window scaled to the recent window's length + 1); above 1 means rising.", None),
    Indicator("report_count_90d", "complaints", "近90日举报数", "Of those, reports (举报) rather than complaints."),
    Indicator("abnormal_listed", "credit", "列入经营异常名录", "1 when a listing is in force on D."),
    Indicator("abnormal_unreachable", "credit", "因无法联系列入经营异常名录", "1 when a listing in force was for "
              "being unreachable at the registered address."),
    Indicator("serious_violation_listed", "credit", "列入严重违法失信名单", "1 when a listing is in force on D."),
    Indicator("dishonest_debtor_active", "credit", "失信被执行人", "1 when published and not removed on D."),
    Indicator("joint_punishment_active", "credit", "联合惩戒中", "1 when a joint-punishment period covers D."),
    Indicator("external_risk_class_rank", "credit", "上期信用风险分类", "The latest classification received on or "
              "before D from the configured rating sources, A=1 … D=4; null without one.", None),
    Indicator("shop_licence_not_displayed", "third_party", "网店未亮照亮证", "Open online shops of the entity that do "
              "not display their licences."),
    Indicator("online_drug_listing_without_licence", "third_party", "无药品经营许可网售药品数", "Drug listings of "
              "sellers with no drug-trade licence shown on the shop nor published (双公示许可)."),
    Indicator("online_device_listing_without_licence", "third_party", "无器械经营许可网售器械数", "Medical-device "
              "listings of sellers with no device-trade licence/filing shown nor published."),
    Indicator("listing_banned_drug_count", "third_party", "网售禁售类别药品数", "On-sale listings whose drug "
              "category is one of the seven that may not be sold online."),
    Indicator("listing_rx_unsafe_count", "third_party", "处方药违规展示销售数", "On-sale prescription-drug listings "
              "(outside the banned categories) without the risk warning, real-name check or prescription check."),
    Indicator("listing_device_unregistered_count", "third_party", "无注册证号器械商品数", "On-sale medical-device "
              "listings without a valid 注册证/备案凭证 number."),
    Indicator("opinion_count", "third_party", "舆情数", "舆情 items about the entity in the opinion window."),
    Indicator("opinion_negative_count", "third_party", "负面舆情数", "Those with negative sentiment."),
    Indicator("opinion_heat_max", "third_party", "舆情最高热度", "Highest heat score of those items."),
    Indicator("iot_reading_count", "third_party", "监测数据条数", "Valid IoT readings in the IoT window."),
    Indicator("iot_exceedance_count", "third_party", "监测超标次数", "Valid readings flagged as exceedances."),
    Indicator("iot_exceedance_rate", "third_party", "监测超标率", "Exceedances / valid readings.", None),
    Indicator("social_security_headcount", "third_party", "社保参保人数", "Latest reported headcount (period not "
              "after D's month); null without a report.", None),
    Indicator("utility_arrears_periods", "third_party", "水电气欠费期数", "Most periods in arrears reported for "
              "water/power/gas in the last utility_months months."),
    Indicator("is_key_supervision", "objects", "重点监管对象", "1 when the registry marks the entity for key supervision."),
    Indicator("registration_revoked", "objects", "吊销注销撤销", "1 when the registration status is revoked/cancelled."),
    Indicator("model_max_score", "risk", "专项模型最高风险分", "Highest score of the five models for the entity "
              "(derived after scoring; input of the credit classification).", 0.0),
)  # fmt: skip


def catalogue(models: ModelsConfig) -> dict[str, Indicator]:
    """Every indicator, including the per-model text and scope indicators, by code."""
    found = {i.code: i for i in _BASE}
    for model in models.models:
        for indicator in (
            Indicator(f"opinion_kw_{model.id}", "third_party", f"{model.label_zh}舆情关键词命中数",
                      "舆情 items (window) whose title/summary/content/keywords contain a cue of the model's "
                      "opinion lexicons."),
            Indicator(f"complaint_kw_{model.id}", "complaints", f"{model.label_zh}投诉举报关键词命中数",
                      "Complaints/reports (baseline window) whose text contains a cue of the complaint lexicons."),
            Indicator(f"listing_kw_{model.id}", "third_party", f"{model.label_zh}网售商品关键词命中数",
                      "On-sale listings whose title/description/product contains a cue of the listing lexicons."),
            Indicator(f"in_scope_{model.id}", "objects", f"{model.label_zh}重点行业",
                      "1 when the entity's industry code starts with one of the model's prefixes."),
        ):  # fmt: skip
            found[indicator.code] = indicator
    return found


# -- expression helpers ---------------------------------------------------------------------------------------


def in_window(day: Column, as_of: date, days: int) -> Column:
    """``day`` in ``(D - days, D]``: the last ``days`` calendar days including D."""
    return (day > F.lit(as_of - timedelta(days=days))) & (day <= F.lit(as_of))


def compact_text(*columns: str) -> Column:
    """The columns' text joined, without any spaces (cue phrases are matched across inserted spaces)."""
    return F.regexp_replace(
        F.concat_ws("", *[F.coalesce(F.col(c), F.lit("")) for c in columns]), r"[\s\u3000]+", ""
    )


def contains_any(text: Column, words: tuple[str, ...]) -> Column:
    """True when ``text`` contains one of ``words`` (False for an empty lexicon or null text)."""
    if not words:
        return F.lit(False)
    return F.coalesce(reduce(lambda a, b: a | b, [text.contains(w) for w in words]), F.lit(False))


def lexicon_hit(text: str | None, words: tuple[str, ...]) -> bool:
    """Python twin of :func:`contains_any` over :func:`compact_text` (used in tests and reasons)."""
    if not text:
        return False
    compact = "".join(text.split()).replace("\u3000", "")
    return any(w in compact for w in words)


def codes_in(column: Column, codes: tuple[str, ...]) -> Column:
    return F.coalesce(column.isin(list(codes)), F.lit(False)) if codes else F.lit(False)


def _count_if(condition: Column) -> Column:
    return F.sum(F.when(condition, 1).otherwise(0)).cast("double")


def _flag(condition: Column) -> Column:
    return F.max(F.when(condition, 1).otherwise(0)).cast("double")


# -- families ---------------------------------------------------------------------------------------------------


def penalty_indicators(src: Sources, cfg: IndicatorConfig, as_of: date) -> DataFrame:
    """penalty_count, penalty_severe_count, penalty_fine_amount."""
    severe_types = F.array(*[F.lit(c) for c in cfg.severe_punishment_codes])

    def shaped(frame: DataFrame, key: Column, day: Column, major: Column) -> DataFrame:
        types = F.split(
            F.regexp_replace(F.coalesce(F.col("punishment_type_codes"), F.lit("")), r"\s", ""), ","
        )
        fine = F.coalesce(F.col("fine_amount").cast("double"), F.lit(0.0))
        severe = (
            F.arrays_overlap(types, severe_types)
            | (fine >= cfg.severe_fine_amount)
            | F.coalesce(major, F.lit(False))
        )
        return frame.select(
            uscc_col(F.col("uscc")).alias("uscc"), key.alias("decision_key"), day.alias("day"),
            severe.alias("severe"), fine.alias("fine"),
        )  # fmt: skip

    actions = shaped(
        src["penalties"],
        F.coalesce(
            F.trim(F.col("penalty_decision_no")), F.concat(F.lit("action:"), F.col("penalty_action_code"))
        ),
        F.coalesce(F.col("penalty_decision_date"), F.col("case_filing_date")),
        F.col("is_major_case"),
    )
    published = shaped(
        src["public_penalties"].where(
            ~codes_in(F.col("public_status_code"), cfg.withdrawn_public_status_codes)
        ),
        F.trim(F.col("penalty_decision_no")),
        F.col("decision_date"),
        F.lit(False),
    )
    decisions = (
        actions.unionByName(published)
        .where(F.col("uscc").isNotNull() & in_window(F.col("day"), as_of, cfg.windows_days.penalty))
        .groupBy("uscc", "decision_key")
        .agg(F.max(F.col("severe").cast("int")).alias("severe"), F.max("fine").alias("fine"))
    )
    return decisions.groupBy("uscc").agg(
        F.count("*").cast("double").alias("penalty_count"),
        F.sum("severe").cast("double").alias("penalty_severe_count"),
        F.sum("fine").cast("double").alias("penalty_fine_amount"),
    )


def coercive_indicators(src: Sources, cfg: IndicatorConfig, as_of: date) -> DataFrame:
    """coercive_count."""
    frame = src["coercive_measures"].select(
        uscc_col(F.col("uscc")).alias("uscc"), "coercive_action_code", "measure_start_date"
    )
    return (
        frame.where(
            F.col("uscc").isNotNull()
            & in_window(F.col("measure_start_date"), as_of, cfg.windows_days.coercive)
        )
        .groupBy("uscc")
        .agg(F.countDistinct("coercive_action_code").cast("double").alias("coercive_count"))
    )


def inspection_indicators(src: Sources, cfg: IndicatorConfig, as_of: date) -> DataFrame:
    """inspection_count, inspection_problem_count, inspection_uncooperative_count, inspection_unreachable_count,
    days_since_last_inspection."""
    frame = (
        src["inspections"]
        .select(uscc_col(F.col("uscc")).alias("uscc"), "inspection_code", "check_date", "check_result_code")
        .where(F.col("uscc").isNotNull() & (F.col("check_date") <= F.lit(as_of)))
    )
    recent = in_window(F.col("check_date"), as_of, cfg.windows_days.inspection)
    result = F.col("check_result_code")
    return frame.groupBy("uscc").agg(
        _count_if(recent).alias("inspection_count"),
        _count_if(recent & codes_in(result, cfg.problem_check_result_codes)).alias(
            "inspection_problem_count"
        ),
        _count_if(recent & codes_in(result, cfg.uncooperative_check_result_codes)).alias(
            "inspection_uncooperative_count"
        ),
        _count_if(recent & codes_in(result, cfg.unreachable_check_result_codes)).alias(
            "inspection_unreachable_count"
        ),
        F.datediff(F.lit(as_of), F.max("check_date")).cast("double").alias("days_since_last_inspection"),
    )


def complaint_rows(src: Sources, cfg: IndicatorConfig, names: DataFrame) -> DataFrame:
    """One row per complaint matter: ``uscc, day, text, is_report`` across 12345, 12315 and national dispatches.

    A 12315 complaint transferred from a 12345 order (its ``hotline_work_order_no`` is a known order) is the same
    matter and is not counted twice.
    """
    hotline = attach_uscc(src["hotline_work_orders"], "target_uscc", "target_name", names).select(
        "uscc", F.to_date("accepted_at").alias("day"), compact_text("title", "content").alias("text"),
        codes_in(F.col("request_type_code"), cfg.report_request_type_codes).alias("is_report"),
    )  # fmt: skip
    orders = src["hotline_work_orders"].select(F.col("work_order_no").alias("hotline_work_order_no"))
    consumer = attach_uscc(
        src["consumer_complaints"].join(orders, on="hotline_work_order_no", how="left_anti"),
        "target_uscc", "target_name", names,
    ).select(
        "uscc", F.to_date("accepted_at").alias("day"), compact_text("content").alias("text"),
        codes_in(F.col("complaint_category_code"), cfg.report_complaint_category_codes).alias("is_report"),
    )  # fmt: skip
    national = attach_uscc(src["national_dispatches"], "target_uscc", "target_name", names).select(
        "uscc", F.to_date("dispatched_at").alias("day"), compact_text("title", "content").alias("text"),
        F.lit(False).alias("is_report"),
    )  # fmt: skip
    return hotline.unionByName(consumer).unionByName(national).where(F.col("uscc").isNotNull())


def complaint_indicators(
    src: Sources, cfg: IndicatorConfig, models: ModelsConfig, as_of: date, names: DataFrame
) -> DataFrame:
    """complaint_count_30d, complaint_count_90d, complaint_trend_ratio, report_count_90d, complaint_kw_<model>."""
    windows = cfg.windows_days
    rows = complaint_rows(src, cfg, names).where(in_window(F.col("day"), as_of, windows.complaint_baseline))
    recent = in_window(F.col("day"), as_of, windows.complaint_recent)
    scale = windows.complaint_recent / (windows.complaint_baseline - windows.complaint_recent)
    grouped = rows.groupBy("uscc").agg(
        _count_if(recent).alias("complaint_count_30d"),
        F.count("*").cast("double").alias("complaint_count_90d"),
        _count_if(F.col("is_report")).alias("report_count_90d"),
        *[
            _count_if(contains_any(F.col("text"), models.lexicon(m.complaint_lexicons))).alias(
                f"complaint_kw_{m.id}"
            )
            for m in models.models
        ],
    )
    earlier = F.col("complaint_count_90d") - F.col("complaint_count_30d")
    return grouped.withColumn(
        "complaint_trend_ratio", (F.col("complaint_count_30d") + 1) / (earlier * scale + 1)
    )


def credit_list_indicators(src: Sources, cfg: IndicatorConfig, as_of: date) -> DataFrame:
    """abnormal_listed, abnormal_unreachable, serious_violation_listed, dishonest_debtor_active,
    joint_punishment_active, external_risk_class_rank."""
    d = F.lit(as_of)

    def listed(start: Column, end: Column) -> Column:
        return (start <= d) & (end.isNull() | (end > d))

    abnormal = src["abnormal_operations"].select(
        uscc_col(F.col("uscc")).alias("uscc"),
        (
            (F.col("inclusion_date") <= d)
            & (
                (F.col("removal_date") > d)
                | (F.col("removal_date").isNull() & F.coalesce(F.col("is_listed"), F.lit(True)))
            )
        ).alias("in_force"),
        F.col("inclusion_reason_code"),
    )
    abnormal_agg = (
        abnormal.where(F.col("in_force"))
        .groupBy("uscc")
        .agg(
            F.lit(1.0).alias("abnormal_listed"),
            _flag(codes_in(F.col("inclusion_reason_code"), cfg.abnormal_unreachable_reason_codes)).alias(
                "abnormal_unreachable"
            ),
        )
    )
    serious = (
        src["serious_violations"]
        .where(listed(F.col("inclusion_date"), F.col("removal_date")))
        .select(uscc_col(F.col("uscc")).alias("uscc"))
        .distinct()
        .withColumn("serious_violation_listed", F.lit(1.0))
    )
    debtors = (
        src["dishonest_debtors"]
        .where(listed(F.coalesce(F.col("publish_date"), F.col("filing_date")), F.col("removal_date")))
        .select(uscc_col(F.col("uscc")).alias("uscc"))
        .distinct()
        .withColumn("dishonest_debtor_active", F.lit(1.0))
    )
    joint = (
        src["joint_punishments"]
        .where(
            (F.coalesce(F.col("start_date"), F.col("list_inclusion_date")) <= d)
            & (F.col("end_date").isNull() | (F.col("end_date") >= d))
        )
        .select(uscc_col(F.col("uscc")).alias("uscc"))
        .distinct()
        .withColumn("joint_punishment_active", F.lit(1.0))
    )
    rank = F.when(F.col("risk_class_code") == "A", 1.0).when(F.col("risk_class_code") == "B", 2.0)
    rank = rank.when(F.col("risk_class_code") == "C", 3.0).when(F.col("risk_class_code") == "D", 4.0)
    ratings = (
        src["credit_ratings"]
        .where(
            codes_in(F.col("rating_source_code"), cfg.external_rating_source_codes)
            & (F.col("rated_date") <= d)
        )
        .select(uscc_col(F.col("uscc")).alias("uscc"), "rated_date", rank.alias("rank"))
        .where(F.col("rank").isNotNull())
        .groupBy("uscc")
        .agg(F.max_by("rank", "rated_date").alias("external_risk_class_rank"))
    )
    frames = [abnormal_agg, serious, debtors, joint, ratings]
    return _outer(frames)


def _licence_evidence(src: Sources, cfg: IndicatorConfig, as_of: date) -> DataFrame:
    """Per uscc: whether a published (双公示) licence shows drug-trade / device-trade permission."""
    text = compact_text("licence_certificate_name", "licence_content")
    valid = F.col("valid_to_date").isNull() | (F.col("valid_to_date") >= F.lit(as_of))
    return (
        src["public_licences"]
        .where(valid)
        .select(uscc_col(F.col("uscc")).alias("uscc"), text.alias("text"))
        .where(F.col("uscc").isNotNull())
        .groupBy("uscc")
        .agg(
            F.max(contains_any(F.col("text"), cfg.drug_licence_words)).alias("published_drug_licence"),
            F.max(contains_any(F.col("text"), cfg.device_licence_words)).alias("published_device_licence"),
        )
    )


def listing_rows(src: Sources, cfg: IndicatorConfig, as_of: date, names: DataFrame) -> DataFrame:
    """On-sale listings in the window with their seller's uscc and per-listing flags (is_drug, is_banned, is_rx,
    rx_unsafe, is_device, device_unregistered, drug/device licence shown) and compact text."""
    shops = attach_uscc(src["online_shops"], "uscc", "seller_name", names).select(
        "platform_code", "shop_id", "uscc",
        contains_any(compact_text("licence_numbers_shown"), cfg.drug_licence_words).alias("shop_drug_licence"),
        contains_any(compact_text("licence_numbers_shown"), cfg.device_licence_words).alias("shop_device_licence"),
    )  # fmt: skip
    listings = src["online_listings"].where(
        F.coalesce(F.col("is_on_sale"), F.lit(True))
        & in_window(F.to_date("captured_at"), as_of, cfg.windows_days.listing)
    )
    joined = listings.join(shops, on=["platform_code", "shop_id"], how="inner").where(
        F.col("uscc").isNotNull()
    )
    category = F.coalesce(F.col("category_name"), F.lit(""))
    drug_code = F.col("drug_category_code")
    text = compact_text("title", "description", "product_name")
    is_otc = contains_any(category, cfg.otc_category_words)
    is_rx_category = contains_any(category, cfg.prescription_category_words) & ~is_otc
    is_drug = (
        (drug_code.isNotNull() & ~codes_in(drug_code, cfg.non_drug_category_codes)) | is_rx_category | is_otc
    )
    is_banned = codes_in(drug_code, cfg.banned_online_drug_categories)
    is_rx = F.coalesce(F.col("is_prescription"), F.lit(False)) | is_rx_category

    def missing(flag: str) -> Column:  # explicitly not shown / not checked
        return F.coalesce(~F.col(flag), F.lit(False))

    rx_unsafe = (
        is_rx
        & ~is_banned
        & (
            missing("has_prescription_warning")
            | missing("has_real_name_check")
            | missing("has_prescription_check")
        )
    )
    is_device = ~is_drug & (
        contains_any(category, cfg.device_category_words)
        | contains_any(compact_text("product_name", "title"), cfg.device_product_words)
    )
    registration = F.coalesce(F.col("device_registration_no"), F.lit(""))
    device_unregistered = is_device & ~registration.rlike(cfg.device_registration_pattern)
    return joined.select(
        "uscc", "listing_id", text.alias("text"), is_drug.alias("is_drug"), is_banned.alias("is_banned"),
        rx_unsafe.alias("rx_unsafe"), is_device.alias("is_device"), device_unregistered.alias("device_unregistered"),
        "shop_drug_licence", "shop_device_licence",
    )  # fmt: skip


def listing_indicators(
    src: Sources, cfg: IndicatorConfig, models: ModelsConfig, as_of: date, names: DataFrame
) -> DataFrame:
    """listing_banned_drug_count, listing_rx_unsafe_count, listing_device_unregistered_count,
    online_drug_listing_without_licence, online_device_listing_without_licence, listing_kw_<model>."""
    rows = listing_rows(src, cfg, as_of, names).join(
        _licence_evidence(src, cfg, as_of), on="uscc", how="left"
    )
    drug_licensed = F.col("shop_drug_licence") | F.coalesce(F.col("published_drug_licence"), F.lit(False))
    device_licensed = F.col("shop_device_licence") | F.coalesce(
        F.col("published_device_licence"), F.lit(False)
    )
    return rows.groupBy("uscc").agg(
        _count_if(F.col("is_banned")).alias("listing_banned_drug_count"),
        _count_if(F.col("rx_unsafe")).alias("listing_rx_unsafe_count"),
        _count_if(F.col("device_unregistered")).alias("listing_device_unregistered_count"),
        _count_if(F.col("is_drug") & ~drug_licensed).alias("online_drug_listing_without_licence"),
        _count_if(F.col("is_device") & ~device_licensed).alias("online_device_listing_without_licence"),
        *[
            _count_if(contains_any(F.col("text"), models.lexicon(m.listing_lexicons))).alias(
                f"listing_kw_{m.id}"
            )
            for m in models.models
        ],
    )


def shop_indicators(src: Sources, names: DataFrame) -> DataFrame:
    """shop_licence_not_displayed."""
    shops = attach_uscc(src["online_shops"], "uscc", "seller_name", names)
    open_shop = ~F.coalesce(F.col("is_closed"), F.lit(False))
    hidden = open_shop & F.coalesce(~F.col("is_licence_displayed"), F.lit(False))
    return (
        shops.where(F.col("uscc").isNotNull())
        .groupBy("uscc")
        .agg(_count_if(hidden).alias("shop_licence_not_displayed"))
    )


def opinion_indicators(
    src: Sources, cfg: IndicatorConfig, models: ModelsConfig, as_of: date, names: DataFrame
) -> DataFrame:
    """opinion_count, opinion_negative_count, opinion_heat_max, opinion_kw_<model>."""
    items = attach_uscc(src["public_opinion"], "uscc", "party_name", names).where(
        F.col("uscc").isNotNull() & in_window(F.to_date("published_at"), as_of, cfg.windows_days.opinion)
    )
    text = compact_text("title", "summary", "content", "keywords")
    items = items.withColumn("text", text)
    return items.groupBy("uscc").agg(
        F.count("*").cast("double").alias("opinion_count"),
        _count_if(codes_in(F.col("sentiment_code"), cfg.negative_sentiment_codes)).alias(
            "opinion_negative_count"
        ),
        F.max(F.col("heat_score").cast("double")).alias("opinion_heat_max"),
        *[
            _count_if(contains_any(F.col("text"), models.lexicon(m.opinion_lexicons))).alias(
                f"opinion_kw_{m.id}"
            )
            for m in models.models
        ],
    )


def iot_indicators(src: Sources, cfg: IndicatorConfig, as_of: date, names: DataFrame) -> DataFrame:
    """iot_reading_count, iot_exceedance_count, iot_exceedance_rate."""
    readings = attach_uscc(src["iot_readings"], "uscc", "party_name", names).where(
        F.col("uscc").isNotNull()
        & in_window(F.to_date("measured_at"), as_of, cfg.windows_days.iot)
        & (F.col("data_flag_code").isNull() | codes_in(F.col("data_flag_code"), cfg.exceedance_valid_flags))
    )
    measured_over = F.col("limit_value").isNotNull() & (F.col("measured_value") > F.col("limit_value"))
    exceed = F.coalesce(F.col("is_exceedance"), measured_over, F.lit(False))
    grouped = readings.groupBy("uscc").agg(
        F.count("*").cast("double").alias("iot_reading_count"),
        _count_if(exceed).alias("iot_exceedance_count"),
    )
    return grouped.withColumn(
        "iot_exceedance_rate", F.col("iot_exceedance_count") / F.col("iot_reading_count")
    )


def utility_indicators(src: Sources, cfg: IndicatorConfig, as_of: date) -> DataFrame:
    """social_security_headcount, utility_arrears_periods."""
    month = as_of.year * 100 + as_of.month
    months = cfg.windows_days.utility_months
    first_year, first_month = divmod(as_of.year * 12 + as_of.month - 1 - (months - 1), 12)
    first = first_year * 100 + first_month + 1
    period = F.regexp_replace(F.col("period_month"), r"\D", "").cast("int")
    signals = src["utility_signals"].select(
        uscc_col(F.col("uscc")).alias("uscc"), period.alias("period"), "signal_type_code",
        F.col("signal_value").cast("double").alias("value"), F.col("arrears_period_count").cast("double").alias("arrears"),
    ).where(F.col("uscc").isNotNull() & (F.col("period") <= month))  # fmt: skip
    headcount = (
        signals.where(codes_in(F.col("signal_type_code"), cfg.social_security_signal_codes))
        .groupBy("uscc")
        .agg(F.max_by("value", "period").alias("social_security_headcount"))
    )
    arrears = (
        signals.where(
            codes_in(F.col("signal_type_code"), cfg.arrears_signal_codes) & (F.col("period") >= first)
        )
        .groupBy("uscc")
        .agg(F.max(F.coalesce(F.col("arrears"), F.lit(1.0))).alias("utility_arrears_periods"))
    )
    return _outer([headcount, arrears])


def profile_indicators(registry: DataFrame, cfg: IndicatorConfig, models: ModelsConfig) -> DataFrame:
    """is_key_supervision, registration_revoked, in_scope_<model>."""
    industry = F.coalesce(F.col("industry_code"), F.lit(""))

    def scope(prefixes: tuple[str, ...]) -> Column:
        if not prefixes:
            return F.lit(0.0)
        return F.when(reduce(lambda a, b: a | b, [industry.startswith(p) for p in prefixes]), 1.0).otherwise(
            0.0
        )

    return registry.select(
        "uscc",
        F.when(F.coalesce(F.col("is_key_supervision"), F.lit(False)), 1.0)
        .otherwise(0.0)
        .alias("is_key_supervision"),
        F.when(codes_in(F.col("registration_status_code"), cfg.revoked_registration_status_codes), 1.0)
        .otherwise(0.0)
        .alias("registration_revoked"),
        *[scope(m.scope_industry_prefixes).alias(f"in_scope_{m.id}") for m in models.models],
    )


# -- assembly ------------------------------------------------------------------------------------------------------


def _outer(frames: list[DataFrame]) -> DataFrame:
    return reduce(lambda a, b: a.join(b, on="uscc", how="full_outer"), frames)


def to_long(frame: DataFrame, codes: dict[str, Indicator]) -> DataFrame:
    """``(uscc, indicator_code, indicator_value)`` of a wide family frame, without nulls and without values equal
    to the indicator's default (a 0 count is implied; a 0 headcount, whose default is "unknown", is kept)."""
    columns = [c for c in frame.columns if c != "uscc"]
    casted = frame.select("uscc", *[F.col(c).cast("double").alias(c) for c in columns])
    long = casted.unpivot("uscc", tuple(columns), "indicator_code", "indicator_value")
    implied = [c for c in columns if codes[c].default == 0.0]
    return long.where(
        F.col("indicator_value").isNotNull()
        & ~((F.col("indicator_value") == 0) & F.col("indicator_code").isin(implied))
    )


def families(
    src: Sources, registry: DataFrame, names: DataFrame, config: RiskConfig, as_of: date
) -> list[DataFrame]:
    """Every indicator family's wide frame (``uscc`` + its indicators)."""
    cfg, models = config.indicators, config.models
    return [
        penalty_indicators(src, cfg, as_of),
        coercive_indicators(src, cfg, as_of),
        inspection_indicators(src, cfg, as_of),
        complaint_indicators(src, cfg, models, as_of, names),
        credit_list_indicators(src, cfg, as_of),
        listing_indicators(src, cfg, models, as_of, names),
        shop_indicators(src, names),
        opinion_indicators(src, cfg, models, as_of, names),
        iot_indicators(src, cfg, as_of, names),
        utility_indicators(src, cfg, as_of),
        profile_indicators(registry, cfg, models),
    ]


def compute_indicators(
    src: Sources, registry: DataFrame, names: DataFrame, config: RiskConfig, as_of: date
) -> DataFrame:
    """The long indicator table of ``D``: one row per entity and non-zero, non-null indicator."""
    codes = catalogue(config.models)
    frames = [to_long(f, codes) for f in families(src, registry, names, config, as_of)]
    return reduce(DataFrame.unionByName, frames).where(F.col("uscc").isNotNull())


def wide(long: DataFrame, codes: dict[str, Indicator]) -> DataFrame:
    """One row per entity with a column per indicator of ``codes``; absent values take the indicator's default."""
    names = sorted(codes)
    values: list[bool | float | int | str] = list(names)
    pivoted = long.groupBy("uscc").pivot("indicator_code", values).agg(F.first("indicator_value"))
    return pivoted.select(
        "uscc",
        *[
            (F.coalesce(F.col(c), F.lit(codes[c].default)) if codes[c].default is not None else F.col(c))
            .cast("double")
            .alias(c)
            for c in names
        ],
    )
