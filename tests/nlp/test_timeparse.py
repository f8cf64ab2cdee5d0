"""The time formats people type when scheduling notices and events."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from nlp.timeparse import TimeParseError, parse_time

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected", "weekly"),
    [
        ("明天下午3点", datetime(2026, 11, 24, 15, 0), False),
        ("周六上午9点", datetime(2026, 11, 28, 9, 0), False),
        ("每周六 9:00", datetime(2026, 11, 28, 9, 0), True),
        ("11月30日 9:00", datetime(2026, 11, 30, 9, 0), False),
        ("2026-11-30 09:00", datetime(2026, 11, 30, 9, 0), False),
        ("今晚7点半", datetime(2026, 11, 23, 19, 30), False),
        ("后天十点", datetime(2026, 11, 25, 10, 0), False),
        ("下周三 8：30", datetime(2026, 12, 2, 8, 30), False),
        ("12月1日下午2点30分", datetime(2026, 12, 1, 14, 30), False),
        ("1月5日", datetime(2027, 1, 5, 9, 0), False),
    ],
)
def test_common_formats(text: str, expected: datetime, weekly: bool) -> None:
    parsed = parse_time(text, now=MONDAY)
    assert parsed.at == expected.replace(tzinfo=SHANGHAI) and parsed.weekly is weekly


@pytest.mark.parametrize("text", ["随便什么时候", "25点", "2月30日 9:00", "明天 晚些时候", ""])
def test_unreadable_times_raise(text: str) -> None:
    with pytest.raises(TimeParseError):
        parse_time(text, now=MONDAY)
