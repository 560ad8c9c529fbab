"""The 双随机 draw: determinism, seed sensitivity, realised class ratios, and the rules as properties."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jianguan.errors import ConfigError
from jianguan.inspection import synthetic
from jianguan.inspection.draw import (
    CLASS_SOURCE_DEFAULT,
    EXCLUDED_A_UNDISTURBED,
    EntityCandidate,
    OfficerCandidate,
    draw,
    is_recused,
)
from jianguan.inspection.plans import (
    RISK_CLASSES,
    Plan,
    PlanItem,
    load_config,
    plan_from_dict,
    planned_count,
    region_covers,
)
from jianguan.settings import PROJECT_ROOT
from jianguan.spec.loader import cached_standard

CONFIG = load_config()
RATIOS = {"A": 0.03, "B": 0.10, "C": 0.30, "D": 0.70}


@pytest.fixture(scope="module")
def province() -> synthetic.Province:
    return synthetic.province(6000, seed=11)


def _chi2_critical(df: int, z: float = 3.719) -> float:
    """Upper quantile of χ²(df) at the normal quantile ``z`` (3.719 ↔ p = 1e-4), Wilson–Hilferty."""
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def test_same_inputs_and_seed_give_the_same_draw(province: synthetic.Province) -> None:
    plan = synthetic.plan_for(province, class_ratios=RATIOS)
    first = draw(plan, CONFIG, province.entities, province.officers)
    again = draw(plan, CONFIG, list(reversed(province.entities)), list(reversed(province.officers)))
    assert first.draw_id == again.draw_id
    assert first.drawn == again.drawn
    assert len(first.drawn) > 500


def test_changing_the_published_value_changes_the_seed_and_the_draw(province: synthetic.Province) -> None:
    plan = synthetic.plan_for(province, class_ratios=RATIOS)
    other = dataclasses.replace(plan, published_value="福彩3D 2026第151期 开奖号码 9 0 2")
    first = draw(plan, CONFIG, province.entities, province.officers)
    second = draw(other, CONFIG, province.entities, province.officers)
    assert first.seed != second.seed and first.draw_id != second.draw_id
    drawn_first = {o.uscc for o in first.drawn}
    drawn_second = {o.uscc for o in second.drawn}
    # Same stratum sizes (same counts), different members: overlap near ratio², far from identity.
    assert len(drawn_first) == len(drawn_second)
    assert len(drawn_first & drawn_second) < 0.5 * len(drawn_first)


def test_realised_rates_per_class_match_the_configuration(province: synthetic.Province) -> None:
    """Per class, the realised rate is the configured ratio up to rounding; within a class, drawing is
    independent of region (χ² test over counties) and every county's rate is inside a binomial 4.5σ bound."""
    item = PlanItem("10000000000001", "SCJG", object_type_codes=("01", "02"))
    plan = synthetic.plan_for(province, class_ratios=RATIOS, items=(item,))
    result = draw(plan, CONFIG, province.entities, province.officers)
    eligible = [row for row in result.pool if row.excluded_reason is None]
    drawn = {o.uscc for o in result.drawn}
    region = {e.uscc: e.region_code for e in province.entities}
    for risk_class in RISK_CLASSES:
        members = [row.uscc for row in eligible if row.risk_class == risk_class]
        ratio = RATIOS[risk_class]
        chosen = [u for u in members if u in drawn]
        assert len(members) > 150, risk_class
        assert abs(len(chosen) / len(members) - ratio) <= 1 / len(members) + 1e-12
        by_county: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for uscc in members:
            by_county[region[uscc]][0] += 1
            by_county[region[uscc]][1] += uscc in drawn
        chi2 = 0.0
        for size, hits in by_county.values():
            expected = size * ratio
            sigma = math.sqrt(size * ratio * (1 - ratio)) or 1.0
            assert abs(hits - expected) <= 4.5 * sigma + 1, (risk_class, size, hits)
            if ratio < 1:
                chi2 += (hits - expected) ** 2 / (expected * (1 - ratio))
        assert chi2 < _chi2_critical(len(by_county) - 1), (risk_class, chi2)


