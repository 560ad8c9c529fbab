"""The 双随机 draw itself: objects stratified by credit-risk class and item applicability, then inspectors.

Pure Python over plain records — no Spark, no I/O, no clock. Inputs are the candidate pools (entities with their
class and check history, officers with their qualifications and contacts) and the plan; the output is fully
determined by them and the seed, which is what lets :mod:`jianguan.inspection.verify` re-derive a published draw
from its snapshot.

Why on the driver and not in Spark: a plan's pool is one region's entities — at most a few million small records
(the ``medium`` province, 1 M entities, takes seconds; ``benchmarks/bench_draw.py``). The draw is a sort by key
per stratum plus a sequential, stateful inspector assignment (balanced workload depends on every earlier
assignment), which does not parallelise usefully; Spark reads and filters the inputs (:mod:`.inputs`).

Rules, in order, for each entity of the plan's region:

1. applicable items: the plan items whose object types include the entity's type (none → not in the pool);
2. class: the risk job's class, or the configured default (C) with a recorded reason;
3. 无事不扰: a class-A entity checked for any item within ``a_class_quiet_period_days`` is excluded;
4. quiet period: items the entity was checked for within the quiet period are dropped (all dropped → excluded);
5. strata = (class, remaining items); a stratum draws ``ceil(ratio × size)`` entities, ratio = the highest ratio
   of its items for the class (key items uncapped, see :meth:`Plan.ratio`), taking the smallest selection keys;
6. inspectors: per drawn entity and department, ``inspectors_per_object`` officers of that department, whose
   region covers the entity, with a valid certificate, not recused (no inspection or penalty of the entity within
   ``recusal_lookback_days``, no declared conflict) — the least loaded first, ties broken by selection key. Fewer
   than required eligible officers: nobody is assigned and the shortfall is recorded (an officer never checks
   alone).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jianguan.inspection.plans import (
    RISK_CLASSES,
    InspectionConfig,
    Plan,
    PlanItem,
    covering_regions,
    planned_count,
    region_covers,
    unique,
)
from jianguan.inspection.seed import derive_seed, draw_id_for, selection_key

CLASS_SOURCE_MODEL = "credit_risk_classes"
CLASS_SOURCE_DEFAULT = "default"
EXCLUDED_A_UNDISTURBED = "a_class_undisturbed"
EXCLUDED_QUIET_PERIOD = "quiet_period"


@dataclass(frozen=True)
class EntityCandidate:
    """One entity of the object library (检查对象名录库) as the draw sees it."""

    uscc: str
    entity_name: str
    region_code: str
    object_type_code: str
    risk_class: str | None = None
    """Class from the risk job; ``None`` when the entity has not been classified."""
    recent_items: tuple[tuple[str, dt.date], ...] = ()
    """(item code, latest check date) of the entity's recent inspections."""

    def last_checked(self) -> dt.date | None:
        return max((day for _, day in self.recent_items), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "uscc": self.uscc,
            "entity_name": self.entity_name,
            "region_code": self.region_code,
            "object_type_code": self.object_type_code,
            "risk_class": self.risk_class,
            "recent_items": [[code, day.isoformat()] for code, day in self.recent_items],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EntityCandidate:
        return cls(
            uscc=data["uscc"],
            entity_name=data["entity_name"],
            region_code=data["region_code"],
            object_type_code=data["object_type_code"],
            risk_class=data.get("risk_class"),
            recent_items=tuple(
                (code, dt.date.fromisoformat(day)) for code, day in data.get("recent_items", [])
            ),
        )


@dataclass(frozen=True)
class OfficerCandidate:
    """One officer of the officer library (执法检查人员名录库); no name, only the certificate number."""

    certificate_no: str
    department_code: str
    region_code: str
    is_valid: bool = True
    """Certificate valid (status 有效, not expired) over the plan period."""
    recent_contacts: tuple[tuple[str, dt.date], ...] = ()
    """(entity USCC, latest date) of inspections and penalties this officer took part in."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "certificate_no": self.certificate_no,
            "department_code": self.department_code,
            "region_code": self.region_code,
            "is_valid": self.is_valid,
            "recent_contacts": [[uscc, day.isoformat()] for uscc, day in self.recent_contacts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OfficerCandidate:
        return cls(
            certificate_no=data["certificate_no"],
            department_code=data["department_code"],
            region_code=data["region_code"],
            is_valid=bool(data["is_valid"]),
            recent_contacts=tuple(
                (uscc, dt.date.fromisoformat(day)) for uscc, day in data.get("recent_contacts", [])
            ),
        )


@dataclass(frozen=True)
class Eligibility:
    """What the rules decided for one entity of the pool."""

    uscc: str
    risk_class: str
    class_source: str
    class_reason: str | None
    item_codes: tuple[str, ...]
    """Items the entity can be drawn for (after the quiet period)."""
    quiet_item_codes: tuple[str, ...]
    """Items dropped because the entity was checked for them within the quiet period."""
    excluded_reason: str | None


@dataclass(frozen=True)
class Stratum:
    risk_class: str
    item_codes: tuple[str, ...]
    ratio: float
    pool_count: int
    drawn_count: int


@dataclass(frozen=True)
class Assignment:
    uscc: str
    department_code: str
    certificate_no: str
    seat: int
    """1-based position among the department's inspectors for this entity (1 = lead)."""


@dataclass(frozen=True)
class DrawnObject:
    uscc: str
    entity_name: str
    region_code: str
    risk_class: str
    class_source: str
    class_reason: str | None
    item_codes: tuple[str, ...]
    department_codes: tuple[str, ...]
    ratio: float
    selection_key: str
    rank: int
    """Position in the draw (ordered by selection key); inspectors are assigned in this order."""
    assignments: tuple[Assignment, ...] = ()
    shortfall_departments: tuple[str, ...] = ()
    """Departments for which fewer than the required number of eligible officers were found."""


@dataclass(frozen=True)
class DrawResult:
    draw_id: str
    plan: Plan
    config: InspectionConfig
    seed: str
    pool: tuple[Eligibility, ...]
    strata: tuple[Stratum, ...]
    drawn: tuple[DrawnObject, ...]
    entities: tuple[EntityCandidate, ...] = field(repr=False)
    """The candidate pool as given (sorted by USCC): the snapshot that is published with the draw."""
    officers: tuple[OfficerCandidate, ...] = field(repr=False)

    def assignments(self) -> list[Assignment]:
        return [a for obj in self.drawn for a in obj.assignments]

    def class_summary(self) -> dict[str, dict[str, int]]:
        """Per class: entities in the pool, eligible after exclusions, drawn."""
        summary = {c: {"pool": 0, "eligible": 0, "drawn": 0} for c in RISK_CLASSES}
        for row in self.pool:
            summary[row.risk_class]["pool"] += 1
            if row.excluded_reason is None:
                summary[row.risk_class]["eligible"] += 1
        for obj in self.drawn:
            summary[obj.risk_class]["drawn"] += 1
        return summary


def _within(day: dt.date, reference: dt.date, days: int) -> bool:
    """Whether ``day`` falls in the ``days`` days before ``reference`` (or later)."""
    return day > reference - dt.timedelta(days=days)


def eligibility(
    plan: Plan,
    config: InspectionConfig,
    entity: EntityCandidate,
    applicable_by_type: dict[str, tuple[str, ...]] | None = None,
) -> Eligibility | None:
    """Rules 1–4 for one entity; ``None`` when the entity is outside the plan's region or no item applies.

    ``applicable_by_type`` (object type → applicable item codes) is a cache :func:`draw` passes for speed.
    """
    if not region_covers(plan.region_code, entity.region_code):
        return None
    if applicable_by_type is not None and entity.object_type_code in applicable_by_type:
        applicable = applicable_by_type[entity.object_type_code]
    else:
        applicable = unique([i.item_code for i in plan.items if i.applies_to(entity.object_type_code)])
        if applicable_by_type is not None:
            applicable_by_type[entity.object_type_code] = applicable
    if not applicable:
        return None
    if entity.risk_class in config.bands:
        risk_class, source, reason = entity.risk_class, CLASS_SOURCE_MODEL, None
    else:
        risk_class, source = config.default_class, CLASS_SOURCE_DEFAULT
        reason = config.default_class_reason
    reference = plan.period_start
    last = entity.last_checked()
    if risk_class == "A" and last is not None and _within(last, reference, config.a_class_quiet_period_days):
        return Eligibility(entity.uscc, risk_class, source, reason, (), (), EXCLUDED_A_UNDISTURBED)
    if not entity.recent_items:  # most entities: nothing to exclude
        return Eligibility(entity.uscc, risk_class, source, reason, applicable, (), None)
    quiet_days = plan.quiet_days(config)
    quiet = {code for code, day in entity.recent_items if _within(day, reference, quiet_days)}
    items = tuple(code for code in applicable if code not in quiet)
    dropped = tuple(code for code in applicable if code in quiet)
    excluded = None if items else EXCLUDED_QUIET_PERIOD
    return Eligibility(entity.uscc, risk_class, source, reason, items, dropped, excluded)


def _stratum_ratio(plan: Plan, config: InspectionConfig, risk_class: str, item_codes: Sequence[str]) -> float:
    by_code: dict[str, PlanItem] = {i.item_code: i for i in plan.items}
    return max(plan.ratio(risk_class, by_code[code], config) for code in item_codes)


class _OfficerIndex:
    """Officers by (department, region code), so an entity's candidates are found by its covering regions."""

    def __init__(self, officers: Iterable[OfficerCandidate]) -> None:
        self.by_place: dict[tuple[str, str], list[OfficerCandidate]] = defaultdict(list)
        for officer in officers:
            if officer.is_valid:
                self.by_place[(officer.department_code, officer.region_code)].append(officer)

    def candidates(self, department: str, region_code: str) -> list[OfficerCandidate]:
        found: list[OfficerCandidate] = []
        for region in covering_regions(region_code):
            found.extend(self.by_place.get((department, region), ()))
        return found


def is_recused(
    officer: OfficerCandidate,
    uscc: str,
    plan: Plan,
    config: InspectionConfig,
    conflicts: frozenset[tuple[str, str]] | None = None,
) -> bool:
    """回避: a declared conflict, or an inspection/penalty of the entity within the recusal look-back."""
    declared = conflicts if conflicts is not None else frozenset(plan.declared_conflicts)
    if (officer.certificate_no, uscc) in declared:
        return True
    return any(
        who == uscc and _within(day, plan.period_start, config.recusal_lookback_days)
        for who, day in officer.recent_contacts
    )


def draw(
    plan: Plan,
    config: InspectionConfig,
    entities: Iterable[EntityCandidate],
    officers: Iterable[OfficerCandidate],
) -> DrawResult:
    """Draw the objects and their inspectors for ``plan`` (deterministic given the inputs and the seed)."""
    plan.validate(config)
    seed = derive_seed(plan.plan_id, plan.published_value)
    # Canonical order: the result must not depend on the order Spark returned the rows in.
    entity_list = tuple(sorted(entities, key=lambda e: e.uscc))
    officer_list = tuple(sorted(officers, key=lambda o: o.certificate_no))
    by_uscc = {e.uscc: e for e in entity_list}
    if len(by_uscc) != len(entity_list):
        raise ValueError("the entity pool holds a USCC twice; deduplicate the object library first")

    pool: list[Eligibility] = []
    members: dict[tuple[str, tuple[str, ...]], list[tuple[str, str]]] = defaultdict(list)
    applicable_by_type: dict[str, tuple[str, ...]] = {}
    for entity in entity_list:
        row = eligibility(plan, config, entity, applicable_by_type)
        if row is None:
            continue
        pool.append(row)
        if row.excluded_reason is None:
            key = selection_key(seed, "object", entity.uscc)
            members[(row.risk_class, row.item_codes)].append((key, entity.uscc))

    strata: list[Stratum] = []
    chosen: list[tuple[str, str, float]] = []
    for (risk_class, item_codes), candidates in sorted(members.items()):
        ratio = _stratum_ratio(plan, config, risk_class, item_codes)
        count = planned_count(ratio, len(candidates))
        candidates.sort()
        chosen.extend((key, uscc, ratio) for key, uscc in candidates[:count])
        strata.append(Stratum(risk_class, item_codes, ratio, len(candidates), count))
    chosen.sort()

    eligibility_of = {row.uscc: row for row in pool}
    department_of = {i.item_code: i.department_code for i in plan.items}
    index = _OfficerIndex(officer_list)
    # Recusal as one set of (certificate, USCC) pairs: the same rule as :func:`is_recused`, computed once.
    recused = set(plan.declared_conflicts) | {
        (o.certificate_no, who)
        for o in officer_list
        for who, day in o.recent_contacts
        if _within(day, plan.period_start, config.recusal_lookback_days)
    }
    load: dict[str, int] = defaultdict(int)
    drawn: list[DrawnObject] = []
    for rank, (key, uscc, ratio) in enumerate(chosen, start=1):
        entity, row = by_uscc[uscc], eligibility_of[uscc]
        departments = unique([department_of[code] for code in row.item_codes])
        assignments: list[Assignment] = []
        shortfall: list[str] = []
        for department in departments:
            eligible = [
                o
                for o in index.candidates(department, entity.region_code)
                if (o.certificate_no, uscc) not in recused
            ]
            if len(eligible) < config.inspectors_per_object:
                shortfall.append(department)
                continue
            # Least loaded first, ties by selection key. Only officers at or under the k-th smallest load can
            # be chosen, so only they need a key (the same result as sorting everyone, with fewer hashes).
            need = config.inspectors_per_object
            threshold = sorted(load[o.certificate_no] for o in eligible)[need - 1]
            ranked = sorted(
                (load[o.certificate_no], selection_key(seed, "officer", uscc, o.certificate_no), o)
                for o in eligible
                if load[o.certificate_no] <= threshold
            )
            for seat, (_, _, officer) in enumerate(ranked[:need], start=1):
                load[officer.certificate_no] += 1
                assignments.append(Assignment(uscc, department, officer.certificate_no, seat))
        drawn.append(
            DrawnObject(
                uscc=uscc,
                entity_name=entity.entity_name,
                region_code=entity.region_code,
                risk_class=row.risk_class,
                class_source=row.class_source,
                class_reason=row.class_reason,
                item_codes=row.item_codes,
                department_codes=departments,
                ratio=ratio,
                selection_key=key,
                rank=rank,
                assignments=tuple(assignments),
                shortfall_departments=tuple(shortfall),
            )
        )
    return DrawResult(
        draw_id=draw_id_for(plan.plan_id, seed),
        plan=plan,
        config=config,
        seed=seed,
        pool=tuple(pool),
        strata=tuple(strata),
        drawn=tuple(drawn),
        entities=entity_list,
        officers=officer_list,
    )
