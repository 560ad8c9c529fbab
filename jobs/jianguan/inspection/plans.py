"""Plan definitions (抽查计划) and the sampling configuration they are checked against.

A plan names its departments, its 抽查事项 (catalogue items, optionally with their checklist), its region and
execution window, a base ratio and optionally one ratio per credit-risk class. The class bands (A 2–5 %, B 5–20 %,
C 20–60 %, D 60–100 %) and every other rule constant live in ``config/ratios.yaml`` (package data), never in
code. A plan is plain data: it round-trips through a dict (YAML on the command line, JSON in the candidate
snapshot), so a published draw carries the exact plan it was drawn from.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from jianguan.errors import ConfigError

RISK_CLASSES: tuple[str, ...] = ("A", "B", "C", "D")
"""The SAMR four classes (schemas/codes/credit_risk_class.yaml), lowest risk first."""


@dataclass(frozen=True)
class RatioBand:
    low: float
    high: float

    def clamp(self, ratio: float) -> float:
        return min(max(ratio, self.low), self.high)


@dataclass(frozen=True)
class InspectionConfig:
    """``config/ratios.yaml`` parsed: bands, defaults, periods and the code values the rules use."""

    version: str
    bands: dict[str, RatioBand]
    default_class: str
    default_class_reason: str
    quiet_period_days: int
    a_class_quiet_period_days: int
    inspectors_per_object: int
    recusal_lookback_days: int
    codes: dict[str, Any]
    features: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def code(self, name: str) -> str:
        return str(self.codes[name])

    def code_set(self, name: str) -> frozenset[str]:
        return frozenset(str(c) for c in self.codes[name])

    def to_dict(self) -> dict[str, Any]:
        """The configuration as loaded (recorded with every draw, so a verifier uses the same bands)."""
        return dict(self.raw)


def config_from_dict(data: Mapping[str, Any]) -> InspectionConfig:
    try:
        bands = {c: RatioBand(float(v["low"]), float(v["high"])) for c, v in data["classes"].items()}
        config = InspectionConfig(
            version=str(data["version"]),
            bands=bands,
            default_class=str(data["default_class"]),
            default_class_reason=str(data["default_class_reason"]),
            quiet_period_days=int(data["quiet_period_days"]),
            a_class_quiet_period_days=int(data["a_class_quiet_period_days"]),
            inspectors_per_object=int(data["inspectors_per_object"]),
            recusal_lookback_days=int(data["recusal_lookback_days"]),
            codes=dict(data["codes"]),
            features=dict(data.get("features") or {}),
            raw=dict(data),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"inspection configuration is incomplete or malformed: {exc!r}") from exc
    if set(bands) != set(RISK_CLASSES):
        raise ConfigError(f"inspection configuration must give a band for each of {RISK_CLASSES}")
    for name, band in bands.items():
        if not 0 <= band.low <= band.high <= 1:
            raise ConfigError(f"ratio band of class {name} must satisfy 0 <= low <= high <= 1")
    if config.default_class not in RISK_CLASSES:
        raise ConfigError(f"default_class must be one of {RISK_CLASSES}")
    if config.inspectors_per_object < 2:
        raise ConfigError("inspectors_per_object must be at least 2 (two enforcement officers per check)")
    return config


def load_config(path: Path | None = None) -> InspectionConfig:
    """The packaged ``config/ratios.yaml``, or another file with the same keys."""
    if path is None:
        text = (
            resources.files("jianguan.inspection").joinpath("config/ratios.yaml").read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    return config_from_dict(yaml.safe_load(text))


@lru_cache(maxsize=65536)
def region_prefix(code: str) -> str:
    """The part of a GB/T 2260 code that identifies the unit: 420000 → 42, 420100 → 4201, 420102 → 420102."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def region_covers(outer: str, inner: str) -> bool:
    """Whether region ``outer`` contains region ``inner`` (a province covers its prefectures and counties)."""
    return inner.startswith(region_prefix(outer))


@lru_cache(maxsize=65536)
def covering_regions(code: str) -> tuple[str, ...]:
    """The codes whose region contains ``code``: province, prefecture and the code itself (420102 → 420000,
    420100, 420102). Used to look officers up by region in O(1) instead of scanning all of them."""
    return tuple(dict.fromkeys((code[:2] + "0000", code[:4] + "00", code)))


@dataclass(frozen=True)
class PlanItem:
    """One 抽查事项 of a plan: a catalogue item, its department and the object types it applies to."""

    item_code: str
    department_code: str
    checklist_code: str | None = None
    is_key: bool = False
    """重点检查事项: no ratio cap (see :meth:`Plan.ratio`)."""
    object_type_codes: tuple[str, ...] = ()
    """Object types the item applies to; empty means every type in the pool."""

    def applies_to(self, object_type_code: str) -> bool:
        return not self.object_type_codes or object_type_code in self.object_type_codes

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_code": self.item_code,
            "department_code": self.department_code,
            "checklist_code": self.checklist_code,
            "is_key": self.is_key,
            "object_type_codes": list(self.object_type_codes),
        }


