"""报名 on an occurrence card, with capacity and a waiting list, and 签到 with the occurrence's short code."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.common.numbers import parse_id, read_number
from handlers.common.reach import home_group
from handlers.common.times import spoken_time
from handlers.core.context import Context
from handlers.core.hooks import Attended
from handlers.core.types import IncomingCallback, IncomingMessage
from handlers.events.cards import refresh_cards
from models.base import AsyncSession
from models.events import Event, Occurrence, Rsvp, RsvpStatus, occurrence_by_code, rsvp_of, rsvps_of

CHECKIN_WINDOW = timedelta(hours=3)
CHECKIN_LOOKAHEAD = timedelta(days=60)
"""How far ahead a code is still recognised, to say when its check-in opens rather than that it is unknown."""


async def on_rsvp(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """ev:go / ev:no on an occurrence card."""
    occurrence_id = parse_id(parts[1]) if len(parts) == 2 else None
    occurrence = await ctx.session.get(Occurrence, occurrence_id) if occurrence_id else None
    event = await ctx.session.get(Event, occurrence.event_id) if occurrence else None
    if occurrence is None or event is None:
        ctx.answer(ctx.t("button.stale"))
        return
    if occurrence.cancelled or occurrence.starts_at <= ctx.now:
        ctx.answer(ctx.t("event.over"), alert=True)
        return
    rsvps = await rsvps_of(ctx.session, occurrence_id=occurrence.id or 0)  # read once: the press and the card
    if parts[0] == "go":
        await sign_up(ctx, event, occurrence, rsvps)
    else:
        await cancel_sign_up(ctx, event, occurrence, rsvps)
    await refresh_cards(ctx, event, occurrence, rsvps)


def rsvp_in(rsvps: list[Rsvp], person_id: int) -> Rsvp | None:
    return next((r for r in rsvps if r.person_id == person_id), None)


async def sign_up(ctx: Context, event: Event, occurrence: Occurrence, rsvps: list[Rsvp]) -> None:
    """报名: going while there is a place, else on the waiting list; a new sign-up joins `rsvps`."""
    person_id = ctx.person.id or 0
    mine = rsvp_in(rsvps, person_id)
    if mine is not None and mine.status != RsvpStatus.CANCELLED:
        ctx.answer(ctx.t("event.already"))
        return
    going = sum(r.status == RsvpStatus.GOING for r in rsvps)
    status = RsvpStatus.GOING if event.capacity is None or going < event.capacity else RsvpStatus.WAITLIST
    if mine is None:
        mine = Rsvp(occurrence_id=occurrence.id or 0, person_id=person_id)
        ctx.session.add(mine)
        rsvps.append(mine)
    mine.status, mine.updated_at = status, ctx.now
    await ctx.session.flush()
    if status == RsvpStatus.GOING:
        ctx.answer(ctx.t("event.going"))
    else:
        waiting = await waiting_list(ctx.session, occurrence)
        ctx.answer(ctx.t("event.waitlisted", position=len(waiting)), alert=True)


async def cancel_sign_up(ctx: Context, event: Event, occurrence: Occurrence, rsvps: list[Rsvp]) -> None:
    mine = rsvp_in(rsvps, ctx.person.id or 0)
    if mine is None or mine.status == RsvpStatus.CANCELLED:
        ctx.answer(ctx.t("event.not_signed"))
        return
    freed = mine.status == RsvpStatus.GOING
    mine.status, mine.updated_at = RsvpStatus.CANCELLED, ctx.now
    await ctx.session.flush()
    ctx.answer(ctx.t("event.cancelled_rsvp"))
    if freed:
        await promote_first_waiting(ctx, event, occurrence)


async def waiting_list(session: AsyncSession, occurrence: Occurrence) -> list[Rsvp]:
    """The waiting list in the order people joined it."""
    return [r for r in await rsvps_of(session, occurrence_id=occurrence.id or 0) if r.status == RsvpStatus.WAITLIST]


async def promote_first_waiting(ctx: Context, event: Event, occurrence: Occurrence) -> None:
    """A place freed up: the first on the waiting list goes, and is told privately."""
    waiting = await waiting_list(ctx.session, occurrence)
    if not waiting:
        return
    first = waiting[0]
    first.status = RsvpStatus.GOING
    when = spoken_time(occurrence.starts_at, now=ctx.now, timezone=ctx.config.timezone, locale=ctx.locale)
    text = ctx.t("event.promoted", title=event.title, time=when)
    chat = ctx.chat if ctx.in_group else await home_group(ctx, first.person_id)
    await ctx.tell(first.person_id, text, fallback=await ctx.knock(chat, first.person_id))


# ---- check-in ------------------------------------------------------------------------------------------------


async def record_attendance(session: AsyncSession, *, occurrence: Occurrence, person_id: int, now: datetime) -> bool:
    """Mark a person present; True only the first time (what a points award keys on: one per person and occurrence)."""
    rsvp = await rsvp_of(session, occurrence_id=occurrence.id or 0, person_id=person_id)
    if rsvp is None:
        rsvp = Rsvp(occurrence_id=occurrence.id or 0, person_id=person_id, status=RsvpStatus.GOING, updated_at=now)
        session.add(rsvp)
    if rsvp.checked_in_at is not None:
        return False
    rsvp.status, rsvp.checked_in_at = RsvpStatus.GOING, now
    await session.flush()
    return True


async def has_a_place(session: AsyncSession, event: Event, occurrence: Occurrence, person_id: int) -> bool:
    """Who may check in: someone signed up (going), or anyone while a place is free (they take it).
    A cancelled or waiting person with the event full has no place, so the card, the list and the file agree."""
    rsvps = await rsvps_of(session, occurrence_id=occurrence.id or 0)
    mine = next((r for r in rsvps if r.person_id == person_id), None)
    if mine is not None and (mine.status == RsvpStatus.GOING or mine.checked_in_at is not None):
        return True
    going = sum(r.status == RsvpStatus.GOING for r in rsvps)
    return event.capacity is None or going < event.capacity


async def check_in(ctx: Context, message: IncomingMessage) -> None:
    """签到 CODE: check in to an occurrence starting within three hours of now, if one has a place."""
    code = read_number(message.args)
    if not isinstance(code, int):
        ctx.reply(ctx.t("event.checkin_usage"), quote=ctx.in_group)
        return
    occurrence = await occurrence_by_code(
        ctx.session, code=str(code), after=ctx.now - CHECKIN_WINDOW, before=ctx.now + CHECKIN_LOOKAHEAD
    )
    event = await ctx.session.get(Event, occurrence.event_id) if occurrence else None
    if occurrence is None or event is None:
        ctx.reply(ctx.t("event.checkin_unknown"), quote=ctx.in_group)
        return
    if occurrence.starts_at > ctx.now + CHECKIN_WINDOW:
        opens = spoken_time(
            occurrence.starts_at - CHECKIN_WINDOW, now=ctx.now, timezone=ctx.config.timezone, locale=ctx.locale
        )
        ctx.reply(ctx.t("event.checkin_early", title=event.title, opens=opens), quote=ctx.in_group)
        return
    person_id = ctx.person.id or 0
    if not await has_a_place(ctx.session, event, occurrence, person_id):
        ctx.reply(ctx.t("event.checkin_full", title=event.title), quote=ctx.in_group)
        return
    first = await record_attendance(ctx.session, occurrence=occurrence, person_id=person_id, now=ctx.now)
    ctx.reply(ctx.t("event.checked_in" if first else "event.checkin_already", title=event.title), quote=ctx.in_group)
    if first:
        await ctx.emit(Attended(event, occurrence, person_id))
        await refresh_cards(ctx, event, occurrence)
