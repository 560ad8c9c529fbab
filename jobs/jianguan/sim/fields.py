"""Values for any field from its schema alone, so every field of every table is filled.

Table generators set the fields whose values must cohere with the world (a penalty's party is the inspected
enterprise). Whatever they leave out — including fields added to ``schemas/`` after the generator was
written — is filled here from the field's type, format, code list, bounds and name. Then every string is cut
to the field's declared length, so a clean record always passes the row rules.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from jianguan.sim.emission import Record
from jianguan.sim.world import World
from jianguan.spec.model import FieldSpec, TableSpec

OPTIONAL_FILL_RATE = 0.8


def moment(rng: random.Random, day: date, *, office: bool = False) -> datetime:
    """A time on ``day``: office hours (08:30–17:30) or any time, busier in the daytime."""
    if office:
        minutes = rng.randint(8 * 60 + 30, 17 * 60 + 29)
    else:
        minutes = int(min(1439, max(0, rng.gauss(13 * 60, 4 * 60))))
    return datetime.combine(day, time(minutes // 60, minutes % 60, rng.randint(0, 59)))


def money(rng: random.Random, low: float, high: float) -> Decimal:
    """An amount in yuan with two decimals, log-uniform between ``low`` and ``high`` (fines are skewed)."""
    if low <= 0:
        low = 1.0
    value = low * (high / low) ** rng.random()
    return Decimal(f"{value:.2f}")


def round_amount(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places))


class FieldFiller:
    """Fills the fields a generator left unset."""

    def __init__(self, world: World) -> None:
        self.world = world

    def complete(self, table: TableSpec, record: Record, rng: random.Random, day: date) -> Record:
        for spec in table.fields:
            if spec.name in record:
                continue
            if not spec.required and rng.random() > OPTIONAL_FILL_RATE:
                record[spec.name] = None
                continue
            record[spec.name] = self.value(spec, rng, day)
        for spec in table.fields:
            value = record.get(spec.name)
            if spec.length and isinstance(value, str) and len(value) > spec.length:
                record[spec.name] = value[: spec.length]
        return record

    def value(self, spec: FieldSpec, rng: random.Random, day: date) -> Any:
        world = self.world
        if spec.code_list:
            codes = world.codes.codes(spec.code_list)
            if not codes:
                return None
            if spec.multi_value and len(codes) > 1 and rng.random() < 0.3:
                return ",".join(sorted(rng.sample(codes, 2)))
            return rng.choice(codes)
        if spec.format is not None:
            formatted = self._by_format(spec, rng, day)
            if formatted is not None:
                return formatted
        return self._by_type(spec, rng, day)

    def _by_format(self, spec: FieldSpec, rng: random.Random, day: date) -> Any:
        world = self.world
        fmt = spec.format
        if fmt in ("uscc", "party_code"):
            return world.random_party(rng, day).uscc
        if fmt == "org_code":
            return world.random_party(rng, day).org_code
        if fmt == "id_number":
            return world.persons.person(rng.randrange(10**7)).id_number
        if fmt == "region_code":
            return world.random_county(rng).code
        if fmt == "phone":
            return world.persons.phone(rng.randrange(10**7))
        if fmt == "url":
            return f"https://www.example.cn/{spec.name}/{rng.randrange(10**8)}"
        if fmt == "item_code":
            return rng.choice(world.items).code
        if fmt == "checklist_code":
            return rng.choice(world.checklists).code if world.checklists else None
        if fmt == "ratio":
            return Decimal(f"{rng.choice((0.01, 0.02, 0.03, 0.05, 0.1)):.4f}")
        return None

    def _by_type(self, spec: FieldSpec, rng: random.Random, day: date) -> Any:
        kind = spec.type
        if kind == "date":
            return day - timedelta(days=rng.randint(0, 365))
        if kind == "timestamp":
            return moment(rng, day)
        if kind == "boolean":
            return rng.random() < 0.3
        if kind in ("integer", "long"):
            low = int(spec.min) if spec.min is not None else 0
            high = int(spec.max) if spec.max is not None else max(low + 1000, 1000)
            if spec.name.endswith("year"):
                return day.year
            return rng.randint(low, min(high, low + 100_000))
        if kind == "double":
            low_f = float(spec.min) if spec.min is not None else 0.0
            high_f = float(spec.max) if spec.max is not None else low_f + 1000.0
            return round(low_f + (high_f - low_f) * rng.random(), 4)
        precision_scale = spec.decimal_precision_scale
        if precision_scale is not None:
            _, scale = precision_scale
            floor = float(spec.min) if spec.min is not None else 0.0
            ceiling = float(spec.max) if spec.max is not None else 100_000.0
            value = Decimal(str(floor + (ceiling - floor) * rng.random()))
            return round_amount(value, scale)
        return self._text(spec, rng)

    def _text(self, spec: FieldSpec, rng: random.Random) -> str:
        name = spec.name
        label = spec.label_zh
        if name.endswith(("_no", "_id", "_code")) or "编号" in label or "编码" in label:
            return f"{name[:2].upper()}{rng.randrange(10**9):09d}"
        if "address" in name:
            return self.world.address(rng, self.world.random_county(rng))
        if name.endswith("_name") and spec.pii == "name":
            return self.world.persons.name(rng.randrange(10**7))
        return f"{label}{rng.randint(1, 99)}"
