"""Text normalisation and date parsing (jianguan.validate.text, jianguan.validate.dates)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jianguan.validate import (
    SHANGHAI,
    DateParseError,
    normalise_code,
    normalise_company_name,
    normalise_text,
    parse_date,
    parse_timestamp,
    to_halfwidth,
)


# ==========================================================================================================
# text
# ==========================================================================================================
def test_to_halfwidth_maps_full_width_ascii_and_the_ideographic_space() -> None:
    assert to_halfwidth("９１５１ＡＢｃ！～\u3000（）") == "9151ABc!~ ()"
    assert to_halfwidth("\uff01\uff5e") == "!~"  # both ends of the range


def test_to_halfwidth_leaves_cjk_alone_where_nfkc_would_not() -> None:
    text = "湖北⼀号。、「」"  # ⼀ is the Kangxi radical U+2F00, which NFKC rewrites to 一
    assert to_halfwidth(text) == text
    assert unicodedata.normalize("NFKC", text) != text


@given(st.text())
def test_to_halfwidth_keeps_the_length(text: str) -> None:
    assert len(to_halfwidth(text)) == len(text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  湖北省\u3000武汉市\t\t武昌区  ", "湖北省 武汉市 武昌区"),
        ("a\u00a0\u00a0b", "a b"),
        ("\u200b张\u200c三\u200d\ufeff", "张三"),
        ("ＡＢＣ  １２３", "ABC 123"),
        ("line1\n\nline2", "line1 line2"),
        ("", None),
        (" \u3000\u200b ", None),
        (None, None),
    ],
)
def test_normalise_text(raw: str | None, expected: str | None) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" ９１５１２０８１ ｍａ６２ｋ０２６０ｅ ", "91512081MA62K0260E"),
        ("11010519491231002x\u200b", "11010519491231002X"),
        ("MA62K026-0", "MA62K026-0"),
        ("", ""),
    ],
)
def test_normalise_code(raw: str, expected: str) -> None:
    assert normalise_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("华为技术有限公司", "华为技术有限公司"),
        ("小米科技(武汉)有限公司", "小米科技（武汉）有限公司"),
        ("小米科技（武汉）有限公司", "小米科技（武汉）有限公司"),
        ("小米科技 （ 武汉 ）有限公司。", "小米科技（武汉）有限公司"),
        ("“武汉某某贸易有限公司”", "武汉某某贸易有限公司"),
        ("武汉某某有限公司，", "武汉某某有限公司"),
        ("中国石化销售有限公司武汉分公司(加油站)", "中国石化销售有限公司武汉分公司（加油站）"),
        ("ＩＢＭ（中国）有限公司", "IBM（中国）有限公司"),
        ("  ", None),
        (None, None),
    ],
)
def test_normalise_company_name(raw: str | None, expected: str | None) -> None:
    assert normalise_company_name(raw) == expected


def test_company_name_variants_share_one_key() -> None:
    variants = [
        "武汉 某某(集团)有限公司",
        "武汉某某（集团）有限公司",
        "武汉某某（集团)有限公司。",
        "武汉某某(集团）有限公司",
    ]
    assert len({normalise_company_name(v) for v in variants}) == 1


# ==========================================================================================================
# dates
# ==========================================================================================================
JAN5 = date(2026, 1, 5)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-05",
        "2026-1-5",
        "2026/1/5",
        "2026/01/05",
        "2026.01.05",
        "2026.1.5",
        "20260105",
        "2026年1月5日",
        "2026年01月05日",
        "2026 年 1 月 5 日",
        "２０２６－０１－０５",
        "２０２６年１月５日",
        " 2026-01-05 ",
        "2026-01-05T08:30:00",
        "2026-01-05 08:30:00",
        "2026-01-05 00:00:00.0",
        "2026-01-05T08:30:00+08:00",
        "2026-01-05T08:30:00.123456Z",
        "20260105083000",
        "2026年1月5日 8时30分",
    ],
)
def test_parse_date_accepts(raw: str) -> None:
    assert parse_date(raw) == JAN5


def test_parse_date_of_a_foreign_offset_is_the_date_in_shanghai() -> None:
    assert parse_date("2026-01-04T20:00:00Z") == JAN5
    assert parse_date("2026-01-05T20:00:00-05:00") == date(2026, 1, 6)


@pytest.mark.parametrize("raw", ["9999-09-09", "9999-12-31", "99991231"])
def test_open_ended_sentinels_parse(raw: str) -> None:
    assert parse_date(raw).year == 9999
    assert parse_timestamp(raw).tzinfo is not None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("01/05/2026", "日期有歧义"),
        ("05/01/2026", "日期有歧义"),
        ("13/05/2026", "日期有歧义"),
        ("05-01-26", "日期有歧义"),
        ("26-1-5", "日期有歧义"),
        ("26/01/05", "日期有歧义"),
        ("260105", "日期有歧义"),
        ("26年1月5日", "日期有歧义"),
        ("2026-02-30", "日期不存在"),
        ("2026-13-01", "日期不存在"),
        ("2026-00-10", "日期不存在"),
        ("20260230", "日期不存在"),
        ("2026年2月29日", "日期不存在"),
        ("0000-01-01", "日期不存在"),
        ("", "日期格式无法识别"),
        ("   ", "日期格式无法识别"),
        ("yesterday", "日期格式无法识别"),
        ("2026-01", "日期格式无法识别"),
        ("2026-01/05", "日期格式无法识别"),
        ("2026-01-0508:30", "日期格式无法识别"),
        ("202601051", "日期格式无法识别"),
        ("٢٠٢٦-٠١-٠٥", "日期格式无法识别"),  # Arabic-Indic digits are not accepted
        ("2026-01-05Tnoon", "时间格式无法识别"),
        ("2026-01-05 25:00", "时间不存在"),
    ],
)
def test_parse_date_refuses_with_a_chinese_message(raw: str, message: str) -> None:
    with pytest.raises(DateParseError) as error:
        parse_date(raw)
    assert str(error.value).startswith(message)
    assert isinstance(error.value, ValueError)


def test_a_long_bad_value_is_clipped_in_the_message() -> None:
    with pytest.raises(DateParseError) as error:
        parse_date("x" * 500)
    assert len(str(error.value)) < 60


# -- timestamps ---------------------------------------------------------------------------------------------
AT_0830 = datetime(2026, 1, 5, 8, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-05 08:30:00",
        "2026-01-05 08:30",
        "2026/1/5 8:30",
        "2026-01-05T08:30:00",
        "2026-01-05T08:30:00+08:00",
        "2026-01-05T08:30:00+0800",
        "2026-01-05T00:30:00Z",
        "2026-01-04T19:30:00-05:00",
        "20260105083000",
        "2026年1月5日 8时30分",
        "2026年1月5日8时30分",
        "2026年1月5日8点30分0秒",
        "２０２６－０１－０５　０８：３０",
    ],
)
def test_parse_timestamp_accepts(raw: str) -> None:
    parsed = parse_timestamp(raw)
    assert parsed == AT_0830
    assert parsed.utcoffset() == timedelta(hours=8)


def test_date_only_timestamp_is_midnight_in_shanghai() -> None:
    assert parse_timestamp("2026-01-05") == datetime(2026, 1, 5, tzinfo=SHANGHAI)
    assert parse_timestamp("2026年1月5日") == datetime(2026, 1, 5, tzinfo=SHANGHAI)


def test_fractional_seconds_are_kept_to_the_microsecond() -> None:
    assert parse_timestamp("2026-01-05 08:30:00.1234567").microsecond == 123456


def test_timestamps_are_in_the_shanghai_zone() -> None:
    parsed = parse_timestamp("2026-07-01T00:00:00Z")
    assert parsed.tzinfo is SHANGHAI
    assert parsed.hour == 8


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2026-01-05 24:00", "时间不存在"),
        ("2026-01-05 08:61", "时间不存在"),
        ("20260105250000", "时间不存在"),
        ("2026-01-05 8", "时间格式无法识别"),
        ("2026-01-05 08:30 tomorrow", "时间格式无法识别"),
        ("01/05/2026 08:30", "日期有歧义"),
        ("2026-01-05T08:30:00+15:00", "时间不存在"),
    ],
)
def test_parse_timestamp_refuses(raw: str, message: str) -> None:
    with pytest.raises(DateParseError) as error:
        parse_timestamp(raw)
    assert str(error.value).startswith(message)


# -- round trips --------------------------------------------------------------------------------------------
def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


DATE_FORMATS: dict[str, Callable[[date], str]] = {
    "iso": lambda d: d.isoformat(),
    "dash_unpadded": lambda d: f"{d.year}-{d.month}-{d.day}",
    "slash": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "slash_unpadded": lambda d: f"{d.year}/{d.month}/{d.day}",
    "dots": lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    "compact": lambda d: f"{d.year}{d.month:02d}{d.day:02d}",
    "chinese": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "chinese_padded": lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
    "iso_timestamp": lambda d: f"{d.isoformat()}T23:59:59",
    "space_timestamp": lambda d: f"{d.isoformat()} 00:00:00",
    "offset_timestamp": lambda d: f"{d.isoformat()}T12:00:00+08:00",
    "compact_timestamp": lambda d: f"{d.year}{d.month:02d}{d.day:02d}235959",
    "chinese_timestamp": lambda d: f"{d.year}年{d.month}月{d.day}日 8时30分",
    "fullwidth_iso": lambda d: _fullwidth(d.isoformat()),
    "fullwidth_chinese": lambda d: _fullwidth(f"{d.year}") + f"年{d.month}月{d.day}日",
}
DATES_1900_2100 = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@settings(max_examples=400)
@given(day=DATES_1900_2100, form=st.sampled_from(sorted(DATE_FORMATS)))
def test_parse_date_round_trips_in_every_accepted_format(day: date, form: str) -> None:
    assert parse_date(DATE_FORMATS[form](day)) == day


@pytest.mark.parametrize("form", sorted(DATE_FORMATS))
def test_every_format_round_trips_at_the_edges(form: str) -> None:
    for day in [
        date(1900, 1, 1),
        date(1900, 2, 28),
        date(2000, 2, 29),
        date(2100, 12, 31),
        date(2024, 12, 31),
    ]:
        assert parse_date(DATE_FORMATS[form](day)) == day


@settings(max_examples=300)
@given(
    moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31, 23, 59, 59)),
    separator=st.sampled_from(["T", " "]),
)
def test_parse_timestamp_round_trips_iso_text(moment: datetime, separator: str) -> None:
    moment = moment.replace(microsecond=0)
    parsed = parse_timestamp(moment.isoformat(sep=separator))
    assert parsed.replace(tzinfo=None) == moment
    assert parsed.tzinfo is SHANGHAI


@settings(max_examples=200)
@given(
    moment=st.datetimes(min_value=datetime(1992, 1, 1), max_value=datetime(2100, 1, 1)),
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_parse_timestamp_keeps_the_instant_of_offset_text(moment: datetime, offset_minutes: int) -> None:
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    parsed = parse_timestamp(aware.isoformat())
    assert parsed == aware
    assert parsed.utcoffset() == timedelta(hours=8)  # no DST in China since 1991


def test_midnight_and_noon_are_distinct() -> None:
    assert parse_timestamp("2026-01-05 12:00").time() == time(12, 0)
    assert parse_timestamp("2026-01-05 00:00").time() == time(0, 0)
