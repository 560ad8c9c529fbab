"""A synthetic province's candidate pools, for the statistical tests and the draw benchmark.

Not a mock of anything: it builds real :class:`EntityCandidate`/:class:`OfficerCandidate` records with a skewed
class mix, two object types, counties under several prefectures, inspection histories that straddle the quiet
periods and officers whose contacts and certificates trigger recusal — so every rule of the draw has work to do.
Deterministic in ``seed``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from jianguan.inspection.draw import EntityCandidate, OfficerCandidate
from jianguan.inspection.plans import Plan, PlanItem

CLASS_MIX: tuple[tuple[str | None, float], ...] = (
    ("A", 0.30),
    ("B", 0.45),
    ("C", 0.15),
    ("D", 0.06),
    (None, 0.04),
)
"""Share of each class (None: not classified) — most enterprises are low risk."""
DEPARTMENTS = ("SCJG", "WSJK")


@dataclass(frozen=True)
class Province:
    code: str
    counties: tuple[str, ...]
    entities: list[EntityCandidate]
    officers: list[OfficerCandidate]
    items: tuple[PlanItem, ...]


def _uscc(index: int) -> str:
    return f"91{index:016d}"


def province(
    entities: int,
    *,
    seed: int = 7,
    prefectures: int = 4,
    counties_per_prefecture: int = 3,
    officers_per_region: int = 4,
    history_share: float = 0.3,
    reference: dt.date = dt.date(2026, 6, 1),
) -> Province:
    rng = random.Random(seed)
    code = "420000"
    prefecture_codes = [f"42{p + 1:02d}00" for p in range(prefectures)]
    counties = tuple(f"{p[:4]}{c + 2:02d}" for p in prefecture_codes for c in range(counties_per_prefecture))
    items = (
        PlanItem("10000000000001", "SCJG", object_type_codes=("01", "02")),
        PlanItem("10000000000002", "SCJG", object_type_codes=("01",)),
        PlanItem("20000000000001", "WSJK", object_type_codes=("01", "02")),
        PlanItem("20000000000002", "WSJK", is_key=True, object_type_codes=("01",)),
    )
    classes = [c for c, _ in CLASS_MIX]
    weights = [w for _, w in CLASS_MIX]
    pool: list[EntityCandidate] = []
    for index in range(entities):
        history: list[tuple[str, dt.date]] = []
        if rng.random() < history_share:
            for item in rng.sample(items, rng.randint(1, 2)):
                history.append((item.item_code, reference - dt.timedelta(days=rng.randint(1, 800))))
        pool.append(
            EntityCandidate(
                uscc=_uscc(index),
                entity_name=f"企业{index}",
                region_code=rng.choice(counties),
                object_type_code="01" if rng.random() < 0.7 else "02",
                risk_class=rng.choices(classes, weights)[0],
                recent_items=tuple(sorted(history)),
            )
        )
    officers: list[OfficerCandidate] = []
    number = 0
    for department in DEPARTMENTS:
        for region in (code, *prefecture_codes, *counties):
            for _ in range(officers_per_region):
                number += 1
                contacts = (
                    tuple(
                        sorted(
                            (rng.choice(pool).uscc, reference - dt.timedelta(days=rng.randint(1, 1200)))
                            for _ in range(rng.randint(0, 30))
                        )
                    )
                    if pool
                    else ()
                )
                officers.append(
                    OfficerCandidate(
                        certificate_no=f"ZF{number:08d}",
                        department_code=department,
                        region_code=region,
                        is_valid=rng.random() > 0.05,
                        recent_contacts=contacts,
                    )
                )
    return Province(code, counties, pool, officers, items)


def plan_for(
    prov: Province,
    *,
    plan_id: str = "P-2026-001",
    published_value: str = "福彩3D 2026第150期 开奖号码 3 8 1",
    base_ratio: float = 0.1,
    class_ratios: dict[str, float] | None = None,
    items: tuple[PlanItem, ...] | None = None,
    region_code: str | None = None,
    period: tuple[dt.date, dt.date] = (dt.date(2026, 6, 1), dt.date(2026, 9, 30)),
    declared_conflicts: tuple[tuple[str, str], ...] = (),
) -> Plan:
    chosen = items if items is not None else prov.items
    return Plan(
        plan_id=plan_id,
        plan_name=f"{plan_id} 双随机抽查",
        department_codes=tuple(sorted({i.department_code for i in chosen})),
        items=chosen,
        region_code=region_code or prov.code,
        period_start=period[0],
        period_end=period[1],
        base_ratio=base_ratio,
        published_value=published_value,
        class_ratios=dict(class_ratios or {}),
        declared_conflicts=declared_conflicts,
    )
