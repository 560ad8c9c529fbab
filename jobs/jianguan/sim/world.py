"""The simulated province: places, bureaux, officers, the regulatory catalogue and every registered party.

Small things (regions, departments, agencies, officers, catalogue items, checklists, the planted high-risk
parties) are built once and kept. Parties (enterprises, 个体工商户, social organisations) and people are *not*
kept: :meth:`World.party` regenerates party ``i`` from the seed whenever a record needs it, so a medium run
with a million enterprises holds a few integers per reference instead of a million objects.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from jianguan.sim.codebook import CodeBook, RegionEntry
from jianguan.sim.config import SimConfig
from jianguan.sim.identities import PersonFactory, UsccFactory
from jianguan.sim.rng import derive_seed, rng_for, unit
from jianguan.sim.routing import Router
from jianguan.sim.vocabulary import Vocabulary, load_vocabulary
from jianguan.spec.loader import Standard

log = logging.getLogger(__name__)

PARTY_KINDS = ("enterprise", "individual", "social")
PLANTED_PER_MODEL_RATE = 0.002
"""Share of enterprises planted as high-risk, per risk model."""
ENTERPRISE_SHARE_OF_BIRTHS = 0.6


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    prefecture_code: str
    prefecture_name: str
    province_name: str

    @property
    def city_short(self) -> str:
        """武汉 for 武汉市, 恩施 for 恩施土家族苗族自治州 (what goes into brackets in a company name)."""
        name = self.prefecture_name
        for suffix in ("土家族苗族自治州", "自治州", "林区", "地区", "市"):
            if name.endswith(suffix):
                return name[: -len(suffix)] or name
        return name

    @property
    def full_name(self) -> str:
        if self.code == self.prefecture_code:
            return self.province_name + self.prefecture_name
        return self.province_name + self.prefecture_name + self.name


@dataclass(frozen=True, slots=True)
class Department:
    index: int
    code: str
    name: str
    short_name: str
    abbreviation: str


@dataclass(frozen=True, slots=True)
class Agency:
    index: int
    department: Department
    region: Region
    level: str
    """province, prefecture or county."""
    name: str
    uscc: str
    exercise_level_code: str


@dataclass(frozen=True, slots=True)
class Officer:
    index: int
    certificate_no: str
    person_index: int
    agency: Agency
    issue_date: date


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    name: str
    main_code: str
    main_name: str
    sub_code: str
    sub_name: str
    type_code: str
    type_label: str
    department: Department
    subject: str
    legal_basis: str


@dataclass(frozen=True, slots=True)
class Checklist:
    code: str
    name: str
    item: Item
    agency: Agency


@dataclass(frozen=True, slots=True)
class Industry:
    code: str
    name: str
    word: str
    scope: str
    kind: str


@dataclass(frozen=True, slots=True)
class Party:
    """A registered legal entity as the registration authority knows it (the canonical record)."""

    kind: str
    index: int
    pripid: str
    uscc: str
    name: str
    region: Region
    address: str
    industry: Industry
    established: date
    legal_rep_index: int
    registration_agency: Agency
    risk_model: str | None
    longitude: float
    latitude: float

    @property
    def org_code(self) -> str:
        return self.uscc[8:17]


@dataclass(frozen=True)
class RiskModel:
    id: str
    label_zh: str
    kinds: tuple[str, ...]
    keywords: tuple[str, ...]
    spec: dict[str, Any]


class World:
    """Everything about the province that more than one table refers to."""

    def __init__(self, config: SimConfig, standard: Standard) -> None:
        self.config = config
        self.standard = standard
        self.seed = config.seed
        self.codes = CodeBook(standard)
        self.vocab: Vocabulary = load_vocabulary()
        self.router = Router(standard, self.codes)
        self.start = config.start
        self.end = config.start + timedelta(days=config.days - 1)
        self.history_start = config.start - timedelta(days=config.scale.history_days)
        self._build_regions()
        self.persons = PersonFactory(self.seed, [r.code for r in self.counties], self.vocab)
        self.usccs = UsccFactory(self.seed)
        self._build_departments()
        self._build_agencies()
        self._build_officers()
        self._build_catalogue()
        self._industries = self._load_industries()
        self.risk_models = self._load_risk_models()
        self._size_population()
        self.planted = self._plant_risk()
        self._party_cache = lru_cache(maxsize=65_536)(self._make_party)

    # -- places --------------------------------------------------------------------------------------------
    def _build_regions(self) -> None:
        entries = self.codes.regions()
        by_code = {e.code: e for e in entries}
        province = by_code.get(self.config.province_code)
        if province is None:
            raise ValueError(f"province {self.config.province_code} is not in codes/regions.yaml")
        self.province_name = province.name
        prefectures = [e for e in entries if e.parent == province.code and not e.is_local]
        prefectures.sort(key=lambda e: e.code)
        if self.config.scale.prefectures is not None:
            prefectures = prefectures[: self.config.scale.prefectures]
        self.prefectures: list[Region] = [
            Region(p.code, p.name, p.code, p.name, province.name) for p in prefectures
        ]
        counties: list[Region] = []
        for prefecture in prefectures:
            children = sorted(
                (
                    e
                    for e in entries
                    if e.parent == prefecture.code and not e.is_local and e.level == "county"
                ),
                key=lambda e: e.code,
            )
            if not children:
                children = [prefecture]
            counties.extend(
                Region(c.code, c.name, prefecture.code, prefecture.name, province.name) for c in children
            )
        if not counties:
            raise ValueError(f"no counties or prefectures under {province.code} in codes/regions.yaml")
        self.counties = counties
        self.region_by_code: dict[str, Region] = {r.code: r for r in [*self.prefectures, *counties]}
        self.province_region = Region(province.code, province.name, province.code, province.name, "")
        # Wuhan-like capitals are busier: weight each county by its prefecture's position (capital first).
        self._county_weights = [3.0 if c.prefecture_code == prefectures[0].code else 1.0 for c in counties]
        self.known_region_codes = frozenset(e.code for e in entries)
        self.region_entries: dict[str, RegionEntry] = by_code

    def random_county(self, rng: random.Random) -> Region:
        return rng.choices(self.counties, weights=self._county_weights)[0]

    def address(self, rng: random.Random, region: Region) -> str:
        street = rng.choice(self.vocab.words("streets"))
        number = rng.randint(1, 999)
        if rng.random() < 0.4:
            place = rng.choice(self.vocab.words("brand_words")) + rng.choice(
                self.vocab.words("community_words")
            )
            return (
                f"{region.full_name}{street}{number}号{place}{rng.randint(1, 30)}栋{rng.randint(101, 2808)}室"
            )
        return f"{region.full_name}{street}{number}号"

    # -- bureaux and people who enforce -------------------------------------------------------------------
    def _build_departments(self) -> None:
        abbreviations = self.vocab.mapping("department_abbreviations")
        departments = []
        for index, code in enumerate(self.codes.codes("departments")):
            name = self.codes.label("departments", code)
            short = name[1:] if name.startswith("省") else name
            abbreviation = next((abbr for frag, abbr in abbreviations.items() if frag in name), short[:2])
            departments.append(Department(index, code, name, short, abbreviation))
        if not departments:
            raise ValueError("codes/departments.yaml has no departments")
        self.departments = departments
        self.department_by_code = {d.code: d for d in departments}
        field_codes = set(self.router.source_department.values())
        self.field_departments = [d for d in departments if d.code in field_codes] or departments[:1]

    def _level_code(self, level: str) -> str:
        fragments = {"province": ("省级", "省"), "prefecture": ("市级", "市"), "county": ("县级", "县")}[
            level
        ]
        code = self.codes.find("exercise_level", *fragments)
        fallback = {"province": "2", "prefecture": "3", "county": "4"}[level]
        return code if code is not None and code in "12345" and len(code) == 1 else fallback

    def _build_agencies(self) -> None:
        agencies: list[Agency] = []
        by_key: dict[tuple[str, str], Agency] = {}
        field_codes = {d.code for d in self.field_departments}

        def add(department: Department, region: Region, level: str) -> None:
            if level == "province":
                name = department.name.replace("省", self.province_name, 1)
            elif level == "prefecture":
                name = region.prefecture_name + department.short_name
            else:
                name = region.prefecture_name + region.name + department.short_name
            agency = Agency(
                len(agencies), department, region, level, name,
                self.usccs.government_uscc(region.code, len(agencies)), self._level_code(level),
            )  # fmt: skip
            agencies.append(agency)
            by_key[(department.code, region.code)] = agency

        for department in self.departments:
            add(department, self.province_region, "province")
            for prefecture in self.prefectures:
                add(department, prefecture, "prefecture")
            if department.code in field_codes and self.config.scale.county_agencies:
                for county in self.counties:
                    if county.code != county.prefecture_code:
                        add(department, county, "county")
        self.agencies = agencies
        self._agency_by_key = by_key

    def agency_for(self, department: Department, region: Region) -> Agency:
        """The bureau of ``department`` responsible for ``region``: county, else prefecture, else province."""
        for code in (region.code, region.prefecture_code):
            agency = self._agency_by_key.get((department.code, code))
            if agency is not None:
                return agency
        return self._agency_by_key[(department.code, self.province_region.code)]

    def _build_officers(self) -> None:
        per_agency = self.config.scale.officers_per_agency
        officers: list[Officer] = []
        by_agency: dict[int, list[Officer]] = {}
        for agency in self.agencies:
            rng = rng_for(self.seed, "officers", agency.index)
            for number in range(per_agency):
                index = len(officers)
                certificate = f"{agency.region.code}{agency.department.index:02d}{number + 1:04d}"
                issued = self.start - timedelta(days=rng.randint(30, 5 * 365))
                officer = Officer(index, certificate, self.persons.index("officer", index), agency, issued)
                officers.append(officer)
                by_agency.setdefault(agency.index, []).append(officer)
        self.officers = officers
        self._officers_by_agency = by_agency

    def officers_of(self, agency: Agency) -> list[Officer]:
        return self._officers_by_agency.get(agency.index, [])

    # -- 监管事项目录 and 检查实施清单 ------------------------------------------------------------------------
    def _build_catalogue(self) -> None:
        type_codes = {
            "inspection": self.codes.find_or_any("item_type", "行政检查"),
            "penalty": self.codes.find_or_any("item_type", "行政处罚"),
            "coercive": self.codes.find_or_any("item_type", "行政强制"),
            "other": self.codes.find_or_any("item_type", "其他"),
        }
        weights = {"inspection": 0.55, "penalty": 0.25, "coercive": 0.1, "other": 0.1}
        subjects = self.vocab.words("inspection_subjects")
        bases = self.vocab.words("penalty_bases")
        items: list[Item] = []
        self.items_by_department: dict[str, dict[str, list[Item]]] = {}
        field_codes = {d.code for d in self.field_departments}
        for department in self.departments:
            rng = rng_for(self.seed, "items", department.code)
            count = self.config.scale.items_per_department if department.code in field_codes else 2
            per_kind: dict[str, list[Item]] = {kind: [] for kind in type_codes}
            kinds = list(type_codes)
            for number in range(count):
                # the first four items cover every kind, so every department can inspect, punish, coerce
                kind = (
                    kinds[number]
                    if number < len(kinds)
                    else rng.choices(kinds, [weights[k] for k in kinds])[0]
                )
                type_code = type_codes[kind] or "01"
                type_label = self.codes.label("item_type", type_code)
                subject = subjects[(department.index + number) % len(subjects)]
                main_number = number // 2 + 1
                sub_number = number % 2 + 1
                type_digits = "".join(ch for ch in type_code if ch.isdigit()).zfill(2)[-2:]
                main_code = f"{type_digits}{department.index + 1:03d}{main_number:04d}"
                code = f"{main_code}{sub_number:03d}00"
                main_name = f"对{subject}的{type_label}"
                sub_name = f"{main_name}（{'日常' if sub_number == 1 else '专项'}）"
                item = Item(
                    code, sub_name, main_code, main_name, f"{main_code}{sub_number:03d}", sub_name,
                    type_code, type_label, department, subject, rng.choice(bases),
                )  # fmt: skip
                items.append(item)
                per_kind[kind].append(item)
            self.items_by_department[department.code] = per_kind
        self.items = items
        checklists: list[Checklist] = []
        self._checklists_by_agency: dict[int, list[Checklist]] = {}
        for agency in self.agencies:
            inspect_items = self.items_by_department[agency.department.code]["inspection"]
            chosen = inspect_items[: self.config.scale.checklists_per_agency]
            for sequence, item in enumerate(chosen, start=1):
                code = f"{agency.uscc}{agency.exercise_level_code}{item.code}{sequence:03d}"
                checklist = Checklist(code, f"{agency.name}{item.main_name}检查实施清单", item, agency)
                checklists.append(checklist)
                self._checklists_by_agency.setdefault(agency.index, []).append(checklist)
        self.checklists = checklists

    def items_of(self, department: Department, kind: str) -> list[Item]:
        per_kind = self.items_by_department[department.code]
        return per_kind.get(kind) or per_kind["inspection"] or [i for v in per_kind.values() for i in v]

    def checklists_of(self, agency: Agency) -> list[Checklist]:
        return self._checklists_by_agency.get(agency.index, [])

    # -- parties ---------------------------------------------------------------------------------------------
    def _load_industries(self) -> list[Industry]:
        return [
            Industry(
                str(e["code"]), str(e["name"]), str(e["word"]), str(e["scope"]), str(e.get("kind", "general"))
            )
            for e in self.vocab.entries("industries")
        ]

    def _load_risk_models(self) -> list[RiskModel]:
        return [
            RiskModel(str(e["id"]), str(e["label_zh"]), tuple(e["kinds"]), tuple(e["keywords"]), e)
            for e in self.vocab.entries("risk_models")
        ]

    def _size_population(self) -> None:
        scale = self.config.scale
        births = scale.daily("enterprise_births")
        self.enterprise_births_per_day = max(1, round(births * ENTERPRISE_SHARE_OF_BIRTHS))
        self.individual_births_per_day = max(1, births - self.enterprise_births_per_day)
        self.initial_counts = {
            "enterprise": scale.enterprises,
            "individual": scale.individual_businesses,
            "social": scale.population("other_legal_persons"),
        }
        self.births_per_day = {
            "enterprise": self.enterprise_births_per_day,
            "individual": self.individual_births_per_day,
            "social": 0,
        }

    def day_number(self, day: date) -> int:
        """0 on the start date, 1 the day after; negative in the history window."""
        return (day - self.start).days

    def party_count(self, kind: str, day: date) -> int:
        """Parties of ``kind`` registered by the end of ``day`` (births are appended to the index range)."""
        born_days = max(0, self.day_number(day) + 1)
        return self.initial_counts[kind] + self.births_per_day[kind] * born_days

    def births_on(self, kind: str, day: date) -> range:
        number = self.day_number(day)
        if number < 0:
            return range(0)
        first = self.initial_counts[kind] + self.births_per_day[kind] * number
        return range(first, first + self.births_per_day[kind])

    def party(self, kind: str, index: int) -> Party:
        """Party ``index`` of ``kind`` ("enterprise", "individual", "social"), regenerated from the seed."""
        return self._party_cache(kind, index)

    def random_party(
        self, rng: random.Random, day: date, kinds: Sequence[str] = ("enterprise", "individual")
    ) -> Party:
        weights = [self.party_count(k, day) for k in kinds]
        kind = rng.choices(list(kinds), weights=weights)[0]
        return self.party(kind, rng.randrange(self.party_count(kind, day)))

    def _plant_risk(self) -> dict[int, str]:
        """Enterprise index → risk model id, for the parties the ground truth marks as high-risk."""
        rng = rng_for(self.seed, "risk", "plant")
        initial = self.initial_counts["enterprise"]
        per_model = max(2, round(initial * PLANTED_PER_MODEL_RATE))
        total = min(initial // 2, per_model * len(self.risk_models))
        chosen = sorted(rng.sample(range(initial), total)) if total else []
        planted: dict[int, str] = {}
        for position, index in enumerate(chosen):
            planted[index] = self.risk_models[position % len(self.risk_models)].id
        self.planted_by_model: dict[str, list[int]] = {}
        for index, model in planted.items():
            self.planted_by_model.setdefault(model, []).append(index)
        return planted

    def risk_model(self, model_id: str) -> RiskModel:
        for model in self.risk_models:
            if model.id == model_id:
                return model
        raise KeyError(model_id)

    def _make_party(self, kind: str, index: int) -> Party:
        rng = rng_for(self.seed, "party", kind, index)
        region = self.random_county(rng)
        risk_model = self.planted.get(index) if kind == "enterprise" else None
        industry = self._pick_industry(rng, kind, risk_model)
        initial = self.initial_counts[kind]
        if index < initial:
            established = self.history_start - timedelta(days=rng.randint(30, 9000))
        else:
            born_day = (index - initial) // max(1, self.births_per_day[kind])
            established = self.start + timedelta(days=born_day)
        vocab = self.vocab
        brand = rng.choice(vocab.words("brand_words"))
        if rng.random() < 0.5:
            brand += rng.choice(vocab.words("given_chars"))
        if kind == "enterprise":
            form = rng.choice(vocab.words("org_forms"))
            style = rng.random()
            if style < 0.55:
                name = f"{region.city_short}{brand}{industry.word}{form}"
            elif style < 0.8:
                name = f"{brand}{industry.word}（{region.city_short}）{form}"
            else:
                name = f"{self.province_name.rstrip('省')}{brand}{industry.word}{form}"
            uscc = self.usccs.uscc("9", "1", region.code, "enterprise", index)
        elif kind == "individual":
            word = rng.choice(vocab.words("individual_words"))
            name = f"{region.name}{brand}{word}"
            uscc = self.usccs.uscc("9", "2", region.code, "individual", index)
        else:
            entry = rng.choice(vocab.entries("social_org_words"))
            topic = rng.choice(vocab.words("social_org_topics"))
            name = f"{region.prefecture_name}{brand}{topic}{entry['suffix']}"
            org_type = {"基金会": "3", "社会服务机构": "2"}.get(str(entry["type_label"]), "1")
            uscc = self.usccs.uscc("5", org_type, region.code, "social", index)
        samr = self.department_by_code.get(
            self.router.source_department.get("dept_samr", ""), self.departments[0]
        )
        civil = self.department_by_code.get(
            self.router.source_department.get("dept_civil_affairs", ""), self.departments[0]
        )
        registration_agency = self.agency_for(civil if kind == "social" else samr, region)
        pripid = f"{region.code}{kind[0].upper()}{index:012d}"
        return Party(
            kind=kind, index=index, pripid=pripid, uscc=uscc, name=name, region=region,
            address=self.address(rng, region), industry=industry, established=established,
            legal_rep_index=self.persons.index("legal_rep" if kind != "individual" else "operator",
                                               index * 3 + PARTY_KINDS.index(kind)),
            registration_agency=registration_agency, risk_model=risk_model,
            longitude=round(108.4 + rng.random() * 7.6, 6), latitude=round(29.1 + rng.random() * 4.2, 6),
        )  # fmt: skip

    def _pick_industry(self, rng: random.Random, kind: str, risk_model: str | None) -> Industry:
        if risk_model is not None:
            model = self.risk_model(risk_model)
            suitable = [i for i in self._industries if i.kind in model.kinds]
            if suitable:
                return rng.choice(suitable)
        if kind == "individual":
            retail = [i for i in self._industries if i.code.startswith(("F52", "H62", "O80"))]
            return rng.choice(retail or self._industries)
        return rng.choice(self._industries)

    def parties_of_industry_kind(
        self, rng: random.Random, day: date, kinds: Sequence[str], tries: int = 40
    ) -> Party | None:
        """A party whose industry is one of ``kinds`` (rejection sampling: kinds are common enough)."""
        for _ in range(tries):
            party = self.random_party(rng, day, ("enterprise",))
            if party.industry.kind in kinds:
                return party
        return None

    def credit_class_label(self, party: Party) -> str:
        """The label of the party's 信用风险分类 (A–D); planted high-risk parties are C or D."""
        value = unit(derive_seed(self.seed, "credit-class"), party.index, PARTY_KINDS.index(party.kind))
        if party.risk_model is not None:
            return "信用风险高" if value < 0.6 else "信用风险较高"
        if value < 0.55:
            return "信用风险低"
        if value < 0.9:
            return "信用风险一般"
        if value < 0.98:
            return "信用风险较高"
        return "信用风险高"

    def department_for(self, source_key: str) -> Department:
        code = self.router.source_department.get(source_key)
        return self.department_by_code.get(code or "", self.departments[0])

    def stream_seed(self, *labels: str | int | date) -> int:
        return derive_seed(self.seed, *labels)
