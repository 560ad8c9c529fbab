"""The five Hubei models and the credit classification over literal indicator values (Python rule twin).

Each model: its evidence alone warns; corroborating signals alone never do; the score is capped at 100.
The Spark expressions are checked against these same cases in tests/unit/test_risk_spark_models.py.
"""

from __future__ import annotations

import pytest

from jianguan.risk.config import load_config
from jianguan.risk.models import is_warning, score_rules

CONFIG = load_config()
WARN = CONFIG.models.warn_score


def scored(model: str, **values: float | None) -> tuple[float, bool, list[str]]:
    result = score_rules(values, CONFIG.models.model(model).rules)
    return result.score, is_warning(result, WARN), [r.id for r in result.fired]


# model, evidence that must warn on its own (with the entity in scope), corroboration that must not warn
CASES = {
    "false_medical_ads": (
        {"opinion_kw_false_medical_ads": 1, "in_scope_false_medical_ads": 1},
        {"in_scope_false_medical_ads": 1, "opinion_negative_count": 5, "penalty_count": 2},
    ),
    "illegal_fundraising": (
        {"opinion_kw_illegal_fundraising": 1, "in_scope_illegal_fundraising": 1},
        {"in_scope_illegal_fundraising": 1, "social_security_headcount": 2, "abnormal_listed": 1},
    ),
    "illegal_drug_sales": (
        {"listing_banned_drug_count": 1},
        {
            "in_scope_illegal_drug_sales": 1,
            "shop_licence_not_displayed": 1,
            "online_drug_listing_without_licence": 3,
        },
    ),
    "illegal_prescription_sales": (
        {"listing_rx_unsafe_count": 2},
        {"in_scope_illegal_prescription_sales": 1, "shop_licence_not_displayed": 1},
    ),
    "illegal_device_sales": (
        {"listing_device_unregistered_count": 1},
        {
            "in_scope_illegal_device_sales": 1,
            "shop_licence_not_displayed": 1,
            "online_device_listing_without_licence": 1,
        },
    ),
}


@pytest.mark.parametrize("model", sorted(CASES))
def test_evidence_warns(model: str) -> None:
    evidence, _ = CASES[model]
    score, warns, fired = scored(model, **evidence)
    assert warns, (model, score, fired)
    assert score >= WARN


@pytest.mark.parametrize("model", sorted(CASES))
def test_corroboration_alone_never_warns(model: str) -> None:
    _, corroboration = CASES[model]
    score, warns, fired = scored(model, **corroboration)
    assert not warns, (model, score, fired)
    assert fired  # the signals are seen, just not enough


@pytest.mark.parametrize("model", sorted(CASES))
def test_nothing_scores_zero(model: str) -> None:
    assert scored(model) == (0.0, False, [])


def test_score_is_capped_at_100() -> None:
    values = {r.indicator: 10**6 for r in CONFIG.models.model("illegal_drug_sales").rules}
    values["in_scope_illegal_drug_sales"] = 1
    score, warns, _ = scored("illegal_drug_sales", **values)
    assert score == 100.0 and warns


def test_out_of_scope_medical_claim_needs_more_than_one_opinion() -> None:
    # a 舆情 hit about a non-medical entity (e.g. a news story quoting an ad) is not enough on its own
    score, warns, _ = scored("false_medical_ads", opinion_kw_false_medical_ads=1)
    assert not warns and score < WARN
    # …but with a complaint saying the same it is
    _, warns, fired = scored(
        "false_medical_ads", opinion_kw_false_medical_ads=1, complaint_kw_false_medical_ads=1
    )
    assert warns and fired == ["opinion_claims", "complaint_claims"]


def test_banned_drug_listing_does_not_count_as_prescription_case() -> None:
    # listing_rx_unsafe_count excludes the banned categories; a complaint with 无需处方 alone does not warn
    _, warns, _ = scored("illegal_prescription_sales", complaint_kw_illegal_prescription_sales=2)
    assert not warns


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "A"),
        ({"penalty_count": 1, "complaint_count_90d": 4}, "A"),  # 8 + 6 = 14
        ({"abnormal_listed": 1}, "B"),
        ({"abnormal_listed": 1, "penalty_severe_count": 1, "penalty_count": 1}, "C"),  # 20 + 20 + 8
        ({"serious_violation_listed": 1, "dishonest_debtor_active": 1}, "D"),
        ({"model_max_score": 70, "abnormal_listed": 1, "external_risk_class_rank": 4}, "D"),
    ],
)
def test_credit_classes(values: dict[str, float], expected: str) -> None:
    result = score_rules(values, CONFIG.credit.rules)
    assert CONFIG.credit.class_of(result.score) == expected, (result.score, [r.id for r in result.fired])