@dataclass(frozen=True)
class Plan:
    plan_id: str
    plan_name: str
    department_codes: tuple[str, ...]
    items: tuple[PlanItem, ...]
    region_code: str
    period_start: dt.date
    period_end: dt.date
    base_ratio: float
    published_value: str
    """The public value the seed is derived from (see :mod:`jianguan.inspection.seed`)."""
    class_ratios: dict[str, float] = field(default_factory=dict)
    quiet_period_days: int | None = None
    """Overrides the configured quiet period for this plan."""
    declared_conflicts: tuple[tuple[str, str], ...] = ()
    """(officer certificate number, entity USCC) pairs declared as conflicts of interest (回避声明)."""

    def ratio(self, risk_class: str, item: PlanItem, config: InspectionConfig) -> float:
        """The sampling ratio of ``item`` for entities of ``risk_class``.

        General items: the plan's class ratio, or its base ratio clamped into the class band. Key items: never
        below that, and not capped by the band (at least the base ratio) — except class A (无事不扰).
        """
        band = config.bands[risk_class]
        general = self.class_ratios.get(risk_class, band.clamp(self.base_ratio))
        if item.is_key and risk_class != "A":
            return min(1.0, max(general, self.base_ratio))
        return general

    def quiet_days(self, config: InspectionConfig) -> int:
        return config.quiet_period_days if self.quiet_period_days is None else self.quiet_period_days

    def validate(self, config: InspectionConfig) -> Plan:
        """Refuse a plan that breaks the configuration (a class ratio outside its band, an empty item list …)."""
        problems: list[str] = []
        if not self.items:
            problems.append("a plan needs at least one 抽查事项")
        if not 0 < self.base_ratio <= 1:
            problems.append("base_ratio must be in (0, 1]")
        if self.period_end < self.period_start:
            problems.append("period_end is before period_start")
        if not self.published_value.strip():
            problems.append("published_value (the public source of the seed) is required")
        for item in self.items:
            if item.department_code not in self.department_codes:
                problems.append(
                    f"item {item.item_code} belongs to department {item.department_code}, not in the plan"
                )
        for risk_class, ratio in self.class_ratios.items():
            if risk_class not in config.bands:
                problems.append(f"unknown credit-risk class {risk_class!r}")
                continue
            band = config.bands[risk_class]
            if not band.low - 1e-12 <= ratio <= band.high + 1e-12:
                problems.append(
                    f"ratio {ratio:.4f} for class {risk_class} is outside the configured band "
                    f"{band.low:.2f}–{band.high:.2f} ({config.version})"
                )
        if problems:
            raise ConfigError(f"plan {self.plan_id}: " + "; ".join(problems))
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "plan_name": self.plan_name,
            "department_codes": list(self.department_codes),
            "items": [item.to_dict() for item in self.items],
            "region_code": self.region_code,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "base_ratio": self.base_ratio,
            "class_ratios": dict(sorted(self.class_ratios.items())),
            "quiet_period_days": self.quiet_period_days,
            "published_value": self.published_value,
            "declared_conflicts": [list(pair) for pair in self.declared_conflicts],
        }


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"plan field {name}: {value!r} is not a YYYY-MM-DD date") from exc


def plan_from_dict(data: Mapping[str, Any], catalogue: Mapping[str, PlanItem] | None = None) -> Plan:
    """Build a plan from YAML/JSON data. Items may be given by ``item_code`` alone when a ``catalogue`` (item
    code → :class:`PlanItem` resolved from the catalogue library) is passed; values given in the plan win."""
    try:
        items: list[PlanItem] = []
        for raw in data["items"]:
            raw = {"item_code": raw} if isinstance(raw, str) else dict(raw)
            code = str(raw["item_code"])
            known = (catalogue or {}).get(code)
            if known is None and "department_code" not in raw:
                raise ConfigError(
                    f"抽查事项 {code} is not in the catalogue (supervision_items/inspection_checklists)"
                )
            items.append(
                PlanItem(
                    item_code=code,
                    department_code=str(
                        raw.get("department_code") or (known.department_code if known else "")
                    ),
                    checklist_code=raw.get("checklist_code") or (known.checklist_code if known else None),
                    is_key=bool(raw["is_key"]) if "is_key" in raw else bool(known and known.is_key),
                    object_type_codes=tuple(
                        str(c)
                        for c in (raw.get("object_type_codes") or (known.object_type_codes if known else ()))
                    ),
                )
            )
        departments = data.get("department_codes") or sorted({i.department_code for i in items})
        return Plan(
            plan_id=str(data["plan_id"]),
            plan_name=str(data.get("plan_name") or data["plan_id"]),
            department_codes=tuple(str(d) for d in departments),
            items=tuple(items),
            region_code=str(data["region_code"]),
            period_start=_date(data["period_start"], "period_start"),
            period_end=_date(data["period_end"], "period_end"),
            base_ratio=float(data["base_ratio"]),
            published_value=str(data["published_value"]),
            class_ratios={str(k): float(v) for k, v in (data.get("class_ratios") or {}).items()},
            quiet_period_days=None
            if data.get("quiet_period_days") is None
            else int(data["quiet_period_days"]),
            declared_conflicts=tuple(
                (str(pair[0]), str(pair[1])) for pair in (data.get("declared_conflicts") or [])
            ),
        )
    except KeyError as exc:
        raise ConfigError(f"plan definition lacks {exc.args[0]!r}") from exc


def load_plan(path: Path, catalogue: Mapping[str, PlanItem] | None = None) -> Plan:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: a plan file holds one mapping")
    return plan_from_dict(data, catalogue)


def planned_count(ratio: float, pool: int) -> int:
    """Objects to draw from a stratum of ``pool``: the ratio rounded up (a plan promises *at least* its ratio;
    the epsilon keeps 0.05 × 200 at 10 despite binary floating point)."""
    return min(pool, math.ceil(ratio * pool - 1e-9))


def split_codes(value: str | None) -> tuple[str, ...]:
    """Comma-joined code lists of the standard ("01,02") as a tuple, empty values dropped."""
    return tuple(c.strip() for c in (value or "").split(",") if c.strip())


def unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
