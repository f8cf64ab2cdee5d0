"""How times are shown to people: in the community's time zone, in the short forms chats and files use."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

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
