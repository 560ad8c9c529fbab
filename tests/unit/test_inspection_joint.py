"""进一次门、查多项事: merging plans that hit the same entity in the same period."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from jianguan.inspection import synthetic
from jianguan.inspection.draw import draw
from jianguan.inspection.joint import VisitEntry, entries_of, merge_visits, saving, visit_of
from jianguan.inspection.plans import PlanItem, load_config

CONFIG = load_config()


def test_two_departments_plans_share_visits_and_keep_every_item() -> None:
    prov = synthetic.province(3000, seed=3)
    samr = (PlanItem("10000000000001", "SCJG", object_type_codes=("01", "02")),)
    health = (PlanItem("20000000000001", "WSJK", object_type_codes=("01", "02")),)
    ratios = {"A": 0.05, "B": 0.2, "C": 0.6, "D": 1.0}
    first = draw(
        synthetic.plan_for(prov, plan_id="P-SCJG", items=samr, class_ratios=ratios),
        CONFIG,
        prov.entities,
        prov.officers,
    )
    second = draw(
        synthetic.plan_for(
            prov,
            plan_id="P-WSJK",
            items=health,
            class_ratios=ratios,
            period=(dt.date(2026, 7, 1), dt.date(2026, 12, 31)),
        ),
        CONFIG,
        prov.entities,
        prov.officers,
    )
    entries = entries_of(first) + entries_of(second)
    visits = merge_visits(entries)
    both = {o.uscc for o in first.drawn} & {o.uscc for o in second.drawn}
    summary = saving(visits)
    assert both and summary["visits_saved"] == len(both)
    assert summary["visits"] == len(entries) - len(both) < len(entries)
    joint = [v for v in visits if v.is_joint]
    assert {v.uscc for v in joint} == both
    for visit in joint:
        assert set(visit.department_codes) == {"SCJG", "WSJK"}
        assert set(visit.item_codes) == {"10000000000001", "20000000000001"}
        assert (visit.window_start, visit.window_end) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    links = visit_of(visits)
    assert len(links) == len(entries)


def test_plans_in_disjoint_periods_are_not_merged() -> None:
    entries = [
        VisitEntry("D1", "P1", "U", ("SCJG",), ("I1",), (), dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        VisitEntry("D2", "P2", "U", ("WSJK",), ("I2",), (), dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
    ]
    assert saving(merge_visits(entries))["visits_saved"] == 0


day = st.integers(0, 365).map(lambda d: dt.date(2026, 1, 1) + dt.timedelta(days=d))


@st.composite
def entry_lists(draw_: st.DrawFn) -> list[VisitEntry]:
    entries = []
    for n in range(draw_(st.integers(0, 25))):
        start, length = draw_(day), draw_(st.integers(0, 120))
        entries.append(
            VisitEntry(
                draw_id=f"D{n}",
                plan_id=f"P{n}",
                uscc=draw_(st.sampled_from(("U1", "U2", "U3"))),
                department_codes=(draw_(st.sampled_from(("SCJG", "WSJK", "STHJ"))),),
                item_codes=tuple(
                    draw_(st.lists(st.sampled_from(("I1", "I2", "I3", "I4")), min_size=1, max_size=3))
                ),
                certificate_nos=(f"ZF{n}a", f"ZF{n}b"),
                window_start=start,
                window_end=start + dt.timedelta(days=length),
            )
        )
    return entries


@settings(max_examples=200, deadline=None)
@given(entry_lists())
def test_merging_never_loses_an_item_and_never_adds_a_visit(entries: list[VisitEntry]) -> None:
    visits = merge_visits(entries)
    assert len(visits) <= len(entries)
    assert sum(len(v.entries) for v in visits) == len(entries)
    assert sorted((e.uscc, e.draw_id, i) for v in visits for e in v.entries for i in e.item_codes) == sorted(
        (e.uscc, e.draw_id, i) for e in entries for i in e.item_codes
    )
    for visit in visits:
        assert visit.window_start <= visit.window_end
        for entry in visit.entries:  # the visit's window lies inside every merged plan's window
            assert entry.uscc == visit.uscc
            assert entry.window_start <= visit.window_start and visit.window_end <= entry.window_end
        assert set(visit.item_codes) == {i for e in visit.entries for i in e.item_codes}
