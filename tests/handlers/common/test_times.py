"""How times are named to people: relative to the moment a message goes out, in the community's time zone."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.common.times import (
    LocalStamps,
    end_of_local_day,
    local_span,
    local_stamp,
    local_time,
    minutes_until,
    spoken_time,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "when", "zh", "en"),
    [
        (local(2026, 12, 3, 0, 30), local(2026, 12, 3, 5), "今天 05:00", "today 05:00"),
        (local(2026, 12, 2, 23, 30), local(2026, 12, 3, 5), "明天 05:00", "tomorrow 05:00"),
        (local(2026, 11, 30, 23, 30), local(2026, 12, 1, 9), "明天 09:00", "tomorrow 09:00"),
        (local(2026, 12, 31, 23, 59), local(2027, 1, 1, 0, 15), "明天 00:15", "tomorrow 00:15"),
        (local(2026, 12, 2, 10), local(2026, 12, 5, 9), "周六 12月5日 09:00", "Sat 5 Dec 09:00"),
        (local(2026, 12, 30, 10), local(2027, 1, 3, 9), "周日 1月3日 09:00", "Sun 3 Jan 09:00"),
    ],
)
def test_spoken_time_names_the_local_day_from_now(now: datetime, when: datetime, zh: str, en: str) -> None:
    assert spoken_time(when, now=now, timezone=SHANGHAI, locale="zh") == zh
    assert spoken_time(when, now=now, timezone=SHANGHAI, locale="en") == en


def test_utc_dates_do_not_decide_today() -> None:
    """07:30 in Shanghai is the previous day in UTC; 09:00 the same morning is 今天 nonetheless."""
    now, when = local(2026, 12, 2, 7, 30), local(2026, 12, 2, 9)
    assert now.date() != when.date()
    assert spoken_time(when, now=now, timezone=SHANGHAI, locale="zh") == "今天 09:00"


def test_minutes_until_rounds_up_and_never_goes_negative() -> None:
    now = local(2026, 12, 2, 8, 30)
    assert minutes_until(local(2026, 12, 2, 9), now=now) == 30
    assert minutes_until(local(2026, 12, 2, 9), now=local(2026, 12, 2, 8, 30).replace(second=1)) == 30
    assert minutes_until(now, now=local(2026, 12, 2, 9)) == 0


@pytest.mark.parametrize(
    ("when", "end"),
    [
        (local(2026, 12, 5, 3, 36), datetime(2026, 12, 5, 23, 59, 59, tzinfo=SHANGHAI)),
        (local(2026, 12, 5, 23, 59), datetime(2026, 12, 5, 23, 59, 59, tzinfo=SHANGHAI)),
        (local(2026, 12, 31, 0, 0), datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)),
    ],
)
def test_deadlines_end_with_the_local_day(when: datetime, end: datetime) -> None:
    assert end_of_local_day(when, SHANGHAI) == end


@pytest.mark.parametrize(
    ("when", "zh", "en"),
    [
        (local(2026, 12, 2, 9), "12月02日 09:00", "2 Dec 09:00"),
        (local(2027, 1, 5, 18, 30), "01月05日 18:30", "5 Jan 18:30"),
    ],
)
def test_dates_are_written_for_the_reader(when: datetime, zh: str, en: str) -> None:
    assert local_time(when, SHANGHAI, "zh") == zh
    assert local_time(when, SHANGHAI, "en") == en


def test_an_event_is_named_with_its_weekday_and_end() -> None:
    starts = local(2026, 12, 5, 9)
    assert local_span(starts, local(2026, 12, 5, 11, 30), SHANGHAI, "zh") == "周六 12月05日 09:00–11:30"
    assert local_span(starts, local(2026, 12, 5, 11, 30), SHANGHAI, "en") == "Sat 5 Dec 09:00–11:30"
    assert local_span(starts, local(2026, 12, 6, 1), SHANGHAI, "en") == "Sat 5 Dec 09:00–6 Dec 01:00"
    assert local_span(starts, None, SHANGHAI, "zh") == "周六 12月05日 09:00"


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe"])
def test_local_stamps_of_seconds_are_local_stamps_across_offset_changes(zone: str) -> None:
    timezone, rng = ZoneInfo(zone), random.Random(7)
    stamps = LocalStamps(timezone)
    moments = [rng.randrange(1_600_000_000, 1_800_000_000) for _ in range(20_000)]
    changes = [1_711_846_800 + shift for shift in range(-7200, 7200, 599)]  # the last Sunday of March 2024, 01:00 UTC
    values = [*moments, *changes, None]
    expected = [local_stamp(datetime.fromtimestamp(s, UTC), timezone) if s is not None else "" for s in values]
    assert stamps.column(values) == expected
