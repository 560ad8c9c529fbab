"""Row-level dirt: the mistakes real source systems make, planted at known rates and written down.

Each kind applies only to rows that can carry it (an odd date needs a date column *the feed delivers*), and
both the eligible rows and the dirty rows are counted, so a test can compare the measured rate with the
configured one. Every change is returned as a :class:`DirtMark` for the ground truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jianguan.sim.config import DirtConfig
from jianguan.sim.emission import Emission, Record
from jianguan.spec.model import FeedSpec, TableSpec
from jianguan.validate import USCC_CHARSET

ROW_KINDS = (
    "name_variant",
    "uscc_missing",
    "uscc_fullwidth",
    "bad_check_char",
    "bad_region",
    "odd_date",
    "unparseable_date",
    "negative_amount",
)
"""Value-level kinds, in the order they are tried on a row."""

CORRECTABLE = frozenset({"uscc_missing", "uscc_fullwidth", "bad_check_char", "bad_region", "odd_date",
                         "unparseable_date", "negative_amount"})  # fmt: skip
ID_CHECK_CHARS = "0123456789X"


@dataclass(frozen=True)
class DirtMark:
    kind: str
    field: str | None
    original: Any
    written: Any
    detail: str = ""


def fullwidth(text: str) -> str:
    """ASCII letters and digits as their full-width forms (what a Chinese IME produces)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


