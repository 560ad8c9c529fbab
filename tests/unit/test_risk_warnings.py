"""Warnings: Chinese reasons from the fired rules, dedup against open warnings, closing."""

from __future__ import annotations

import json
from datetime import date

from jianguan.risk.config import load_config
from jianguan.risk.warnings import Candidate, close_warnings, merge_warnings, reason_zh, triggering_indicators

MODELS = load_config().models
D1, D2, D3 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)
USCC = "91420100MA4K00001X"


def fired(*entries: tuple[str, str, float, float]) -> str:
    return json.dumps(
        [
            {"rule": rule, "indicator": indicator, "value": value, "op": ">=", "threshold": 1, "weight": weight,
             "evidence": True}
            for rule, indicator, value, weight in entries
        ]
    )  # fmt: skip


def candidate(
    score: float = 70, level: str = "2", uscc: str = USCC, model: str = "illegal_drug_sales"
) -> Candidate:
    return Candidate(
        uscc=uscc,
        model=model,
        risk_score=score,
        risk_level=level,
        fired_rules=fired(
            ("banned_category_listed", "listing_banned_drug_count", 3, 60),
            ("pharmacy_scope", "in_scope_illegal_drug_sales", 1, 10),
        ),
        entity_name="武汉某某大药房有限公司",
        region_code="420102",
    )


def test_reason_is_chinese_and_names_the_evidence() -> None:
    text = reason_zh(candidate(), MODELS)
    assert (
        text
        == "【网络违法销售药品】武汉某某大药房有限公司：网售禁止网络销售类别药品3件；主体从事药品经营。风险分70（中风险）。"
    )


def test_triggering_indicators_keep_value_and_threshold() -> None:
    entries = json.loads(triggering_indicators(candidate().fired_rules))
    assert entries[0]["indicator"] == "listing_banned_drug_count"
    assert entries[0]["value"] == 3 and entries[0]["threshold"] == 1


def test_new_warning_then_dedup_against_the_open_one() -> None:
    day1 = merge_warnings([], [candidate()], MODELS, D1)
    assert len(day1) == 1 and day1[0].is_new and day1[0].status == "open"
    assert day1[0].department_code == "YPJG"
    day2 = merge_warnings(day1, [candidate(score=85, level="3")], MODELS, D2)
    assert len(day2) == 1
    (warning,) = day2
    assert warning.warning_id == day1[0].warning_id
    assert not warning.is_new
    assert warning.first_raised_date == D1 and warning.last_triggered_date == D2
    assert warning.risk_score == 85 and warning.risk_level_name == "较高风险"


def test_other_model_or_entity_is_a_separate_warning() -> None:
    day1 = merge_warnings([], [candidate()], MODELS, D1)
    other_entity = candidate(uscc="91420100MA4K00002X")
    other_model = candidate(model="illegal_prescription_sales")
    day2 = merge_warnings(day1, [candidate(), other_entity, other_model], MODELS, D2)
    assert len(day2) == 3
    assert sum(w.is_new for w in day2) == 2


def test_rerun_of_a_date_gives_the_same_ids() -> None:
    assert merge_warnings([], [candidate()], MODELS, D1) == merge_warnings([], [candidate()], MODELS, D1)


def test_closed_by_feedback_then_raised_again_with_a_new_id() -> None:
    day1 = merge_warnings([], [candidate()], MODELS, D1)
    closed = close_warnings(day1, {day1[0].warning_id: "fed_back"}, D2)
    assert closed[0].status == "closed" and closed[0].closed_date == D2
    day3 = merge_warnings(closed, [candidate()], MODELS, D3)
    assert len(day3) == 1 and day3[0].is_new and day3[0].warning_id != day1[0].warning_id


def test_open_clue_keeps_the_warning_open_while_quiet() -> None:
    day1 = merge_warnings([], [candidate()], MODELS, D1)
    day2 = close_warnings(merge_warnings(day1, [], MODELS, D2), {day1[0].warning_id: "judged"}, D2)
    assert day2[0].status == "open" and day2[0].last_triggered_date == D1


def test_clueless_warning_lapses_when_the_model_stops_firing() -> None:
    low = merge_warnings([], [candidate(score=40, level="1")], MODELS, D1)
    still = close_warnings(merge_warnings(low, [candidate(score=40, level="1")], MODELS, D2), {}, D2)
    assert still[0].status == "open"
    lapsed = close_warnings(merge_warnings(low, [], MODELS, D2), {}, D2)
    assert lapsed[0].status == "closed"
