"""进一次门、查多项事: merge the visits several plans make to the same entity in the same period.

Every drawn object of every draw is one *entry* (one entity, one plan, its items, inspectors and the plan's
execution window). Entries of one entity whose windows overlap become one joint visit, held in the intersection
of their windows; the visit carries the union of their items, departments and inspectors. ``visits_saved`` is
the number of entries minus the number of visits. Merging never drops an item: :func:`merge_visits` checks that
the items of the visits are exactly the items of the entries before returning.

Merging happens among the draws of one run (a joint plan batch, drawn together), because published visits are
immutable: a plan drawn later does not reopen them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jianguan.inspection.draw import DrawResult
from jianguan.inspection.plans import unique


@dataclass(frozen=True)
class VisitEntry:
    draw_id: str
    plan_id: str
    uscc: str
    department_codes: tuple[str, ...]
    item_codes: tuple[str, ...]
    certificate_nos: tuple[str, ...]
    window_start: dt.date
    window_end: dt.date


@dataclass(frozen=True)
class JointVisit:
    visit_id: str
    uscc: str
    entries: tuple[VisitEntry, ...]
    window_start: dt.date
    window_end: dt.date

    @property
    def draw_ids(self) -> tuple[str, ...]:
        return unique([e.draw_id for e in self.entries])

    @property
    def plan_ids(self) -> tuple[str, ...]:
        return unique([e.plan_id for e in self.entries])

    @property
    def department_codes(self) -> tuple[str, ...]:
        return unique([d for e in self.entries for d in e.department_codes])

    @property
    def item_codes(self) -> tuple[str, ...]:
        return unique([i for e in self.entries for i in e.item_codes])

    @property
    def certificate_nos(self) -> tuple[str, ...]:
        return unique([c for e in self.entries for c in e.certificate_nos])

    @property
    def is_joint(self) -> bool:
        return len(self.entries) > 1

    @property
    def visits_saved(self) -> int:
        return len(self.entries) - 1


class ItemLostError(AssertionError):
    """Merging lost or invented an item: a bug, never a data condition."""


def entries_of(result: DrawResult) -> list[VisitEntry]:
    """One entry per drawn object of a draw."""
    return [
        VisitEntry(
            draw_id=result.draw_id,
            plan_id=result.plan.plan_id,
            uscc=obj.uscc,
            department_codes=obj.department_codes,
            item_codes=obj.item_codes,
            certificate_nos=tuple(a.certificate_no for a in obj.assignments),
            window_start=result.plan.period_start,
            window_end=result.plan.period_end,
        )
        for obj in result.drawn
    ]


def _visit_id(uscc: str, entries: Sequence[VisitEntry]) -> str:
    text = "|".join([uscc, *sorted(f"{e.draw_id}" for e in entries)])
    return "V" + hashlib.sha256(text.encode()).hexdigest()[:20]


def merge_visits(entries: Iterable[VisitEntry]) -> list[JointVisit]:
    """Group entries into visits: per entity, windows are merged greedily in start order while they overlap."""
    by_entity: dict[str, list[VisitEntry]] = defaultdict(list)
    all_entries = list(entries)
    for entry in all_entries:
        by_entity[entry.uscc].append(entry)
    visits: list[JointVisit] = []
    for uscc in sorted(by_entity):
        group: list[VisitEntry] = []
        start = end = dt.date.min
        for entry in sorted(
            by_entity[uscc], key=lambda e: (e.window_start, e.window_end, e.plan_id, e.draw_id)
        ):
            if group and entry.window_start <= end and entry.window_end >= start:
                group.append(entry)
                start, end = max(start, entry.window_start), min(end, entry.window_end)
                continue
            if group:
                visits.append(JointVisit(_visit_id(uscc, group), uscc, tuple(group), start, end))
            group, start, end = [entry], entry.window_start, entry.window_end
        if group:
            visits.append(JointVisit(_visit_id(uscc, group), uscc, tuple(group), start, end))
    _check_no_item_lost(all_entries, visits)
    return visits


def _check_no_item_lost(entries: Sequence[VisitEntry], visits: Sequence[JointVisit]) -> None:
    """Every (entity, plan, item) of the entries is in exactly one visit, and nothing else is."""
    wanted = sorted((e.uscc, e.plan_id, e.draw_id, i) for e in entries for i in e.item_codes)
    got = sorted((v.uscc, e.plan_id, e.draw_id, i) for v in visits for e in v.entries for i in e.item_codes)
    if wanted != got:
        raise ItemLostError("joint-visit merge changed the set of (entity, plan, item) triples")


def visit_of(visits: Iterable[JointVisit]) -> dict[tuple[str, str], str]:
    """(draw id, USCC) → visit id, to link each drawn object to its visit."""
    return {(e.draw_id, v.uscc): v.visit_id for v in visits for e in v.entries}


def saving(visits: Sequence[JointVisit]) -> dict[str, int]:
    entries = sum(len(v.entries) for v in visits)
    return {
        "separate_visits": entries,
        "visits": len(visits),
        "joint_visits": sum(1 for v in visits if v.is_joint),
        "visits_saved": entries - len(visits),
    }
