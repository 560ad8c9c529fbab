"""Working days in mainland China: weekends, public holidays and the adjusted working weekends (调休).

Statutory time limits are counted in working days (12315 受理 within 7 working days, 12345 办理时限, 双公示
within 7 working days), so lifecycles need a calendar, and the calendar is data: ``jianguan/data/holidays_cn.csv``
lists every holiday and every adjusted working day from the State Council notices. Years the file does not
cover fall back to plain weekends, and :attr:`WorkCalendar.covered_years` says which years are known.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

WORK_START = time(8, 30)
WORK_END = time(17, 30)


@dataclass(frozen=True)
class WorkCalendar:
    """Holidays and adjusted working days; answers "is this a working day" and working-day arithmetic."""

    holidays: frozenset[date]
    adjusted_workdays: frozenset[date]
    covered_years: frozenset[int] = field(default_factory=frozenset)
    provisional_years: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def load(cls, path: Path | None = None) -> WorkCalendar:
        """Read the CSV (``date,kind,name,status,source``); the packaged file by default."""
        if path is None:
            text = resources.files("jianguan").joinpath("data/holidays_cn.csv").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        holidays: set[date] = set()
        workdays: set[date] = set()
        years: set[int] = set()
        provisional: set[int] = set()
        for row in csv.DictReader(text.splitlines()):
            day = date.fromisoformat(row["date"])
            years.add(day.year)
            if row.get("status") == "provisional":
                provisional.add(day.year)
            if row["kind"] == "holiday":
                holidays.add(day)
            elif row["kind"] == "workday":
                workdays.add(day)
            else:
                raise ValueError(f"{row['date']}: kind must be holiday or workday, not {row['kind']!r}")
        overlap = holidays & workdays
        if overlap:
            raise ValueError(f"days listed both as holiday and workday: {sorted(overlap)}")
        return cls(frozenset(holidays), frozenset(workdays), frozenset(years), frozenset(provisional))

    def is_working_day(self, day: date) -> bool:
        if day in self.adjusted_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The date ``count`` working days after ``day`` (day itself not counted), e.g. a 7-working-day limit."""
        if count < 0:
            raise ValueError("count must not be negative")
        current = day
        remaining = count
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: 0 when ``end`` is on or before ``start``."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def clamp_to_office_hours(self, moment: datetime) -> datetime:
        """The first office-hours instant at or after ``moment`` (offices act 08:30–17:30 on working days)."""
        day = moment.date()
        clock = moment.time()
        if self.is_working_day(day) and WORK_START <= clock <= WORK_END:
            return moment
        if self.is_working_day(day) and clock < WORK_START:
            return datetime.combine(day, WORK_START)
        return datetime.combine(self.next_working_day(day + timedelta(days=1)), WORK_START)

    def add_office_minutes(self, moment: datetime, minutes: int) -> datetime:
        """``moment`` moved forward by ``minutes`` of office time (what a dispatcher's "2 hours" means)."""
        current = self.clamp_to_office_hours(moment)
        remaining = minutes
        while remaining > 0:
            end_of_day = datetime.combine(current.date(), WORK_END)
            available = int((end_of_day - current).total_seconds() // 60)
            if remaining <= available:
                return current + timedelta(minutes=remaining)
            remaining -= available
            current = datetime.combine(self.next_working_day(current.date() + timedelta(days=1)), WORK_START)
        return current
