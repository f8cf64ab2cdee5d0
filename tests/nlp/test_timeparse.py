"""The time formats people type when scheduling notices and events."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from nlp.timeparse import TimeParseError, parse_time

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected", "repeat"),
    [
        ("明天下午3点", datetime(2026, 11, 24, 15, 0), "once"),
        ("周六上午9点", datetime(2026, 11, 28, 9, 0), "once"),
        ("每周六 9:00", datetime(2026, 11, 28, 9, 0), "weekly"),
        ("11月30日 9:00", datetime(2026, 11, 30, 9, 0), "once"),
        ("2026-11-30 09:00", datetime(2026, 11, 30, 9, 0), "once"),
        ("今晚7点半", datetime(2026, 11, 23, 19, 30), "once"),
        ("后天十点", datetime(2026, 11, 25, 10, 0), "once"),
        ("下周三 8：30", datetime(2026, 12, 2, 8, 30), "once"),
        ("12月1日下午2点30分", datetime(2026, 12, 1, 14, 30), "once"),
        ("1月5日", datetime(2027, 1, 5, 9, 0), "once"),
        ("每月1日 9:00", datetime(2026, 12, 1, 9, 0), "monthly"),
        ("每月23号下午3点", datetime(2026, 11, 23, 15, 0), "monthly"),
        ("每个月十五号 8:30", datetime(2026, 12, 15, 8, 30), "monthly"),
    ],
)
def test_common_formats(text: str, expected: datetime, repeat: str) -> None:
    parsed = parse_time(text, now=MONDAY)
    assert parsed.at == expected.replace(tzinfo=SHANGHAI) and parsed.repeat == repeat


@pytest.mark.parametrize("text", ["随便什么时候", "25点", "2月30日 9:00", "明天 晚些时候", "", "每月31日 9:00"])
def test_unreadable_times_raise(text: str) -> None:
    with pytest.raises(TimeParseError):
        parse_time(text, now=MONDAY)


def test_months_roll_over_the_year() -> None:
    december = datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI)
    assert parse_time("每月5日 9:00", now=december).at == datetime(2027, 1, 5, 9, 0, tzinfo=SHANGHAI)


SATURDAY_NOON = datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected", "repeat"),
    [
        ("周六上午9点", datetime(2026, 12, 5, 9, 0), "once"),  # this Saturday's 9:00 is gone: the next one
        ("每周六 9:00", datetime(2026, 12, 5, 9, 0), "weekly"),
        ("周六下午3点", datetime(2026, 11, 28, 15, 0), "once"),  # still to come today
        ("每月28号上午9点", datetime(2026, 12, 28, 9, 0), "monthly"),
        ("今天上午9点", datetime(2026, 11, 28, 9, 0), "once"),  # said outright: the caller refuses the past
        ("11月28日 9:00", datetime(2026, 11, 28, 9, 0), "once"),
    ],
)
def test_a_weekday_or_day_of_the_month_already_past_today_means_the_next_one(
    text: str, expected: datetime, repeat: str
) -> None:
    parsed = parse_time(text, now=SATURDAY_NOON)
    assert parsed.at == expected.replace(tzinfo=SHANGHAI) and parsed.repeat == repeat


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 30, 23, 30), datetime(2026, 12, 1, 9, 0)),  # across a month end
        (datetime(2026, 12, 31, 23, 30), datetime(2027, 1, 1, 9, 0)),  # across a year end
        (datetime(2026, 12, 1, 0, 30), datetime(2026, 12, 2, 9, 0)),  # just after midnight: the calendar's tomorrow
    ],
)
def test_tomorrow_is_the_next_local_calendar_day_at_any_hour(now: datetime, expected: datetime) -> None:
    assert parse_time("明天上午9点", now=now.replace(tzinfo=SHANGHAI)).at == expected.replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "starts", "ends"),
    [
        ("周六上午9点到11点", datetime(2026, 11, 28, 9, 0), datetime(2026, 11, 28, 11, 0)),
        ("明天下午3点到5点", datetime(2026, 11, 24, 15, 0), datetime(2026, 11, 24, 17, 0)),
        ("明天晚上7点至9点半", datetime(2026, 11, 24, 19, 0), datetime(2026, 11, 24, 21, 30)),
        ("2026-11-30 09:00-11:30", datetime(2026, 11, 30, 9, 0), datetime(2026, 11, 30, 11, 30)),
        ("每周六 9:00～10:00", datetime(2026, 11, 28, 9, 0), datetime(2026, 11, 28, 10, 0)),
        ("明天上午9点", datetime(2026, 11, 24, 9, 0), None),
    ],
)
def test_a_range_gives_the_end_on_the_same_day(text: str, starts: datetime, ends: datetime | None) -> None:
    parsed = parse_time(text, now=MONDAY)
    assert parsed.at.replace(tzinfo=None) == starts
    assert (parsed.ends.replace(tzinfo=None) if parsed.ends else None) == ends


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(TimeParseError):
        parse_time("明天下午5点到下午3点", now=MONDAY)
