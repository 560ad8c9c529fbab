"""Working-day arithmetic for statutory deadlines, from the holiday calendar kept as data.

The calendar is the shared :class:`jianguan.calendar.WorkCalendar` over ``jianguan/data/holidays_cn.csv``
(State Council holiday notices, 调休 working weekends included); it is reused here, not copied. Spark cannot
call it row by row cheaply, so :func:`workday_sequence` turns it into a small table ``day → workday_seq``
(working days from a fixed origin up to and including ``day``): the working days in ``(a, b]`` are then
``seq(b) − seq(a)``, one join per date column.
"""

from __future__ import annotations

from datetime import date, timedelta

from jianguan.calendar import WorkCalendar


def load_calendar() -> WorkCalendar:
    """The packaged holiday calendar (the one the simulator's lifecycles use)."""
    return WorkCalendar.load()


def workday_sequence(start: date, end: date, calendar: WorkCalendar | None = None) -> list[tuple[date, int]]:
    """``(day, working days in [start, day])`` for every day from ``start`` to ``end`` inclusive."""
    if end < start:
        raise ValueError(f"calendar range ends ({end}) before it starts ({start})")
    cal = calendar or load_calendar()
    rows: list[tuple[date, int]] = []
    count = 0
    day = start
    while day <= end:
        if cal.is_working_day(day):
            count += 1
        rows.append((day, count))
        day += timedelta(days=1)
    return rows


def working_days_between(start: date, end: date, calendar: WorkCalendar | None = None) -> int:
    """Working days in ``(start, end]`` — the Python twin of the Spark join, used by tests and the report."""
    return (calendar or load_calendar()).working_days_between(start, end)