def test_inclusion_frequency_over_many_seeds_is_the_ratio() -> None:
    """Across independent seeds each entity of a class is drawn with probability ≈ ratio (binomial bound on
    the total, χ² on the spread over entities): the keyed-hash sampling is uniform, not just right in count."""
    prov = synthetic.province(400, seed=5, history_share=0.0)
    item = PlanItem("10000000000001", "SCJG", object_type_codes=("01", "02"))
    seeds = 60
    hits: Counter[str] = Counter()
    for n in range(seeds):
        plan = synthetic.plan_for(prov, class_ratios=RATIOS, items=(item,), published_value=f"期号{n}")
        hits.update(o.uscc for o in draw(plan, CONFIG, prov.entities, []).drawn)
    classes = {e.uscc: e.risk_class or CONFIG.default_class for e in prov.entities}
    for risk_class in ("B", "C"):
        members = [u for u, c in classes.items() if c == risk_class]
        p = planned_count(RATIOS[risk_class], len(members)) / len(members)
        chi2 = sum((hits[u] - seeds * p) ** 2 / (seeds * p * (1 - p)) for u in members)
        assert chi2 < _chi2_critical(len(members) - 1), (risk_class, chi2)
        assert chi2 > len(members) / 3  # not suspiciously even (a round-robin would give ~0)


def test_unclassified_entities_default_to_c_with_a_reason(province: synthetic.Province) -> None:
    result = draw(synthetic.plan_for(province, class_ratios=RATIOS), CONFIG, province.entities, [])
    unclassified = {e.uscc for e in province.entities if e.risk_class is None}
    rows = [row for row in result.pool if row.uscc in unclassified]
    assert rows and all(r.risk_class == CONFIG.default_class for r in rows)
    assert all(r.class_source == CLASS_SOURCE_DEFAULT and r.class_reason for r in rows)


def test_key_items_are_not_capped_except_for_class_a() -> None:
    key = PlanItem("20000000000002", "WSJK", is_key=True)
    general = PlanItem("20000000000001", "WSJK")
    plan = synthetic.plan_for(synthetic.province(0), base_ratio=0.5, items=(key, general))
    assert plan.ratio("B", general, CONFIG) == CONFIG.bands["B"].high
    assert plan.ratio("B", key, CONFIG) == 0.5
    assert plan.ratio("A", key, CONFIG) == CONFIG.bands["A"].high
    assert plan.ratio("D", key, CONFIG) == 0.6


def test_class_ratio_outside_its_band_is_refused(province: synthetic.Province) -> None:
    plan = synthetic.plan_for(province, class_ratios={"A": 0.10})
    with pytest.raises(ConfigError, match="outside the configured band"):
        draw(plan, CONFIG, province.entities, province.officers)


def test_plan_items_resolve_from_the_catalogue() -> None:
    catalogue = {"10000000000001": PlanItem("10000000000001", "SCJG", "CL1", True, ("01",))}
    data = {
        "plan_id": "P1",
        "region_code": "420000",
        "period_start": "2026-06-01",
        "period_end": "2026-06-30",
        "base_ratio": 0.1,
        "published_value": "x",
        "items": ["10000000000001"],
    }
    plan = plan_from_dict(data, catalogue)
    assert plan.items[0].is_key and plan.department_codes == ("SCJG",)
    assert plan_from_dict(plan.to_dict()) == plan
    with pytest.raises(ConfigError, match="not in the catalogue"):
        plan_from_dict({**data, "items": ["99999999999999"]}, catalogue)


def test_configured_codes_exist_in_the_standard() -> None:
    std = cached_standard(PROJECT_ROOT / "schemas")
    lists = {
        "key_check_type": "check_type",
        "active_registration": "registration_status",
        "valid_certificate": "certificate_status",
        "plan_status_to_draw": "random_plan_status",
        "object_type_enterprise": "object_type",
        "object_type_individual": "object_type",
        "no_problem_results": "check_result",
        "unreachable_results": "check_result",
        "refused_results": "check_result",
    }
    for key, code_list in lists.items():
        values = CONFIG.codes[key]
        for code in values if isinstance(values, list) else [values]:
            assert str(code) in std.code_list(code_list).values, (key, code)
    assert set(std.code_list("credit_risk_class").values) == set(RISK_CLASSES)


def test_workload_is_balanced_when_every_officer_is_eligible() -> None:
    entities = [EntityCandidate(f"91{i:016d}", f"企业{i}", "420102", "01", "D") for i in range(100)]
    officers = [OfficerCandidate(f"ZF{i}", "SCJG", "420100") for i in range(7)]
    plan = Plan(
        "P-LOAD", "load", ("SCJG",), (PlanItem("10000000000001", "SCJG"),), "420100",
        dt.date(2026, 1, 1), dt.date(2026, 3, 31), 1.0, "v", {"D": 1.0},
    )  # fmt: skip
    result = draw(plan, CONFIG, entities, officers)
    loads = Counter(a.certificate_no for a in result.assignments())
    assert sum(loads.values()) == 200 and max(loads.values()) - min(loads.values()) <= 1
    assert all(len({a.certificate_no for a in o.assignments}) == 2 for o in result.drawn)


# ---- property-based: the rules are never violated --------------------------------------------------------