class RowDirtier:
    """Plants value dirt in rows of one feed on one day."""

    def __init__(
        self,
        config: DirtConfig,
        table: TableSpec,
        feed: FeedSpec,
        rng: random.Random,
        known_regions: frozenset[str],
        variants: dict[str, str],
    ) -> None:
        self.config = config
        self.rng = rng
        self.known_regions = known_regions
        self.variants = variants
        delivered = {c.field for c in feed.columns}
        fields = [f for f in table.fields if f.name in delivered]
        self.code_fields = [f.name for f in fields if f.format in ("uscc", "id_number", "party_code")]
        self.region_fields = [f.name for f in fields if f.format == "region_code"]
        self.date_fields = [(f.name, f.type) for f in fields if f.type in ("date", "timestamp")]
        self.amount_fields = [
            f.name for f in fields if f.is_numeric and f.min is not None and f.min >= 0 and "amount" in f.name
        ]
        self.delivered = delivered
        self.eligible: dict[str, int] = {}
        self.applied: dict[str, int] = {}

    def _try(self, kind: str) -> bool:
        self.eligible[kind] = self.eligible.get(kind, 0) + 1
        rate = getattr(self.config, kind)
        if self.rng.random() < rate:
            self.applied[kind] = self.applied.get(kind, 0) + 1
            return True
        return False

    def apply(self, emission: Emission, record: Record) -> list[DirtMark]:
        """Mutate ``record`` (a copy the caller owns) and return what was planted."""
        marks: list[DirtMark] = []
        name_field, code_field = emission.party_fields
        names_party = (
            emission.party_uscc is not None
            and name_field in self.delivered
            and record.get(name_field) == emission.party_name
        )
        if names_party and self._try("name_variant"):
            variant, how = self.name_variant(str(emission.party_name))
            if variant != record[name_field]:
                marks.append(DirtMark("name_variant", name_field, record[name_field], variant, how))
                record[name_field] = variant
        code_is_party = (
            emission.party_uscc is not None
            and code_field in self.delivered
            and record.get(code_field) == emission.party_uscc
        )
        if code_is_party and self._try("uscc_missing"):
            marks.append(DirtMark("uscc_missing", code_field, record[code_field], None))
            record[code_field] = None
        elif code_is_party and self._try("uscc_fullwidth"):
            written = self._fullwidth_code(str(record[code_field]))
            marks.append(DirtMark("uscc_fullwidth", code_field, record[code_field], written))
            record[code_field] = written
        codes = [f for f in self.code_fields if _is_clean_code(record.get(f))]
        if codes and self._try("bad_check_char"):
            field_name = self.rng.choice(codes)
            original = str(record[field_name])
            written = self._wrong_check(original)
            marks.append(DirtMark("bad_check_char", field_name, original, written))
            record[field_name] = written
        regions = [f for f in self.region_fields if isinstance(record.get(f), str) and record[f]]
        if regions and self._try("bad_region"):
            field_name = self.rng.choice(regions)
            written = self._bad_region(str(record[field_name]))
            marks.append(DirtMark("bad_region", field_name, record[field_name], written))
            record[field_name] = written
        dates = [(f, t) for f, t in self.date_fields if isinstance(record.get(f), date)]
        if dates and self._try("odd_date"):
            field_name, _ = self.rng.choice(dates)
            written = self._odd_date(record[field_name])
            marks.append(DirtMark("odd_date", field_name, record[field_name], written))
            record[field_name] = written
        dates = [(f, t) for f, t in self.date_fields if isinstance(record.get(f), date)]
        if dates and self._try("unparseable_date"):
            field_name, _ = self.rng.choice(dates)
            written = self._ambiguous_date(record[field_name])
            marks.append(DirtMark("unparseable_date", field_name, record[field_name], written))
            record[field_name] = written
        amounts = [f for f in self.amount_fields if _positive(record.get(f))]
        if amounts and self._try("negative_amount"):
            field_name = self.rng.choice(amounts)
            written = -record[field_name]
            marks.append(DirtMark("negative_amount", field_name, record[field_name], written))
            record[field_name] = written
        return marks

    # -- the individual kinds ----------------------------------------------------------------------------
    def name_variant(self, name: str) -> tuple[str, str]:
        options: list[tuple[str, str]] = []
        if "（" in name:
            options.append((name.replace("（", "(").replace("）", ")"), "halfwidth_brackets"))
        if "(" in name:
            options.append((name.replace("(", "（").replace(")", "）"), "fullwidth_brackets"))
        for form, other in self.variants.items():
            if name.endswith(form):
                options.append((name[: -len(form)] + other, "legal_form"))
                break
        cut = max(2, min(len(name) - 2, len(name) // 2))
        options.append((name[:cut] + " " + name[cut:], "inner_space"))
        options.append((name + " ", "trailing_space"))
        options.append(("\u3000" + name, "ideographic_space"))
        return self.rng.choice(options)

    def _fullwidth_code(self, code: str) -> str:
        if self.rng.random() < 0.5:
            return fullwidth(code)
        cut = self.rng.randint(1, len(code) - 1)
        return code[:cut] + fullwidth(code[cut:])

    def _wrong_check(self, code: str) -> str:
        alphabet = ID_CHECK_CHARS if len(code) == 18 and code[:17].isdigit() else USCC_CHARSET
        choices = [ch for ch in alphabet if ch != code[-1].upper()]
        return code[:-1] + self.rng.choice(choices)

    def _bad_region(self, code: str) -> str:
        candidates = [code[:4] + "99", code[:2] + "9999", code[:5], code + "0", code[:2] + "0" + code[3:]]
        invalid = [c for c in candidates if c not in self.known_regions]
        return self.rng.choice(invalid) if invalid else "000000"

    def _odd_date(self, value: date) -> str:
        day = value.date() if isinstance(value, datetime) else value
        spellings = [
            f"{day.year}/{day.month}/{day.day}",
            day.strftime("%Y%m%d"),
            f"{day.year}年{day.month}月{day.day}日",
            day.strftime("%Y.%m.%d"),
        ]
        spelled = self.rng.choice(spellings)
        if isinstance(value, datetime):
            if spelled.endswith("日"):
                return f"{spelled} {value.hour}时{value.minute}分"
            if spelled.isdigit():
                return spelled + value.strftime("%H%M%S")
            return f"{spelled} {value.strftime('%H:%M:%S')}"
        return spelled

    def _ambiguous_date(self, value: date) -> str:
        day = value.date() if isinstance(value, datetime) else value
        spelled = f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}"
        if isinstance(value, datetime):
            return f"{spelled} {value.strftime('%H:%M')}"
        return spelled


def _is_clean_code(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 18 and value.isascii() and value.isalnum()


def _positive(value: Any) -> bool:
    return isinstance(value, Decimal | int | float) and not isinstance(value, bool) and value > 0


def uscc_alphabet() -> str:
    return USCC_CHARSET
