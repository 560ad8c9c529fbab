"""Identifiers that validate and never collide: 统一社会信用代码, 公民身份号码, names and phone numbers.

Uniqueness is by construction: an entity's index goes through an :class:`~jianguan.sim.rng.AffinePermutation`
onto the space of possible codes, so two entities can never share an identifier — a collision would be
unplanned dirt that the ground truth does not know about. Check characters are computed by
:mod:`jianguan.validate`, the same code the pipeline checks them with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from jianguan.sim.rng import AffinePermutation, derive_seed, mix64
from jianguan.sim.vocabulary import Vocabulary
from jianguan.validate import USCC_CHARSET, make_id_number, make_uscc

BIRTH_FIRST = date(1955, 1, 1)
BIRTH_DAYS = 18_262  # fifty years of birth dates: people aged about 20 to 70
SEQUENCES = 1000
ROLE_SPACING = 100_000_000
"""Person indices are split into disjoint ranges per role (legal representatives, officers, complainants …)."""

ROLES = {
    "legal_rep": 0,
    "operator": 1,
    "liaison": 2,
    "practitioner": 3,
    "officer": 4,
    "complainant": 5,
    "debtor": 6,
    "responsible": 7,
    "principal": 8,
    "author": 9,
    "submitter": 10,
    "operator_staff": 11,
}

_MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                    "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "183", "185", "186",
                    "187", "188", "189", "191", "198", "199")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    name: str
    id_number: str
    gender_code_hint: str
    """"1" male / "2" female in GB/T 2261.1 terms (from the sequence digit); map through the code list."""
    birth_date: date
    region_code: str
    phone: str


class PersonFactory:
    """Person ``i`` is always the same person: name, valid and unique ID number, phone."""

    def __init__(self, seed: int, regions: list[str], vocabulary: Vocabulary) -> None:
        if not regions:
            raise ValueError("no regions to give people ID numbers in")
        self._seed = derive_seed(seed, "persons")
        self._regions = regions
        self._slots = AffinePermutation(len(regions) * BIRTH_DAYS * SEQUENCES, self._seed)
        self._surnames = vocabulary.words("surnames")
        self._given = vocabulary.words("given_chars")

    def index(self, role: str, number: int) -> int:
        return ROLES[role] * ROLE_SPACING + number % ROLE_SPACING

    def person(self, index: int) -> Person:
        slot = self._slots(index)
        slot, sequence = divmod(slot, SEQUENCES)
        region_index, birth_offset = divmod(slot, BIRTH_DAYS)
        region = self._regions[region_index]
        birth = BIRTH_FIRST + timedelta(days=birth_offset)
        id_number = make_id_number(region, birth, sequence)
        return Person(
            index=index,
            name=self.name(index),
            id_number=id_number,
            gender_code_hint="1" if sequence % 2 else "2",
            birth_date=birth,
            region_code=region,
            phone=self.phone(index),
        )

    def name(self, index: int) -> str:
        value = mix64(self._seed ^ index)
        surname = self._surnames[value % len(self._surnames)]
        value //= len(self._surnames)
        first = self._given[value % len(self._given)]
        value //= len(self._given)
        if value % 3 == 0:
            return surname + first
        value //= 3
        return surname + first + self._given[value % len(self._given)]

    def phone(self, index: int) -> str:
        value = mix64(self._seed ^ (index + 0x1234567))
        prefix = _MOBILE_PREFIXES[value % len(_MOBILE_PREFIXES)]
        return prefix + f"{(value >> 8) % 100_000_000:08d}"


class UsccFactory:
    """Unique 主体标识码 bodies per (登记管理部门, 机构类别), and the USCC built around them.

    New-style bodies start with "MA" like those SAMR has issued since 2015; the remaining six characters are
    a permutation of the entity index over the 31-character USCC alphabet, so they are unique per kind.
    """

    _SPACE = 31**6

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._permutations: dict[str, AffinePermutation] = {}

    def body(self, kind: str, index: int) -> str:
        permutation = self._permutations.get(kind)
        if permutation is None:
            permutation = AffinePermutation(self._SPACE, derive_seed(self._seed, "uscc", kind))
            self._permutations[kind] = permutation
        value = permutation(index)
        chars = []
        for _ in range(6):
            value, digit = divmod(value, 31)
            chars.append(USCC_CHARSET[digit])
        return "MA" + "".join(reversed(chars))

    def uscc(self, reg_dept: str, org_type: str, region: str, kind: str, index: int) -> str:
        return make_uscc(reg_dept, org_type, region, self.body(kind, index))

    def government_uscc(self, region: str, index: int) -> str:
        """A 机关 (登记管理部门 1, 机构类别 1) code; old-style numeric bodies, unique per agency index."""
        permutation = self._permutations.get("government")
        if permutation is None:
            permutation = AffinePermutation(10**8, derive_seed(self._seed, "uscc", "government"))
            self._permutations["government"] = permutation
        return make_uscc("1", "1", region, f"{permutation(index):08d}")
