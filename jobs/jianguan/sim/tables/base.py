"""Shared machinery of the table generators: the run context, day iteration and party fields.

A generator is asked once per delivery day for its emissions. On the first day it delivers the initial full
load and the events of the history window (``history_days`` before the start date); on later days, that day's
events plus updates of earlier records. Whatever must happen later (a penalty decided after an inspection, the
next step of a work order) goes into :class:`Queues`: compact tuples keyed by the day they fall due, never
whole records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from jianguan.calendar import WorkCalendar
from jianguan.sim.config import DirtConfig
from jianguan.sim.emission import Emission, Record
from jianguan.sim.fields import FieldFiller, moment
from jianguan.sim.identities import Person
from jianguan.sim.rng import derive_seed, rng_for
from jianguan.sim.world import Agency, Officer, Party, World
from jianguan.spec.model import TableSpec


def sample_indices(rng: random.Random, population: int, count: int) -> list[int]:
    """``count`` distinct indices below ``population`` (distinct: one file must not repeat a business key)."""
    if population <= 0 or count <= 0:
        return []
    if count * 4 < population:
        chosen: dict[int, None] = {}
        while len(chosen) < count:
            chosen.setdefault(rng.randrange(population), None)
        return list(chosen)
    return rng.sample(range(population), min(count, population))


@dataclass
class Queues:
    """Work that falls due on a later day, as small tuples (inspection references, lifecycle steps)."""

    _due: dict[str, dict[date, list[tuple[Any, ...]]]] = field(default_factory=dict)

    def put(self, queue: str, day: date, item: tuple[Any, ...]) -> None:
        self._due.setdefault(queue, {}).setdefault(day, []).append(item)

    def take(self, queue: str, day: date) -> list[tuple[Any, ...]]:
        return self._due.get(queue, {}).pop(day, [])

    def size(self) -> int:
        return sum(len(items) for days in self._due.values() for items in days.values())


@dataclass
class SimContext:
    world: World
    calendar: WorkCalendar
    filler: FieldFiller
    dirt: DirtConfig
    queues: Queues = field(default_factory=Queues)

    @property
    def seed(self) -> int:
        return self.world.seed

    def table(self, name: str) -> TableSpec | None:
        return self.world.standard.tables.get(name)


class TableGenerator:
    """Base class: subclasses implement :meth:`load` (first-day full load) and :meth:`events` (one day)."""

    tables: tuple[str, ...] = ()

    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self.world = ctx.world
        self.codes = ctx.world.codes
        self.vocab = ctx.world.vocab
        self.calendar = ctx.calendar
        self.seed = ctx.world.seed

    def active(self) -> bool:
        return any(self.ctx.table(name) is not None for name in self.tables)

    def day(self, delivery: date) -> Iterator[Emission]:
        """Everything this generator delivers on ``delivery``."""
        if delivery == self.world.start:
            yield from self.load(delivery)
            business = self.world.history_start
            while business <= delivery:
                yield from self.events(business, delivery)
                business += timedelta(days=1)
        else:
            yield from self.events(delivery, delivery)

    def load(self, delivery: date) -> Iterator[Emission]:
        """The initial full load (stock as of the start date)."""
        return iter(())

    def events(self, business: date, delivery: date) -> Iterator[Emission]:
        """Events that happen on ``business``, delivered on ``delivery`` (equal except in the history window)."""
        return iter(())

    # -- helpers ---------------------------------------------------------------------------------------------
    def rng(self, *labels: str | int | date) -> random.Random:
        return rng_for(self.seed, *labels)

    def stream(self, *labels: str | int | date) -> int:
        return derive_seed(self.seed, *labels)

    def emit(self, table: str, record: Record, rng: random.Random, day: date, **meta: Any) -> Emission | None:
        """Complete the record from the schema and wrap it; None when the standard lacks the table."""
        spec = self.ctx.table(table)
        if spec is None:
            return None
        self.ctx.filler.complete(spec, record, rng, day)
        return Emission(table, record, **meta)

    def code(self, list_name: str, *labels: str) -> str | None:
        return self.codes.find_or_any(list_name, *labels)

    def pick(self, rng: random.Random, list_name: str) -> str | None:
        return self.codes.pick(rng, list_name)

    def person(self, role: str, number: int) -> Person:
        return self.world.persons.person(self.world.persons.index(role, number))

    def gender_code(self, person: Person) -> str | None:
        return self.code("gender", "男" if person.gender_code_hint == "1" else "女")

    def office_time(self, rng: random.Random, day: date) -> datetime:
        return moment(rng, day, office=True)

    def after(self, rng: random.Random, start: datetime, low_minutes: int, high_minutes: int) -> datetime:
        """An office-hours instant some working minutes after ``start``."""
        return self.calendar.add_office_minutes(start, rng.randint(low_minutes, high_minutes))

    def party_fields(self, party: Party) -> Record:
        """The 行政相对人 block shared by inspections, penalties, coercive measures and other actions."""
        object_type = {"enterprise": "企业法人", "individual": "个体工商户", "social": "其他法人"}[party.kind]
        nature = {"enterprise": "法人", "individual": "个体工商户", "social": "法人"}[party.kind]
        return {
            "object_type_code": self.code("object_type", object_type),
            "supervised_object": party.name,
            "party_name": party.name,
            "party_nature_code": self.code("party_nature", nature),
            "party_certificate_type": self.code("certificate_type", "统一社会信用代码"),
            "party_code": party.uscc,
            "uscc": party.uscc,
            "registered_address": party.address,
            "operating_address": party.address,
            "region_code": party.region.code,
        }

    def officer_fields(self, rng: random.Random, agency: Agency) -> tuple[Record, list[Officer]]:
        officers = self.world.officers_of(agency)
        chosen = rng.sample(officers, min(2, len(officers))) if officers else []
        names = [self.world.persons.name(o.person_index) for o in chosen]
        return (
            {
                "officer_names": ",".join(names) or None,
                "officer_certificate_nos": ",".join(o.certificate_no for o in chosen) or None,
            },
            chosen,
        )

    def agency_fields(self, agency: Agency) -> Record:
        return {
            "implementing_agency_name": agency.name,
            "implementing_agency_code": agency.uscc,
            "entrusted_agency_name": None,
            "entrusted_agency_code": None,
            "department_code": agency.department.code,
        }

    def submitted(self, rng: random.Random, when: datetime) -> Record:
        """报送 fields: a clerk files the record later the same day (never after the day's delivery)."""
        end_of_day = datetime.combine(when.date(), datetime.max.time()).replace(microsecond=0)
        submitted_at = min(when + timedelta(minutes=rng.randint(10, 240)), end_of_day)
        return {
            "submitted_at": submitted_at,
            "submitter_name": self.world.persons.name(
                self.world.persons.index("submitter", rng.randrange(5000))
            ),
            "updated_at": submitted_at,
        }
