"""Dates and timestamps as departments write them, parsed strictly.

Accepted: year-first forms only (2026-01-05, 2026-1-5, 2026/1/5, 2026.01.05, 20260105, 2026年1月5日),
full-width digits, and timestamps made of one of those plus a time (2026-01-05 08:30:00,
2026-01-05T08:30:00+08:00, 2026年1月5日 8时30分, 20260105083000). Refused as ambiguous: year-last forms
(01/05/2026 is 5 January in one system and 1 May in another) and two-digit years (05-01-26). Guessing would
silently corrupt a 检查时间 or a 处罚决定日期, so the row goes to quarantine with a message the sending clerk
can act on.

Naive times are China Standard Time; every timestamp comes back tz-aware in Asia/Shanghai. The open-ended
sentinels 9999-09-09 and 9999-12-31 (长期) are ordinary dates here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jianguan.validate.text import normalise_text

__all__ = ["SHANGHAI", "DateParseError", "parse_date", "parse_timestamp"]


def _shanghai() -> tzinfo:
    """Asia/Shanghai from the tz database; a fixed +08:00 where none is installed (no DST since 1991)."""
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:  # pragma: no cover - depends on the host's tz database
        return timezone(timedelta(hours=8), "Asia/Shanghai")


SHANGHAI: tzinfo = _shanghai()

MSG_UNRECOGNISED = "日期格式无法识别"
MSG_IMPOSSIBLE = "日期不存在"
MSG_AMBIGUOUS = "日期有歧义"
MSG_BAD_TIME = "时间格式无法识别"
MSG_IMPOSSIBLE_TIME = "时间不存在"


class DateParseError(ValueError):
    """A date or timestamp that cannot be read; ``str(error)`` is the Chinese message for the report."""


# Each date form is matched at the start of the text; what follows must be empty or a time. ASCII digits only.
_DATE_FORMS = (
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)", re.ASCII),
    re.compile(r"(?P<y>\d{4}) ?年 ?(?P<m>\d{1,2}) ?月 ?(?P<d>\d{1,2}) ?(?P<cn>[日号])?", re.ASCII),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?!\d)", re.ASCII),
)
_COMPACT_TIMESTAMP = re.compile(
    r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})", re.ASCII
)
_CLOCK_TIME = re.compile(
    r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)? ?(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII | re.IGNORECASE,
)
_CHINESE_TIME = re.compile(
    r"(?P<H>\d{1,2}) ?[时點点] ?(?:(?P<M>\d{1,2}) ?分 ?(?:(?P<S>\d{1,2}) ?秒)?)?", re.ASCII
)
# Forms refused as ambiguous rather than as unrecognised, so that the message says why.
_YEAR_LAST = re.compile(r"\d{1,2} ?[-/.] ?\d{1,2} ?[-/.] ?\d{4}(?:$|[T ])", re.ASCII | re.IGNORECASE)
_TWO_DIGIT_YEAR = re.compile(
    r"(?:\d{1,2}[-/.]\d{1,2}[-/.]\d{1,2}|\d{6}|\d{2} ?年 ?\d{1,2} ?月 ?\d{1,2} ?[日号]?)(?:$|[T ])",
    re.ASCII | re.IGNORECASE,
)


def parse_date(s: str) -> date:
    """Read a calendar date; a timestamp gives its date in Asia/Shanghai.

    A time part is validated too (``2026-01-05Tgarbage`` is refused). When a timestamp carries an offset other
    than +08:00, the date is taken after conversion to Asia/Shanghai, the province's calendar.
    """
    text = _prepare(s)
    compact = _COMPACT_TIMESTAMP.fullmatch(text)
    if compact:
        return _compact_timestamp(compact).date()
    day, rest, chinese = _leading_date(text)
    if not rest:
        return day
    return _combine(day, rest, chinese).date()


def parse_timestamp(s: str) -> datetime:
    """Read a timestamp (a date alone means midnight); the result is tz-aware, in Asia/Shanghai."""
    text = _prepare(s)
    compact = _COMPACT_TIMESTAMP.fullmatch(text)
    if compact:
        return _compact_timestamp(compact)
    day, rest, chinese = _leading_date(text)
    if not rest:
        return datetime.combine(day, time(), tzinfo=SHANGHAI)
    return _combine(day, rest, chinese)


def _prepare(s: str) -> str:
    """Half-width digits, single ASCII spaces; an empty value is an error, not a date."""
    text = normalise_text(s)
    if text is None:
        raise DateParseError(f"{MSG_UNRECOGNISED}：空值")
    return text


def _leading_date(text: str) -> tuple[date, str, bool]:
    """The date at the start of ``text``, whatever follows it, and whether it was written in Chinese."""
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            day = _make_date(match["y"], match["m"], match["d"], text)
            return day, text[match.end() :], "cn" in form.groupindex
    if _TWO_DIGIT_YEAR.match(text):
        raise DateParseError(f"{MSG_AMBIGUOUS}：{_clip(text)}（须写4位年份、月、日）")
    if _YEAR_LAST.match(text):
        raise DateParseError(f"{MSG_AMBIGUOUS}：{_clip(text)}（年份须在前，如2026-01-05）")
    raise DateParseError(f"{MSG_UNRECOGNISED}：{_clip(text)}")


def _make_date(year: str, month: str, day: str, text: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise DateParseError(f"{MSG_IMPOSSIBLE}：{_clip(text)}") from None


def _combine(day: date, rest: str, chinese_date: bool) -> datetime:
    """``day`` plus the time written in ``rest``, in Asia/Shanghai.

    The time must be separated by a space or ``T``; only after a Chinese date (2026年1月5日8时30分) may it
    follow directly, since there the 日 already ends the date.
    """
    if rest[:1] in ("T", "t", " "):
        body = rest[1:].strip()
    elif chinese_date:
        body = rest.strip()
    else:
        raise DateParseError(f"{MSG_UNRECOGNISED}：{_clip(rest)}")
    match = _CLOCK_TIME.fullmatch(body) or _CHINESE_TIME.fullmatch(body)
    if match is None:
        raise DateParseError(f"{MSG_BAD_TIME}：{_clip(body)}")
    groups = match.groupdict()
    fraction = (groups.get("f") or "").ljust(6, "0")[:6]
    moment = _make_time(day, match["H"], groups.get("M"), groups.get("S"), fraction, body)
    offset = groups.get("tz")
    if offset is None:
        return moment.replace(tzinfo=SHANGHAI)
    try:
        return moment.replace(tzinfo=_offset(offset)).astimezone(SHANGHAI)
    except (OverflowError, ValueError):
        raise DateParseError(f"{MSG_IMPOSSIBLE_TIME}：{_clip(body)}") from None


def _make_time(
    day: date, hour: str, minute: str | None, second: str | None, micro: str, raw: str
) -> datetime:
    try:
        clock = time(int(hour), int(minute or 0), int(second or 0), int(micro or 0))
    except ValueError:
        raise DateParseError(f"{MSG_IMPOSSIBLE_TIME}：{_clip(raw)}") from None
    return datetime.combine(day, clock)


def _offset(text: str) -> tzinfo:
    """A UTC offset written as Z, +08, +0800 or +08:00."""
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError(text)
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _compact_timestamp(match: re.Match[str]) -> datetime:
    day = _make_date(match["y"], match["m"], match["d"], match.string)
    return _make_time(day, match["H"], match["M"], match["S"], "", match.string).replace(tzinfo=SHANGHAI)


def _clip(text: str) -> str:
    """Quote at most 40 characters of the offending value: the message must stay short."""
    return text if len(text) <= 40 else text[:40] + "…"
