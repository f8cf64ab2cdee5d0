"""How times are shown to people: in the community's time zone, in the short forms chats and files use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from handlers.core.texts import translate


def local_time(when: datetime, timezone: tzinfo, locale: str) -> str:
    """11月30日 09:00 / 30 Nov 09:00 — in messages and cards."""
    local = when.astimezone(timezone)
    month = translate(locale, "time.date_months").split(",")[local.month - 1]
    return translate(locale, "time.date", month=month, day=local.day, time=clock(local))


def local_span(starts: datetime, ends: datetime | None, timezone: tzinfo, locale: str) -> str:
    """周四 12月03日 09:00–11:00 / Thu 3 Dec 09:00–11:00 — when an event happens, its weekday and end included
    (an end on another day names that day too)."""
    local = starts.astimezone(timezone)
    day = translate(
        locale,
        "time.weekday_date",
        weekday=weekday_name(locale, local.weekday()),
        date=local_time(starts, timezone, locale),
    )
    if ends is None:
        return day
    end = ends.astimezone(timezone)
    until = clock(end) if end.date() == local.date() else local_time(ends, timezone, locale)
    return translate(locale, "time.span", start=day, end=until)


def clock(local: datetime) -> str:
    return local.strftime("%H:%M")


def weekday_name(locale: str, weekday: int) -> str:
    return translate(locale, "time.weekdays").split(",")[weekday]


def month_name(locale: str, month: int) -> str:
    return translate(locale, "time.months").split(",")[month - 1]


def local_stamp(when: datetime, timezone: tzinfo) -> str:
    """2026-11-30 09:00 — in exported files."""
    return when.astimezone(timezone).strftime("%Y-%m-%d %H:%M")


DAY_SECONDS = 86_400
CLOCK_MINUTES = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60))
VARIES = None
"""A UTC day during which the time zone's offset changes: its stamps are worked out one by one."""


class LocalStamps:
    """Seconds since 1970 (UTC) → 2026-11-30 09:00 in ``timezone``, exactly what ``local_stamp`` shows, for the tens
    of thousands of times of an export: the offset is looked up once per UTC day (only a day on which it changes
    takes the datetime way), the date once per local day, the clock from a table of the day's minutes."""

    def __init__(self, timezone: tzinfo) -> None:
        self._timezone = timezone
        self._offsets: dict[int, int | None] = {}
        self._dates: dict[int, str] = {}

    def column(self, values: Iterable[int | None]) -> list[str]:
        """The stamp of each of ``values``; "" for None. A column at a time, in one loop (a month's export has
        fifty thousand): a call a value cost a third more."""
        offsets, dates, shown = self._offsets, self._dates, []
        for seconds in values:
            if seconds is None:
                shown.append("")
                continue
            day = seconds // DAY_SECONDS
            offset = offsets[day] if day in offsets else self._offset_through(day)
            if offset is VARIES:
                shown.append(local_stamp(datetime.fromtimestamp(seconds, UTC), self._timezone))
                continue
            local = seconds + offset
            local_day = local // DAY_SECONDS
            when = dates.get(local_day)
            if when is None:
                when = dates[local_day] = date.fromordinal(local_day + EPOCH_ORDINAL).isoformat()
            shown.append(f"{when} {CLOCK_MINUTES[local % DAY_SECONDS // 60]}")
        return shown

    def _offset_through(self, day: int) -> int | None:
        """The offset in seconds throughout UTC day ``day``, or VARIES when it is not the same at both ends."""
        first, last = (
            datetime.fromtimestamp(day * DAY_SECONDS + s, UTC).astimezone(self._timezone) for s in (0, DAY_SECONDS - 1)
        )
        offsets = {int(moment.utcoffset().total_seconds()) for moment in (first, last)}  # type: ignore[union-attr]
        offset = offsets.pop() if len(offsets) == 1 else VARIES
        self._offsets[day] = offset
        return offset


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def spoken_time(when: datetime, *, now: datetime, timezone: tzinfo, locale: str) -> str:
    """今天 05:00 / 明天 09:00 / 周六 12月5日 09:00 — a time named from the moment the message goes out, the way
    a neighbour would say it (reminders are sent at any hour, so 'tomorrow' must be worked out, not assumed)."""
    local, today = when.astimezone(timezone), now.astimezone(timezone).date()
    days = (local.date() - today).days
    if days == 0:
        return translate(locale, "time.today", time=clock(local))
    if days == 1:
        return translate(locale, "time.tomorrow", time=clock(local))
    weekday, month = weekday_name(locale, local.weekday()), month_name(locale, local.month)
    return translate(locale, "time.day", weekday=weekday, month=month, day=local.day, time=clock(local))


def minutes_until(when: datetime, *, now: datetime) -> int:
    """Whole minutes from now to `when`, rounded up (a reminder never promises more time than is left)."""
    return max(0, -(-int((when - now).total_seconds()) // 60))


def end_of_local_day(when: datetime, timezone: tzinfo) -> datetime:
    """23:59 local time on the day `when` falls: deadlines people are given end with a day, not at 03:36."""
    local = when.astimezone(timezone)
    return datetime.combine(local.date(), time(23, 59), tzinfo=timezone) + timedelta(seconds=59)
