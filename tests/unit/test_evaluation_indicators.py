"""Every indicator builder over literal rows, checked against numerators and denominators worked out by hand.

Logical date 2026-11-20 (a Friday); the month evaluated is 2026-11-01 … 2026-11-20. No holidays fall in
November 2026, so 7 working days after Monday 2 November is Wednesday 11 November. Regions: 湖北 420000 →
武汉 420100 (江岸 420102, 江汉 420103) and 黄石 420200 (黄石港 420202).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jianguan.evaluation import indicators as ind
from jianguan.evaluation.config import load_config
from jianguan.evaluation.periods import period_containing
from jianguan.evaluation.regions import region_nodes
from jianguan.settings import PROJECT_ROOT
from jianguan.spec.loader import Standard, cached_standard

pytestmark = pytest.mark.spark

D = date(2026, 11, 20)
PROVINCE, WUHAN, JIANGAN, JIANGHAN = "420000", "420100", "420102", "420103"
HUANGSHI, HUANGSHIGANG = "420200", "420202"
NOV = "2026-11"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def standard() -> Standard:
    return cached_standard(PROJECT_ROOT / "schemas")


def frame(spark: Any, table: str, rows: Sequence[Mapping[str, Any]]) -> Any:
    """A DataFrame with the staging shape of ``table`` (schema derived from schemas/, every column nullable)."""
    from pyspark.sql.types import StructField, StructType

    from jianguan.spec.types import spark_type

    fields = standard().bronze_fields(table)
    names = {f.name for f in fields}
    unknown = {key for row in rows for key in row} - names
    assert not unknown, f"{table}: not in the schema: {unknown}"
    schema = StructType([StructField(f.name, spark_type(f.type), True) for f in fields])
    return spark.createDataFrame([tuple(row.get(f.name) for f in fields) for row in rows], schema)


@cache
def _nodes() -> dict[str, Any]:
    return region_nodes(standard())


def context(spark: Any) -> ind.Context:
    config = load_config()
    return ind.build_context(
        spark, [period_containing("month", D, D)], _nodes(), PROVINCE, config.region_levels, 1
    )


def values(
    spark: Any, indicator_id: str, inputs: ind.Inputs
) -> dict[tuple[str, str], tuple[float, float, float | None]]:
    """``(department, region) → (numerator, denominator, value)`` of the indicator for November."""
    spec = load_config().indicator(indicator_id)
    result = ind.compute(spec, inputs, context(spark))
    assert result is not None
    rows = result.where(result.period_key == NOV).collect()
    out = {(r.department_code, r.region_code): (r.numerator, r.denominator, r.value) for r in rows}
    assert len(out) == len(rows), "one row per unit"
    return out


def ts(text: str) -> datetime:
    """An instant in Asia/Shanghai (naive datetimes would be read in the machine's zone)."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_catalogue_claim_rate(spark: Any) -> None:
    items = frame(spark, "supervision_items", [
        {"item_code": "I1", "department_code": "SCJG", "region_code": PROVINCE, "claim_status_code": "1"},
        {"item_code": "I2", "department_code": "SCJG", "region_code": PROVINCE, "claim_status_code": "1",
         "effective_date": d("2025-01-01")},
        {"item_code": "I3", "department_code": "SCJG", "region_code": PROVINCE, "claim_status_code": "0"},
        # repealed before the as-of date: no longer in the catalogue
        {"item_code": "I4", "department_code": "SCJG", "region_code": PROVINCE, "claim_status_code": "1",
         "repealed_date": d("2026-11-10")},
    ])  # fmt: skip
    checklists = frame(spark, "inspection_checklists", [
        {"checklist_code": "C1", "department_code": "SCJG", "region_code": JIANGAN, "claim_status_code": "1"},
        # takes effect after the as-of date
        {"checklist_code": "C2", "department_code": "SCJG", "region_code": JIANGAN, "claim_status_code": "0",
         "effective_date": d("2026-12-01")},
    ])  # fmt: skip
    got = values(
        spark,
        "catalogue_claim_rate",
        ind.Inputs({"supervision_items": items, "inspection_checklists": checklists}),
    )
    assert got[("SCJG", PROVINCE)] == (3.0, 4.0, 0.75)
    assert got[("SCJG", WUHAN)] == (1.0, 1.0, 1.0)
    assert got[("SCJG", JIANGAN)] == (1.0, 1.0, 1.0)
    assert got[("ALL", PROVINCE)] == (3.0, 4.0, 0.75)


def test_checklist_completion_rate(spark: Any) -> None:
    items = frame(spark, "supervision_items", [
        {"item_code": "I1", "department_code": "SCJG", "item_type_code": "01", "exercise_level_codes": "2,3,4"},
        {"item_code": "I2", "department_code": "SCJG", "item_type_code": "01", "exercise_level_codes": "3"},
        {"item_code": "I3", "department_code": "SCJG", "item_type_code": "02", "exercise_level_codes": "3,4"},
    ])  # fmt: skip
    checklists = frame(spark, "inspection_checklists", [
        {"checklist_code": "C1", "item_code": "I1", "department_code": "SCJG", "region_code": WUHAN},
    ])  # fmt: skip
    officers = frame(spark, "officers", [
        {"officer_certificate_no": "X1", "department_code": "SCJG", "region_code": JIANGAN},
    ])  # fmt: skip
    got = values(spark, "checklist_completion_rate", ind.Inputs(
        {"supervision_items": items, "inspection_checklists": checklists, "officers": officers}
    ))  # fmt: skip
    # Wuhan (level 3) must compile I1 and I2 and has I1; 江岸 (level 4) must compile I1 and has none
    assert got[("SCJG", JIANGAN)] == (0.0, 1.0, 0.0)
    assert got[("SCJG", WUHAN)][:2] == (1.0, 3.0)
    assert got[("SCJG", PROVINCE)][:2] == (1.0, 3.0)


def test_checklist_completeness_rate(spark: Any) -> None:
    full = {
        "check_object": "食品经营者", "check_type_code": "01", "check_content": "许可", "check_mode_codes": "01",
        "check_basis": "食品安全法", "sampling_ratio_frequency": "5%，每年1次",
    }  # fmt: skip
    checklists = frame(spark, "inspection_checklists", [
        {"checklist_code": "C1", "department_code": "SCJG", "region_code": JIANGAN, **full},
        {"checklist_code": "C2", "department_code": "SCJG", "region_code": JIANGAN, **full, "check_basis": "  "},
    ])  # fmt: skip
    got = values(spark, "checklist_completeness_rate", ind.Inputs({"inspection_checklists": checklists}))
    assert got[("SCJG", JIANGAN)] == (1.0, 2.0, 0.5)


def test_registered_officer_rate(spark: Any) -> None:
    officers = frame(spark, "officers", [
        {"officer_certificate_no": "C1", "certificate_status_code": "1", "certificate_valid_to_date": d("2027-01-01")},
        {"officer_certificate_no": "C2", "certificate_status_code": "2"},
        {"officer_certificate_no": "C3", "certificate_status_code": "1", "certificate_valid_to_date": d("2026-11-05")},
    ])  # fmt: skip
    base = {"department_code": "SCJG", "region_code": JIANGAN, "check_date": d("2026-11-10")}
    inspections = frame(spark, "inspections", [
        {**base, "inspection_code": "A", "officer_certificate_nos": "C1"},
        {**base, "inspection_code": "B", "officer_certificate_nos": "C1, C2"},
        {**base, "inspection_code": "C", "officer_certificate_nos": "C3"},
        {**base, "inspection_code": "D", "officer_certificate_nos": None},
        {**base, "inspection_code": "E", "officer_certificate_nos": "C1", "check_date": d("2026-10-15")},
    ])  # fmt: skip
    got = values(
        spark, "registered_officer_rate", ind.Inputs({"inspections": inspections, "officers": officers})
    )
    assert got[("SCJG", JIANGAN)] == (1.0, 4.0, 0.25)


def test_action_data_coverage(spark: Any) -> None:
    items = frame(spark, "supervision_items", [
        {"item_code": "I1", "department_code": "SCJG"},
        {"item_code": "I2", "department_code": "SCJG"},
        {"item_code": "I3", "department_code": "SCJG"},
        {"item_code": "J1", "department_code": "WSJK"},
    ])  # fmt: skip
    inspections = frame(spark, "inspections", [
        {"inspection_code": "A", "item_code": "I1", "department_code": "SCJG", "region_code": JIANGAN,
         "check_date": d("2026-11-03")},
        {"inspection_code": "B", "item_code": "I1", "department_code": "SCJG", "region_code": JIANGAN,
         "check_date": d("2026-11-04")},
        {"inspection_code": "C", "item_code": "I3", "department_code": "SCJG", "region_code": JIANGAN,
         "check_date": d("2026-10-20")},
    ])  # fmt: skip
    penalties = frame(spark, "penalties", [
        {"penalty_action_code": "P", "item_code": "I2", "department_code": "SCJG", "region_code": HUANGSHIGANG,
         "penalty_decision_date": d("2026-11-05")},
    ])  # fmt: skip
    officers = frame(spark, "officers", [
        {"officer_certificate_no": "W1", "department_code": "WSJK", "region_code": JIANGHAN},
    ])  # fmt: skip
    got = values(spark, "action_data_coverage", ind.Inputs(
        {"supervision_items": items, "inspections": inspections, "penalties": penalties, "officers": officers}
    ))  # fmt: skip
    assert got[("SCJG", PROVINCE)][:2] == (2.0, 3.0)
    assert got[("SCJG", WUHAN)][:2] == (1.0, 3.0)
    assert got[("SCJG", HUANGSHIGANG)][:2] == (1.0, 3.0)
    assert got[("WSJK", JIANGHAN)] == (0.0, 1.0, 0.0)
    assert got[("ALL", PROVINCE)] == (2.0, 4.0, 0.5)
    assert got[("ALL", WUHAN)] == (1.0, 4.0, 0.25)
    assert ("WSJK", HUANGSHI) not in got  # the department has no presence there


def test_reporting_timeliness_rate(spark: Any) -> None:
    base = {"department_code": "SCJG", "region_code": JIANGAN, "check_date": d("2026-11-02")}
    inspections = frame(spark, "inspections", [
        {**base, "inspection_code": "A", "submitted_at": ts("2026-11-11 16:00")},  # 7th working day: on time
        {**base, "inspection_code": "B", "submitted_at": ts("2026-11-12 09:00")},  # 8th: late
        {**base, "inspection_code": "C", "submitted_at": None},  # overdue, not reported
        {**base, "inspection_code": "D", "submitted_at": ts("2026-11-25 09:00")},  # reported after the as-of date
        {**base, "inspection_code": "E", "check_date": d("2026-11-18"), "submitted_at": None},  # not yet due
        {**base, "inspection_code": "F", "check_date": d("2026-11-18"), "submitted_at": ts("2026-11-19 10:00")},
    ])  # fmt: skip
    got = values(spark, "reporting_timeliness_rate", ind.Inputs({"inspections": inspections}))
    assert got[("SCJG", JIANGAN)] == (2.0, 5.0, 0.4)


def test_reporting_accuracy_rate(spark: Any) -> None:
    base = {"department_code": "SCJG", "region_code": JIANGAN, "logical_date": d("2026-11-03")}
    inspections = frame(spark, "inspections", [{**base, "inspection_code": c} for c in "ABC"])
    payload = json.dumps({"department_code": "SCJG", "region_code": JIANGAN, "inspection_code": "bad"})
    rejected = spark.createDataFrame(
        [(payload, d("2026-11-03")), (payload, d("2026-10-30"))], "raw_payload string, logical_date date"
    )
    got = values(
        spark, "reporting_accuracy_rate", ind.Inputs({"inspections": inspections}, {"inspections": rejected})
    )
    assert got[("SCJG", JIANGAN)] == (3.0, 4.0, 0.75)


def test_random_inspection_completion_rate(spark: Any) -> None:
    plans = frame(spark, "random_inspection_plans", [
        {"plan_id": "P1", "department_code": "SCJG", "region_code": WUHAN, "plan_end_date": d("2026-11-10")},
        {"plan_id": "P2", "department_code": "SCJG", "region_code": WUHAN, "plan_end_date": d("2026-12-31")},
    ])  # fmt: skip
    drawn = ts("2026-11-02 09:00")
    draws = frame(spark, "random_inspection_draws", [
        {"plan_id": "P1", "object_id": "o1", "region_code": JIANGAN, "drawn_at": drawn, "is_inspected": True},
        {"plan_id": "P1", "object_id": "o2", "region_code": None, "drawn_at": drawn, "is_inspected": False},
        {"plan_id": "P2", "object_id": "o3", "region_code": JIANGAN, "drawn_at": drawn, "inspection_code": "X"},
        {"plan_id": "P2", "object_id": "o4", "region_code": JIANGAN, "drawn_at": drawn, "is_inspected": False},
    ])  # fmt: skip
    got = values(spark, "random_inspection_completion_rate", ind.Inputs(
        {"random_inspection_plans": plans, "random_inspection_draws": draws}
    ))  # fmt: skip
    assert got[("SCJG", JIANGAN)] == (2.0, 2.0, 1.0)
    assert got[("SCJG", WUHAN)][:2] == (2.0, 3.0)


def test_random_plan_publication_rate(spark: Any) -> None:
    plans = frame(spark, "random_inspection_plans", [
        {"plan_id": f"P{status}", "department_code": "SCJG", "region_code": WUHAN,
         "plan_start_date": d("2026-11-02"), "plan_status_code": status}
        for status in ("01", "02", "03", "05")
    ])  # fmt: skip
    got = values(spark, "random_plan_publication_rate", ind.Inputs({"random_inspection_plans": plans}))
    assert got[("SCJG", WUHAN)][:2] == (2.0, 3.0)


def test_penalty_publication_rate(spark: Any) -> None:
    base = {"department_code": "SCJG", "region_code": JIANGAN, "penalty_decision_date": d("2026-11-02")}
    penalties = frame(spark, "penalties", [
        {**base, "penalty_action_code": "A1", "penalty_decision_no": "N1"},
        {**base, "penalty_action_code": "A2", "penalty_decision_no": "N2"},
        {**base, "penalty_action_code": "A3", "penalty_decision_no": "N3"},
        {**base, "penalty_action_code": "A4", "penalty_decision_no": "N4", "penalty_decision_date": d("2026-11-18")},
        {**base, "penalty_action_code": "A5", "penalty_decision_no": "N5", "is_not_punished": True},
        {**base, "penalty_action_code": "A6", "penalty_decision_no": "N6"},
    ])  # fmt: skip
    public = frame(spark, "public_penalties", [
        {"penalty_decision_no": "N1", "public_date": d("2026-11-11"), "public_status_code": "0"},
        {"penalty_decision_no": "other", "penalty_action_code": "A2", "public_date": d("2026-11-13")},
        {"penalty_decision_no": "N6", "public_date": d("2026-11-05"), "public_status_code": "1"},
    ])  # fmt: skip
    got = values(
        spark, "penalty_publication_rate", ind.Inputs({"penalties": penalties, "public_penalties": public})
    )
    # N1 on time; N2 late (found by action code); N3 unpublished and overdue; N6 withdrawn; N4 not due; N5 no penalty
    assert got[("SCJG", JIANGAN)] == (1.0, 4.0, 0.25)


def test_complaint_acceptance_rate(spark: Any) -> None:
    base = {"department_code": "SCJG", "region_code": JIANGAN, "accepted_at": ts("2026-11-02 10:00")}
    complaints = frame(spark, "consumer_complaints", [
        {**base, "complaint_no": "1", "acceptance_decision_date": d("2026-11-11")},
        {**base, "complaint_no": "2", "acceptance_decision_date": d("2026-11-12")},
        {**base, "complaint_no": "3"},
        {**base, "complaint_no": "4", "accepted_at": ts("2026-11-19 10:00")},
    ])  # fmt: skip
    got = values(spark, "complaint_acceptance_rate", ind.Inputs({"consumer_complaints": complaints}))
    assert got[("SCJG", JIANGAN)][:2] == (1.0, 3.0)


def test_complaint_ontime_closure_rate(spark: Any) -> None:
    base = {"department_code": "SCJG", "region_code": JIANGAN, "accepted_at": ts("2026-11-02 10:00"),
            "due_at": ts("2026-11-10 17:00")}  # fmt: skip
    orders = frame(spark, "hotline_work_orders", [
        {**base, "work_order_no": "1", "closed_at": ts("2026-11-10 16:00")},
        {**base, "work_order_no": "2", "extended_due_at": ts("2026-11-15 17:00"), "closed_at": ts("2026-11-14 09:00")},
        {**base, "work_order_no": "3", "closed_at": ts("2026-11-11 09:00")},
        {**base, "work_order_no": "4"},
        {**base, "work_order_no": "5", "due_at": ts("2026-11-25 17:00")},
        {**base, "work_order_no": "6", "due_at": None, "closed_at": ts("2026-11-03 09:00")},
    ])  # fmt: skip
    dispatch = {"department_code": "SCJG", "region_code": JIANGAN, "dispatched_at": ts("2026-11-02 09:00"),
                "deadline_date": d("2026-11-10")}  # fmt: skip
    dispatches = frame(spark, "national_dispatches", [
        {**dispatch, "dispatch_id": "n1", "feedback_at": ts("2026-11-10 18:00")},
        {**dispatch, "dispatch_id": "n2", "feedback_at": ts("2026-11-12 09:00")},
    ])  # fmt: skip
    got = values(spark, "complaint_ontime_closure_rate", ind.Inputs(
        {"hotline_work_orders": orders, "national_dispatches": dispatches}
    ))  # fmt: skip
    assert got[("SCJG", JIANGAN)] == (3.0, 6.0, 0.5)


def test_complaint_satisfaction_rate(spark: Any) -> None:
    orders = frame(spark, "hotline_work_orders", [
        {"work_order_no": str(i), "department_code": "SCJG", "region_code": JIANGAN,
         "callback_at": ts("2026-11-05 10:00"), "satisfaction_code": code}
        for i, code in enumerate(["3", "2", "1", "0", None])
    ])  # fmt: skip
    got = values(spark, "complaint_satisfaction_rate", ind.Inputs({"hotline_work_orders": orders}))
    assert got[("SCJG", JIANGAN)] == (2.0, 4.0, 0.5)


def test_complaint_return_rate(spark: Any) -> None:
    base = {"department_code": "SCJG", "region_code": JIANGAN, "dispatched_at": ts("2026-11-05 10:00")}
    orders = frame(spark, "hotline_work_orders", [
        {**base, "work_order_no": "1", "is_returned": True},
        {**base, "work_order_no": "2", "return_count": 2},
        {**base, "work_order_no": "3", "is_returned": False, "return_count": 0},
        {**base, "work_order_no": "4", "dispatched_at": None, "is_returned": True},
    ])  # fmt: skip
    got = values(spark, "complaint_return_rate", ind.Inputs({"hotline_work_orders": orders}))
    assert got[("SCJG", JIANGAN)][:2] == (2.0, 3.0)


def test_risk_rates_need_risk_clues(spark: Any) -> None:
    spec = load_config().indicator("risk_disposal_rate")
    assert ind.compute(spec, ind.Inputs({}), context(spark)) is None
    clues = spark.createDataFrame(
        [
            ("SCJG", JIANGAN, ts("2026-11-02 09:00"), ts("2026-11-04 09:00"), ts("2026-11-05 09:00"), ts("2026-11-09 09:00")),
            ("SCJG", JIANGAN, ts("2026-11-02 09:00"), ts("2026-11-04 09:00"), None, ts("2026-11-09 09:00")),
            ("SCJG", JIANGAN, ts("2026-11-02 09:00"), None, None, ts("2026-11-09 09:00")),
            ("SCJG", JIANGAN, ts("2026-11-18 09:00"), None, None, ts("2026-11-30 09:00")),
        ],
        "department_code string, region_code string, issued_at timestamp, disposed_at timestamp, "
        "fed_back_at timestamp, due_at timestamp",
    )  # fmt: skip
    inputs = ind.Inputs({}, risk_clues=clues)
    assert values(spark, "risk_disposal_rate", inputs)[("SCJG", JIANGAN)][:2] == (2.0, 3.0)
    assert values(spark, "risk_feedback_rate", inputs)[("SCJG", JIANGAN)][:2] == (1.0, 3.0)


def test_repeat_inspection_rate(spark: Any) -> None:
    x, y = "91420100MA4KXXXX01", "91420100MA4KYYYY02"
    inspections = frame(spark, "inspections", [
        {"inspection_code": "1", "uscc": x, "department_code": "SCJG", "region_code": JIANGAN, "check_date": d("2026-11-02")},
        {"inspection_code": "2", "uscc": x, "department_code": "WSJK", "region_code": JIANGAN, "check_date": d("2026-11-10")},
        {"inspection_code": "3", "uscc": x, "department_code": "SCJG", "region_code": JIANGAN, "check_date": d("2026-11-12"),
         "is_joint_inspection": True},
        {"inspection_code": "4", "uscc": y, "department_code": "SCJG", "region_code": JIANGAN, "check_date": d("2026-10-20")},
        {"inspection_code": "5", "uscc": y, "department_code": "SCJG", "region_code": JIANGAN, "check_date": d("2026-11-05")},
        {"inspection_code": "6", "uscc": None, "department_code": "SCJG", "region_code": JIANGAN, "check_date": d("2026-11-05")},
    ])  # fmt: skip
    got = values(spark, "repeat_inspection_rate", ind.Inputs({"inspections": inspections}))
    assert got[("ALL", PROVINCE)] == (2.0, 4.0, 0.5)
    assert got[("WSJK", JIANGAN)] == (1.0, 1.0, 1.0)
    assert got[("SCJG", JIANGAN)][:2] == (1.0, 3.0)


def test_complaints_per_1000_enterprises(spark: Any) -> None:
    enterprises = frame(spark, "enterprises", [
        *({"entity_pripid": f"e{i}", "region_code": JIANGAN, "registration_status_code": "1"} for i in range(4)),
        {"entity_pripid": "gone", "region_code": JIANGAN, "registration_status_code": "4"},
        {"entity_pripid": "new", "region_code": JIANGAN, "registration_status_code": "1",
         "established_date": d("2026-12-01")},
    ])  # fmt: skip
    complaints = frame(spark, "consumer_complaints", [
        {"complaint_no": str(i), "region_code": JIANGAN, "department_code": "SCJG", "accepted_at": ts("2026-11-03 10:00")}
        for i in range(2)
    ])  # fmt: skip
    orders = frame(spark, "hotline_work_orders", [
        {"work_order_no": "h1", "region_code": JIANGAN, "request_type_code": "02", "accepted_at": ts("2026-11-03 10:00")},
        {"work_order_no": "h2", "region_code": JIANGAN, "request_type_code": "01", "accepted_at": ts("2026-11-03 10:00")},
    ])  # fmt: skip
    got = values(spark, "complaints_per_1000_enterprises", ind.Inputs(
        {"enterprises": enterprises, "consumer_complaints": complaints, "hotline_work_orders": orders}
    ))  # fmt: skip
    assert got[("ALL", JIANGAN)] == (3.0, 4.0, 750.0)
    assert got[("ALL", PROVINCE)] == (3.0, 4.0, 750.0)
    assert all(department == "ALL" for department, _ in got), "a per-region indicator: no department rows"


def test_inspections_per_inspected_enterprise(spark: Any) -> None:
    x, y = "91420100MA4KXXXX01", "91420100MA4KYYYY02"
    rows = [("1", x, "SCJG"), ("2", x, "SCJG"), ("3", y, "SCJG"), ("4", x, "WSJK")]
    inspections = frame(spark, "inspections", [
        {"inspection_code": c, "uscc": u, "department_code": dep, "region_code": JIANGAN, "check_date": d("2026-11-05")}
        for c, u, dep in rows
    ])  # fmt: skip
    got = values(spark, "inspections_per_inspected_enterprise", ind.Inputs({"inspections": inspections}))
    assert got[("SCJG", JIANGAN)] == (3.0, 2.0, 1.5)
    assert got[("WSJK", JIANGAN)] == (1.0, 1.0, 1.0)
    assert got[("ALL", JIANGAN)] == (4.0, 2.0, 2.0)


def test_complaint_closing_working_days(spark: Any) -> None:
    complaints = frame(spark, "consumer_complaints", [
        {"complaint_no": "1", "department_code": "SCJG", "region_code": JIANGAN,
         "accepted_at": ts("2026-11-02 10:00"), "closed_at": ts("2026-11-06 10:00")},
    ])  # fmt: skip
    orders = frame(spark, "hotline_work_orders", [
        # Friday to Monday: one working day
        {"work_order_no": "1", "department_code": "SCJG", "region_code": JIANGAN,
         "accepted_at": ts("2026-11-06 10:00"), "closed_at": ts("2026-11-09 10:00")},
        {"work_order_no": "2", "department_code": "SCJG", "region_code": JIANGAN,
         "accepted_at": ts("2026-11-06 10:00"), "closed_at": None},
    ])  # fmt: skip
    got = values(spark, "complaint_closing_working_days", ind.Inputs(
        {"consumer_complaints": complaints, "hotline_work_orders": orders}
    ))  # fmt: skip
    assert got[("SCJG", JIANGAN)] == (5.0, 2.0, 2.5)


def test_penalty_case_working_days(spark: Any) -> None:
    penalties = frame(spark, "penalties", [
        {"penalty_action_code": "1", "department_code": "SCJG", "region_code": JIANGAN,
         "case_filing_date": d("2026-11-02"), "case_closed_date": d("2026-11-16")},
        {"penalty_action_code": "2", "department_code": "SCJG", "region_code": JIANGAN,
         "case_filing_date": None, "case_closed_date": d("2026-11-16")},
    ])  # fmt: skip
    got = values(spark, "penalty_case_working_days", ind.Inputs({"penalties": penalties}))
    assert got[("SCJG", JIANGAN)] == (10.0, 1.0, 10.0)


def test_unknown_region_counts_at_the_province_only(spark: Any) -> None:
    checklists = frame(spark, "inspection_checklists", [
        {"checklist_code": "C1", "department_code": "SCJG", "region_code": "999999", "claim_status_code": "1"},
        {"checklist_code": "C2", "department_code": None, "region_code": JIANGAN, "claim_status_code": "0"},
    ])  # fmt: skip
    got = values(spark, "catalogue_claim_rate", ind.Inputs({"inspection_checklists": checklists}))
    assert got[("SCJG", PROVINCE)] == (1.0, 1.0, 1.0)
    assert ("SCJG", "999999") not in got
    # a record without department counts for "all departments" only
    assert got[("ALL", PROVINCE)] == (1.0, 2.0, 0.5)
    assert got[("ALL", JIANGAN)] == (0.0, 1.0, 0.0)
    assert (None, JIANGAN) not in got


def test_every_configured_builder_exists() -> None:
    for spec in load_config().indicators:
        assert spec.builder in ind.BUILDERS, spec.id
        assert spec.builder in ind.BUILDER_SOURCES, spec.id
