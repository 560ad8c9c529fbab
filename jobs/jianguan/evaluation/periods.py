"""Evaluation periods: the month, quarter and year containing a logical date, and the ones before them.

A period that has not ended yet is evaluated "to date": its ``as_of`` is the logical date, so a month is
scored every night with the data known so far and the last run of the month gives its final value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

PeriodType = Literal["month", "quarter", "year"]
PERIOD_TYPES: tuple[PeriodType, ...] = ("month", "quarter", "year")


@dataclass(frozen=True, order=True)
class Period:
    """One evaluation period; ``as_of`` ≤ ``end`` is the day up to which data counts."""

    period_type: PeriodType
    start: date
    end: date
    as_of: date

    @property
    def key(self) -> str:
        """``2026-11``, ``2026-Q4``, ``2026``: sortable, one per period."""
        if self.period_type == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.period_type == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"

    @property
    def is_complete(self) -> bool:
        return self.as_of >= self.end


def _bounds(period_type: PeriodType, day: date) -> tuple[date, date]:
    if period_type == "month":
        start = day.replace(day=1)
        months = 1
    elif period_type == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        months = 3
    elif period_type == "year":
        start = date(day.year, 1, 1)
        months = 12
    else:  # pragma: no cover - Literal keeps callers honest
        raise ValueError(f"unknown period type {period_type!r}")
    month_index = start.month - 1 + months
    next_start = date(start.year + month_index // 12, month_index % 12 + 1, 1)
    return start, next_start - timedelta(days=1)


def period_containing(period_type: PeriodType, day: date, as_of: date | None = None) -> Period:
    """The period of ``period_type`` containing ``day``, evaluated as of ``min(as_of, end)``."""
    start, end = _bounds(period_type, day)
    cutoff = end if as_of is None else min(as_of, end)
    if cutoff < start:
        raise ValueError(f"as_of {as_of} is before the {period_type} starting {start}")
    return Period(period_type, start, end, cutoff)


def previous(period: Period) -> Period:
    """The period of the same type just before ``period`` (complete: as of its own end)."""
    return period_containing(period.period_type, period.start - timedelta(days=1))


def current_periods(logical_date: date) -> list[Period]:
    """The month, quarter and year containing ``logical_date``, each evaluated as of that date."""
    return [period_containing(kind, logical_date, logical_date) for kind in PERIOD_TYPES]


def evaluation_periods(logical_date: date) -> tuple[list[Period], list[Period]]:
    """(current periods, their previous periods): both are computed so each run can report change."""
    current = current_periods(logical_date)
    return current, [previous(p) for p in current]
