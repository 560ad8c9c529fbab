"""What a simulation run produces: scale presets, dirt rates and the run configuration.

Volumes are written as rates per legal entity (enterprise or 个体工商户) so that one table of numbers describes
every scale; a scale sets the population, how many days of history the initial load carries, and an
intensity multiplier that keeps the tiny world busy enough for tests to see every kind of event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path

POPULATION_RATES: dict[str, float] = {
    "other_legal_persons": 0.05,
    "natural_persons": 0.05,
    "special_equipment": 0.08,
    "food_products": 0.03,
    "drug_manufacturing_licences": 0.002,
    "medical_device_registrations": 0.006,
    "cosmetic_manufacturing_licences": 0.002,
    "premises": 0.03,
    "construction_projects": 0.01,
    "online_shops": 0.05,
    "iot_devices": 0.005,
    "abnormal_listed": 0.03,
    "serious_violations": 0.002,
    "dishonest_debtors": 0.004,
    "utility_accounts": 0.02,
    "cases": 0.01,
}
"""Stock at the start date, per legal entity (enterprises + 个体工商户)."""

DAILY_RATES: dict[str, float] = {
    "enterprise_births": 0.0015,
    "entity_updates": 0.002,
    "object_updates": 0.0005,
    "inspections": 0.01,
    "complaint_events": 0.012,
    "national_dispatches": 0.001,
    "public_licences": 0.004,
    "abnormal_inclusions": 0.001,
    "abnormal_removals": 0.0005,
    "serious_violations": 0.0001,
    "dishonest_debtors": 0.0003,
    "joint_punishments": 0.0002,
    "rating_updates": 0.002,
    "listings": 0.01,
    "shop_births": 0.0005,
    "opinions": 0.003,
    "iot_readings": 0.05,
    "utility_signals": 0.002,
    "cases": 0.0002,
}
"""Events per legal entity per day, before the scale's intensity multiplier."""


@dataclass(frozen=True)
class ScaleSpec:
    """One named size of the simulated province."""

    name: str
    enterprises: int
    individual_businesses: int
    intensity: float
    """Multiplier on :data:`DAILY_RATES` (small worlds are made busier so every path is exercised)."""
    history_days: int
    """Days of events before the start date that the initial (day-1) load carries."""
    prefectures: int | None
    """How many prefectures of the province are populated (None: all)."""
    items_per_department: int
    checklists_per_agency: int
    officers_per_agency: int
    county_agencies: bool
    """Whether county-level bureaux exist as implementing agencies (province and prefecture always do)."""
    file_dirt_default: bool
    """Whether a truncated file and a renamed-header file are planted unless the DirtConfig says otherwise."""

    @property
    def legal_entities(self) -> int:
        return self.enterprises + self.individual_businesses

    def population(self, name: str) -> int:
        return max(1, round(self.legal_entities * POPULATION_RATES[name]))

    def daily(self, name: str, minimum: int = 1) -> int:
        return max(minimum, round(self.legal_entities * DAILY_RATES[name] * self.intensity))


SCALES: dict[str, ScaleSpec] = {
    "tiny": ScaleSpec("tiny", 150, 50, 12.0, 8, 3, 4, 2, 2, False, False),
    "small": ScaleSpec("small", 2_000, 1_000, 3.0, 20, None, 10, 4, 3, True, True),
    "medium": ScaleSpec("medium", 600_000, 400_000, 1.0, 3, None, 25, 6, 12, True, True),
    "large": ScaleSpec("large", 3_000_000, 2_000_000, 1.0, 2, None, 30, 8, 30, True, True),
}


@dataclass(frozen=True)
class DirtConfig:
    """How dirty the feeds are. Row rates are per eligible row (a row that has the field the dirt needs).

    Every planted defect is recorded in the ground truth with its file, row number and kind, so a test or
    a data engineer can measure what the pipeline caught.
    """

    duplicate_row: float = 0.01
    """The same row written twice in one file."""
    name_variant: float = 0.03
    """A registered party named with a variant (brackets, 有限责任公司, spaces) in another system's feed."""
    uscc_missing: float = 0.01
    """The party's 统一社会信用代码 left empty where the feed carries it."""
    uscc_fullwidth: float = 0.01
    """The party's 统一社会信用代码 typed with full-width characters."""
    bad_check_char: float = 0.01
    """A USCC or ID number whose check character is wrong."""
    bad_region: float = 0.01
    """A 行政区划代码 that is not in the catalogue."""
    odd_date: float = 0.02
    """A date spelled 2026/1/5, 20260105 or 2026年1月5日 (parseable, but not the agreed format)."""
    unparseable_date: float = 0.003
    """A date spelled ambiguously (01/05/26) that no parser should guess."""
    negative_amount: float = 0.01
    """A money amount below its schema minimum (a negative fine)."""
    orphan_reference: float = 0.02
    """A penalty, coercive measure or other action naming an inspection that does not exist."""
    late_arrival: float = 0.02
    """An event delivered one to three days after its date."""
    cross_channel: float = 0.03
    """A real complaint filed both at 12345 and at 12315 with slightly different text and time."""
    national_share: float = 0.3
    """Of the cross-channel complaints, the share also arriving as a national dispatch."""
    correction: float = 0.3
    """Of the rows given a wrong value, the share re-delivered corrected on a later day."""
    truncated_files: int | None = None
    """Files cut mid-record (None: one when the scale plants file dirt by default, else none)."""
    renamed_header_files: int | None = None
    """Files with one header renamed (None: as for truncated_files)."""

    @classmethod
    def clean(cls) -> DirtConfig:
        """No dirt at all (for tests that check the world model alone)."""
        zero = {f.name: 0.0 for f in fields(cls) if f.type in ("float", float)}
        return cls(**zero, truncated_files=0, renamed_header_files=0)

    def row_rates(self) -> dict[str, float]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), float)
        }


@dataclass(frozen=True)
class SimConfig:
    """One run: which province, how big, how many days, where the files go."""

    scale: ScaleSpec
    seed: int
    days: int
    start: date
    province_code: str
    landing_root: Path
    truth_root: Path
    schemas_root: Path
    dirt: DirtConfig = field(default_factory=DirtConfig)

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be at least 1")
        # The pipeline scans the landing root; ground truth found there would be ingested as a feed (or
        # make the answers visible to the code being evaluated), so the two trees must not nest.
        landing, truth = self.landing_root.resolve(), self.truth_root.resolve()
        if truth == landing or truth.is_relative_to(landing) or landing.is_relative_to(truth):
            raise ValueError(f"ground truth {truth} and landing root {landing} must be separate folders")

    @property
    def truncated_files(self) -> int:
        if self.dirt.truncated_files is not None:
            return self.dirt.truncated_files
        return 1 if self.scale.file_dirt_default else 0

    @property
    def renamed_header_files(self) -> int:
        if self.dirt.renamed_header_files is not None:
            return self.dirt.renamed_header_files
        return 1 if self.scale.file_dirt_default else 0
