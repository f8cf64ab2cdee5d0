"""The events' timer: reminders before each occurrence, and the next occurrence of a weekly or monthly event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from handlers.common.times import minutes_until, spoken_time
from handlers.core.context import Work
from handlers.events.cards import publish, tell_signed_up
from models.events import (
    Event,
    Occurrence,
    Recurrence,
    RsvpStatus,
    latest_occurrence,
    recurring_events,
    upcoming_occurrences,
)
from nlp.timeparse import add_months


async def sweep_events(work: Work) -> int:
    """Reminders a day and an hour before, and the next occurrence of a recurring event once the last one began."""
    session, now, timezone = work.session, work.now, work.config.timezone
    handled = 0
    for occurrence in await upcoming_occurrences(session, after=now, before=now + timedelta(days=1)):
        event = await session.get(Event, occurrence.event_id)
        if event is None:
            continue
        if not occurrence.reminded_day and occurrence.starts_at - now > timedelta(hours=1):
            occurrence.reminded_day = True
            await remind(work, event, occurrence, "event.reminder_group_day")
            handled += 1
        elif not occurrence.reminded_hour and occurrence.starts_at - now <= timedelta(hours=1):
            occurrence.reminded_day = occurrence.reminded_hour = True
            await remind(work, event, occurrence, "event.reminder_group_hour")
            handled += 1
    for event in await recurring_events(session):
        latest = await latest_occurrence(session, event_id=event.id or 0)
        if latest is not None and latest.starts_at <= now:
            slot = latest.slot_at or latest.starts_at
            await publish(work, event, next_start(event, slot, timezone))
            handled += 1
    return handled


def next_start(event: Event, previous: datetime, timezone: tzinfo) -> datetime:
    """The next occurrence of a recurring event, on the same local wall-clock time."""
    local = previous.astimezone(timezone)
    if event.recurrence == Recurrence.MONTHLY:
        return add_months(local, 1).astimezone(UTC)
    return (local + timedelta(weeks=1)).astimezone(UTC)


async def remind(work: Work, event: Event, occurrence: Occurrence, group_key: str) -> None:
    """Privately to everyone going, and one short note in each group; the day is named as of `work.now`."""
    when = spoken_time(occurrence.starts_at, now=work.now, timezone=work.config.timezone, locale=work.locale)
    private = work.t("event.reminder_private", title=event.title, time=when, place=event.place)
    minutes = minutes_until(occurrence.starts_at, now=work.now)
    note = work.t(group_key, title=event.title, time=when, minutes=minutes, place=event.place)
    await tell_signed_up(work, event, [occurrence], (RsvpStatus.GOING,), private, note)