REFERENCE = dt.date(2026, 6, 1)
COUNTIES = ("420102", "420103", "420202", "420203")
OFFICER_REGIONS = ("420000", "420100", "420200", *COUNTIES)
ITEMS = (
    PlanItem("10000000000001", "SCJG", object_type_codes=("01", "02")),
    PlanItem("10000000000002", "SCJG", is_key=True, object_type_codes=("01",)),
    PlanItem("20000000000001", "WSJK", object_type_codes=("02",)),
)
days_before = st.integers(min_value=0, max_value=900).map(lambda d: REFERENCE - dt.timedelta(days=d))


@st.composite
def scenarios(draw_: st.DrawFn) -> tuple[Plan, list[EntityCandidate], list[OfficerCandidate]]:
    n_entities = draw_(st.integers(0, 30))
    usccs = [f"91{i:016d}" for i in range(n_entities)]
    entities = [
        EntityCandidate(
            uscc=uscc,
            entity_name=uscc,
            region_code=draw_(st.sampled_from(COUNTIES)),
            object_type_code=draw_(st.sampled_from(("01", "02"))),
            risk_class=draw_(st.sampled_from((None, *RISK_CLASSES))),
            recent_items=tuple(
                draw_(
                    st.lists(
                        st.tuples(st.sampled_from([i.item_code for i in ITEMS]), days_before), max_size=3
                    )
                )
            ),
        )
        for uscc in usccs
    ]
    officers = [
        OfficerCandidate(
            certificate_no=f"ZF{i:04d}",
            department_code=draw_(st.sampled_from(("SCJG", "WSJK"))),
            region_code=draw_(st.sampled_from(OFFICER_REGIONS)),
            is_valid=draw_(st.booleans()),
            recent_contacts=tuple(
                draw_(st.lists(st.tuples(st.sampled_from(usccs), days_before), max_size=4)) if usccs else []
            ),
        )
        for i in range(draw_(st.integers(0, 14)))
    ]
    conflicts = tuple(
        draw_(
            st.lists(
                st.tuples(st.sampled_from([o.certificate_no for o in officers]), st.sampled_from(usccs)),
                max_size=5,
            )
        )
        if officers and usccs
        else []
    )
    items = tuple(draw_(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3, unique=True)))
    plan = Plan(
        plan_id="P-PROP",
        plan_name="property",
        department_codes=("WSJK", "SCJG"),
        items=items,
        region_code=draw_(st.sampled_from(("420000", "420100", "420200"))),
        period_start=REFERENCE,
        period_end=REFERENCE + dt.timedelta(days=90),
        base_ratio=draw_(st.floats(0.05, 1.0)),
        published_value=draw_(st.text(min_size=1, max_size=8).filter(str.strip)),
        quiet_period_days=draw_(st.sampled_from((None, 30, 180))),
        declared_conflicts=conflicts,
    )
    return plan, entities, officers


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_rules_are_never_violated(
    scenario: tuple[Plan, list[EntityCandidate], list[OfficerCandidate]],
) -> None:
    plan, entities, officers = scenario
    result = draw(plan, CONFIG, entities, officers)
    by_uscc = {e.uscc: e for e in entities}
    items = {i.item_code: i for i in plan.items}
    quiet = plan.quiet_days(CONFIG)
    for obj in result.drawn:
        entity = by_uscc[obj.uscc]
        assert region_covers(plan.region_code, entity.region_code)
        last = entity.last_checked()
        if obj.risk_class == "A" and last is not None:  # 无事不扰
            assert (REFERENCE - last).days >= CONFIG.a_class_quiet_period_days
        for code in obj.item_codes:  # quiet period and applicability
            assert items[code].applies_to(entity.object_type_code)
            assert all((REFERENCE - day).days >= quiet for c, day in entity.recent_items if c == code)
        for department in obj.department_codes:
            seated = [a for a in obj.assignments if a.department_code == department]
            eligible = [
                o
                for o in officers
                if o.department_code == department
                and o.is_valid
                and region_covers(o.region_code, entity.region_code)
                and not is_recused(o, obj.uscc, plan, CONFIG)
            ]
            if department in obj.shortfall_departments:
                assert not seated and len(eligible) < CONFIG.inspectors_per_object
                continue
            assert len({a.certificate_no for a in seated}) == CONFIG.inspectors_per_object
            allowed = {o.certificate_no for o in eligible}
            assert all(a.certificate_no in allowed for a in seated)  # qualified, valid, not recused
    for row in result.pool:
        if row.excluded_reason == EXCLUDED_A_UNDISTURBED:
            assert row.risk_class == "A" and row.uscc not in {o.uscc for o in result.drawn}
    for stratum in result.strata:
        assert stratum.drawn_count == planned_count(stratum.ratio, stratum.pool_count)
    assert draw(plan, CONFIG, list(reversed(entities)), list(reversed(officers))).drawn == result.drawn
