"""The indicator library, one family at a time, over tiny literal DataFrames (shared local SparkSession).

Each test builds only the input tables it needs (the others are empty), runs one family for D = 2026-11-10 and
checks the values per entity, including the rows that must NOT count (outside the window, withdrawn, removed,
transferred duplicates, invalid readings …).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from jianguan.risk import indicators as ind
from jianguan.risk.config import load_config
from jianguan.risk.inputs import COLUMNS, Sources, entity_registry, name_index
from jianguan.settings import Settings
from jianguan.spec.loader import cached_standard
from jianguan.spec.render.schemas import spark_schema_of

pytestmark = pytest.mark.spark

D = date(2026, 11, 10)
CONFIG = load_config()
CFG, MODELS = CONFIG.indicators, CONFIG.models
A = "91420100000000001A"
B = "91420100000000002B"
C = "91420100000000003C"
REGISTRY = [
    {"uscc": A, "party_name": "武汉甲大药房有限公司", "region_code": "420102", "industry_code": "F5251"},
    {"uscc": B, "party_name": "湖北乙投资管理有限公司", "region_code": "420103", "industry_code": "L7212",
     "registration_status_code": "2"},
    {"uscc": C, "party_name": "宜昌丙医院有限公司", "region_code": "420502", "industry_code": "Q8411"},
]  # fmt: skip


def make_sources(spark: SparkSession, **rows: list[dict[str, Any]]) -> Sources:
    std = cached_standard(Settings().schemas_root)
    frames: dict[str, DataFrame] = {}
    for table, columns in COLUMNS.items():
        fields = {f.name: f for f in std.table(table).fields}
        # nullable copies: each test fills only the columns it is about
        schema = spark_schema_of([fields[c].model_copy(update={"required": False}) for c in columns])
        data = [tuple(r.get(c) for c in columns) for r in rows.get(table, [])]
        frames[table] = spark.createDataFrame(data, schema)
    return Sources(frames, frozenset(rows))


def values(frame: DataFrame) -> dict[str, dict[str, Any]]:
    return {r["uscc"]: {k: v for k, v in r.asDict().items() if k != "uscc"} for r in frame.collect()}


def names_of(src: Sources) -> DataFrame:
    return name_index(entity_registry(src))


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0)


def test_penalties_dedup_severity_window_and_withdrawal(spark: SparkSession) -> None:
    src = make_sources(
        spark,
        penalties=[
            {"uscc": A, "penalty_action_code": "P1", "penalty_decision_no": "鄂市监罚〔2026〕1号",
             "penalty_decision_date": date(2026, 3, 1), "punishment_type_codes": "02", "fine_amount": Decimal("5000")},
            {"uscc": A, "penalty_action_code": "P2", "penalty_decision_no": "鄂市监罚〔2026〕2号",
             "penalty_decision_date": date(2026, 5, 1), "punishment_type_codes": "02,05", "fine_amount": Decimal("1000")},
            {"uscc": A, "penalty_action_code": "P3", "penalty_decision_no": "鄂市监罚〔2020〕9号",  # outside 730 days
             "penalty_decision_date": date(2020, 5, 1), "punishment_type_codes": "02", "fine_amount": Decimal("1")},
            {"uscc": B, "penalty_action_code": "P4", "penalty_decision_date": date(2026, 11, 1),
             "punishment_type_codes": "01", "is_major_case": True},
        ],
        public_penalties=[  # the same decision published under 双公示: counted once
            {"uscc": A, "penalty_decision_no": "鄂市监罚〔2026〕1号", "decision_date": date(2026, 3, 1),
             "punishment_type_codes": "02", "fine_amount": Decimal("5000"), "public_status_code": "0"},
            {"uscc": C, "penalty_decision_no": "鄂卫罚〔2026〕3号", "decision_date": date(2026, 6, 1),
             "punishment_type_codes": "02", "fine_amount": Decimal("200000"), "public_status_code": "0"},
            {"uscc": B, "penalty_decision_no": "鄂卫罚〔2026〕4号", "decision_date": date(2026, 6, 1),
             "punishment_type_codes": "02", "fine_amount": Decimal("10"), "public_status_code": "1"},  # 撤销
        ],
    )  # fmt: skip
    got = values(ind.penalty_indicators(src, CFG, D))
    assert got[A] == {"penalty_count": 2.0, "penalty_severe_count": 1.0, "penalty_fine_amount": 6000.0}
    assert got[B] == {
        "penalty_count": 1.0,
        "penalty_severe_count": 1.0,
        "penalty_fine_amount": 0.0,
    }  # major case
    assert got[C]["penalty_severe_count"] == 1.0  # fine ≥ severe_fine_amount


def test_coercive_measures_in_window(spark: SparkSession) -> None:
    src = make_sources(
        spark,
        coercive_measures=[
            {"uscc": A, "coercive_action_code": "Q1", "measure_start_date": date(2026, 10, 1)},
            {"uscc": A, "coercive_action_code": "Q1", "measure_start_date": date(2026, 10, 1)},
            {"uscc": A, "coercive_action_code": "Q2", "measure_start_date": date(2026, 12, 1)},  # after D
        ],
    )
    assert values(ind.coercive_indicators(src, CFG, D)) == {A: {"coercive_count": 1.0}}


def test_inspections_results_and_recency(spark: SparkSession) -> None:
    src = make_sources(
        spark,
        inspections=[
            {"uscc": A, "inspection_code": "I1", "check_date": date(2026, 11, 1), "check_result_code": "01"},
            {"uscc": A, "inspection_code": "I2", "check_date": date(2026, 6, 1), "check_result_code": "09"},
            {"uscc": A, "inspection_code": "I3", "check_date": date(2026, 5, 1), "check_result_code": "04"},
            {"uscc": B, "inspection_code": "I4", "check_date": date(2024, 1, 1), "check_result_code": "05"},
        ],
    )
    got = values(ind.inspection_indicators(src, CFG, D))
    assert got[A] == {
        "inspection_count": 3.0, "inspection_problem_count": 2.0, "inspection_uncooperative_count": 1.0,
        "inspection_unreachable_count": 1.0, "days_since_last_inspection": 9.0,
    }  # fmt: skip
    assert (
        got[B]["inspection_count"] == 0.0
        and got[B]["days_since_last_inspection"] == (D - date(2024, 1, 1)).days
    )


def test_complaints_resolve_names_skip_transfers_and_hit_lexicons(spark: SparkSession) -> None:
    src = make_sources(
        spark,
        enterprises=REGISTRY,
        hotline_work_orders=[
            {"work_order_no": "W1", "target_uscc": None, "target_name": "湖北乙投资管理有限责任公司",  # name variant
             "request_type_code": "03", "title": "举报非法吸收资金", "content": "宣传保本 保息，年化收益15%",
             "accepted_at": noon(date(2026, 11, 5))},
            {"work_order_no": "W2", "target_uscc": B, "target_name": None, "request_type_code": "02",
             "title": "退款难", "content": "会员卡不退", "accepted_at": noon(date(2026, 9, 1))},
        ],
        consumer_complaints=[
            {"complaint_no": "C1", "hotline_work_order_no": "W1", "target_uscc": B,  # transferred from W1
             "complaint_category_code": "2", "content": "保本保息", "accepted_at": noon(date(2026, 11, 5))},
            {"complaint_no": "C2", "hotline_work_order_no": None, "target_uscc": A,
             "complaint_category_code": "1", "content": "网店卖处方药不要处方，先发货后补方",
             "accepted_at": noon(date(2026, 11, 9))},
        ],
        national_dispatches=[
            {"dispatch_id": "N1", "target_uscc": B, "target_name": None, "origin_type_code": "1",
             "title": "转办", "content": "群众反映", "dispatched_at": noon(date(2026, 10, 20))},
        ],
    )  # fmt: skip
    got = values(ind.complaint_indicators(src, CFG, MODELS, D, names_of(src)))
    assert got[B]["complaint_count_90d"] == 3.0  # W1, W2, N1 (C1 is W1 transferred)
    assert got[B]["complaint_count_30d"] == 2.0
    assert got[B]["report_count_90d"] == 1.0
    assert got[B]["complaint_kw_illegal_fundraising"] == 1.0
    assert got[B]["complaint_trend_ratio"] == pytest.approx((2 + 1) / (1 * 30 / 60 + 1))
    assert got[A]["complaint_kw_illegal_prescription_sales"] == 1.0
    assert got[A]["complaint_kw_illegal_fundraising"] == 0.0


def test_credit_lists_in_force_on_the_date(spark: SparkSession) -> None:
    src = make_sources(
        spark,
        abnormal_operations=[
            {"uscc": A, "is_listed": True, "inclusion_date": date(2025, 1, 1), "inclusion_reason_code": "04"},
            {"uscc": B, "is_listed": False, "inclusion_date": date(2025, 1, 1), "removal_date": date(2026, 1, 1)},
            {"uscc": C, "is_listed": False, "inclusion_date": date(2025, 1, 1), "removal_date": date(2026, 12, 1)},
        ],
        serious_violations=[{"uscc": B, "inclusion_date": date(2026, 11, 10)}],
        dishonest_debtors=[{"uscc": C, "publish_date": date(2026, 1, 1), "removal_date": None}],
        joint_punishments=[{"uscc": A, "start_date": date(2026, 1, 1), "end_date": date(2026, 11, 9)}],  # ended
        credit_ratings=[
            {"uscc": A, "rating_source_code": "01", "risk_class_code": "B", "rated_date": date(2026, 9, 30)},
            {"uscc": A, "rating_source_code": "01", "risk_class_code": "D", "rated_date": date(2026, 10, 31)},
            {"uscc": A, "rating_source_code": "03", "risk_class_code": "A", "rated_date": date(2026, 11, 1)},
            {"uscc": B, "rating_source_code": "01", "risk_class_code": "C", "rated_date": date(2026, 12, 1)},
        ],
    )  # fmt: skip
    got = values(ind.credit_list_indicators(src, CFG, D))
    assert got[A]["abnormal_listed"] == 1.0 and got[A]["abnormal_unreachable"] == 1.0
    assert got[A]["joint_punishment_active"] is None
    assert got[A]["external_risk_class_rank"] == 4.0  # latest SAMR class, not the tax rating
    assert got[B]["abnormal_listed"] is None and got[B]["serious_violation_listed"] == 1.0
    assert got[B]["external_risk_class_rank"] is None  # rated after D
    assert got[C]["abnormal_listed"] == 1.0 and got[C]["dishonest_debtor_active"] == 1.0


SHOPS = [
    {"platform_code": "P1", "shop_id": "S1", "uscc": A, "licence_numbers_shown": "药品经营许可证：鄂AA1",
     "is_licence_displayed": True},
    {"platform_code": "P1", "shop_id": "S2", "uscc": None, "seller_name": "宜昌丙医院有限公司",
     "is_licence_displayed": False},
]  # fmt: skip


def listing(shop: str, n: int, **kw: Any) -> dict[str, Any]:
    base = {"platform_code": "P1", "listing_id": f"{shop}-{n}", "shop_id": shop, "is_on_sale": True,
            "captured_at": noon(date(2026, 11, 8)), "drug_category_code": "00"}  # fmt: skip
    return {**base, **kw}


def test_listings_banned_rx_device_and_licences(spark: SparkSession) -> None:
    src = make_sources(
        spark,
        enterprises=REGISTRY,
        online_shops=SHOPS,
        online_listings=[
            listing("S1", 1, title="阿莫西林胶囊", category_name="处方药", drug_category_code="10", is_prescription=True,
                    has_prescription_warning=True, has_real_name_check=True, has_prescription_check=True),
            listing("S1", 2, title="某某片 无需处方", category_name="处方药", drug_category_code="10",
                    is_prescription=True, has_prescription_warning=False, has_real_name_check=False,
                    has_prescription_check=False),
            listing("S1", 3, title="某某注射液", drug_category_code="23", is_prescription=True,
                    has_prescription_warning=False),  # banned category: not an Rx case as well
            listing("S1", 4, title="电子血压计", category_name="医疗器械", device_registration_no="鄂械注准20212070001"),
            listing("S2", 1, title="家用 血糖仪", category_name="家用电器", device_registration_no=None),
            listing("S2", 2, title="某某片", category_name="处方药", drug_category_code="10", is_prescription=True,
                    has_prescription_warning=False, is_on_sale=False),  # off sale
            listing("S2", 3, title="某某片", category_name="非处方药", drug_category_code="11",
                    captured_at=noon(date(2026, 1, 1))),  # outside the window
        ],
    )  # fmt: skip
    got = values(ind.listing_indicators(src, CFG, MODELS, D, names_of(src)))
    assert got[A]["listing_banned_drug_count"] == 1.0
    assert got[A]["listing_rx_unsafe_count"] == 1.0
    assert got[A]["listing_device_unregistered_count"] == 0.0
    assert got[A]["online_drug_listing_without_licence"] == 0.0  # licence shown on the shop
    assert got[A]["online_device_listing_without_licence"] == 1.0
    assert got[A]["listing_kw_illegal_prescription_sales"] == 1.0
    assert got[C]["listing_device_unregistered_count"] == 1.0  # resolved by the seller's name
    assert got[C]["listing_rx_unsafe_count"] == 0.0
    shops = values(ind.shop_indicators(src, names_of(src)))
    assert shops == {A: {"shop_licence_not_displayed": 0.0}, C: {"shop_licence_not_displayed": 1.0}}


def test_opinions_sentiment_heat_and_cues(spark: SparkSession) -> None:
    src = make_sources(
        spark,
        enterprises=REGISTRY,
        public_opinion=[
            {"opinion_id": "O1", "uscc": None, "party_name": "宜昌丙医院有限公司", "title": "某医院宣称彻底 根治",
             "sentiment_code": "3", "published_at": noon(date(2026, 11, 1)), "heat_score": Decimal("80.5")},
            {"opinion_id": "O2", "uscc": C, "title": "某医院义诊活动", "sentiment_code": "1",
             "published_at": noon(date(2026, 11, 2)), "heat_score": Decimal("10")},
            {"opinion_id": "O3", "uscc": C, "title": "包治百病", "sentiment_code": "3",
             "published_at": noon(date(2026, 1, 2))},  # outside the window
            {"opinion_id": "O4", "uscc": None, "party_name": "不存在的公司", "title": "保本保息",
             "published_at": noon(date(2026, 11, 2))},  # unresolved: no entity
        ],
    )  # fmt: skip
    got = values(ind.opinion_indicators(src, CFG, MODELS, D, names_of(src)))
    assert set(got) == {C}
    assert got[C]["opinion_count"] == 2.0 and got[C]["opinion_negative_count"] == 1.0
    assert got[C]["opinion_heat_max"] == 80.5
    assert got[C]["opinion_kw_false_medical_ads"] == 1.0 and got[C]["opinion_kw_illegal_fundraising"] == 0.0


def test_iot_exceedances_count_valid_readings_only(spark: SparkSession) -> None:
    src = make_sources(
        spark,
        iot_readings=[
            {"uscc": A, "device_id": "D1", "is_exceedance": True, "data_flag_code": "N", "measured_at": noon(D)},
            {"uscc": A, "device_id": "D1", "is_exceedance": False, "data_flag_code": "N", "measured_at": noon(D)},
            {"uscc": A, "device_id": "D1", "is_exceedance": None, "measured_value": 9.0, "limit_value": 5.0,
             "data_flag_code": "N", "measured_at": noon(D)},
            {"uscc": A, "device_id": "D1", "is_exceedance": True, "data_flag_code": "D", "measured_at": noon(D)},  # fault
        ],
    )  # fmt: skip
    assert values(ind.iot_indicators(src, CFG, D, names_of(src)))[A] == {
        "iot_reading_count": 3.0, "iot_exceedance_count": 2.0, "iot_exceedance_rate": pytest.approx(2 / 3),
    }  # fmt: skip


def test_utilities_latest_headcount_and_arrears(spark: SparkSession) -> None:
    src = make_sources(
        spark,
        utility_signals=[
            {"uscc": B, "signal_type_code": "07", "period_month": "202609", "signal_value": Decimal("40")},
            {"uscc": B, "signal_type_code": "07", "period_month": "202610", "signal_value": Decimal("0")},
            {
                "uscc": B,
                "signal_type_code": "07",
                "period_month": "202612",
                "signal_value": Decimal("99"),
            },  # future
            {"uscc": B, "signal_type_code": "02", "period_month": "202610", "arrears_period_count": 4},
            {
                "uscc": B,
                "signal_type_code": "02",
                "period_month": "202601",
                "arrears_period_count": 9,
            },  # too old
        ],
    )
    got = values(ind.utility_indicators(src, CFG, D))
    assert got[B] == {"social_security_headcount": 0.0, "utility_arrears_periods": 4.0}


def test_profile_scope_and_status(spark: SparkSession) -> None:
    src = make_sources(spark, enterprises=REGISTRY)
    got = values(ind.profile_indicators(entity_registry(src), CFG, MODELS))
    assert got[A]["in_scope_illegal_drug_sales"] == 1.0 and got[A]["in_scope_illegal_fundraising"] == 0.0
    assert got[B]["in_scope_illegal_fundraising"] == 1.0 and got[B]["registration_revoked"] == 1.0
    assert got[C]["in_scope_false_medical_ads"] == 1.0


def test_long_form_keeps_meaningful_zeros_and_wide_restores_defaults(spark: SparkSession) -> None:
    codes = ind.catalogue(MODELS)
    frame = spark.createDataFrame(
        [(A, 0.0, 0.0), (B, 3.0, None)], "uscc string, penalty_count double, social_security_headcount double"
    )
    long = ind.to_long(frame, codes)
    assert sorted(tuple(r) for r in long.collect()) == [
        (A, "social_security_headcount", 0.0),  # a zero headcount is information
        (B, "penalty_count", 3.0),
    ]
    back = values(ind.wide(long, {k: codes[k] for k in ("penalty_count", "social_security_headcount")}))
    assert back == {A: {"penalty_count": 0.0, "social_security_headcount": 0.0},
                    B: {"penalty_count": 3.0, "social_security_headcount": None}}  # fmt: skip


def test_name_key_expression_matches_python(spark: SparkSession) -> None:
    from pyspark.sql import functions as F

    from jianguan.risk.inputs import name_key, name_key_col

    samples = ["武汉某某医药有限责任公司", "\u3000某某科技（武汉）股份公司 ", "某某 有限公司", "  "]
    frame = spark.createDataFrame([(s,) for s in samples], "name string")
    got = [r[0] for r in frame.select(name_key_col(F.col("name"))).collect()]
    assert got == [name_key(s) for s in samples]
