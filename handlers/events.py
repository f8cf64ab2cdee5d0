"""活动: staff publish an event (once or weekly) to groups; residents 报名 with capacity and waiting list,
get reminders, and check in with a short code (the passbook's attendance hook)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta, tzinfo

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context
from handlers.notify import private_message
from handlers.passbook.earning import award_attendance
from handlers.router import Command, Router
from handlers.scopes import PUBLISHERS, chats_in_scope, future_time, scope_keyboard, scope_options
from handlers.texts import translate
from handlers.times import local_time, minutes_until, spoken_time
from handlers.types import Button, Edit, Effects, IncomingCallback, IncomingMessage, Keyboard, Send
from models.events import (
    Event,
    EventStep,
    Occurrence,
    Recurrence,
    Rsvp,
    RsvpStatus,
    event_in_wizard,
    latest_occurrence,
    occurrence_by_code,
    recurring_events,
    rsvp_of,
    rsvps_of,
    upcoming_occurrences,
)
from nlp.timeparse import add_months

CHECKIN_WINDOW = timedelta(hours=3)
NO_LIMIT = ("不限", "无限", "不限制", "无", "0")
MAX_EVENT_POINTS = 100
FIELD_LIMITS = {"title": 120, "description": 1000, "place": 200}
"""Characters each text of an event holds (the columns' lengths); longer answers are asked again, not cut."""


# ---- composing ------------------------------------------------------------------------------------------------


async def new_event(ctx: Context, message: IncomingMessage) -> None:
    """Start the event wizard: in private, for staff and grid workers."""
    if ctx.in_group:
        ctx.reply(ctx.t("event.private_only"), quote=True)
        return
    if not await scope_options(ctx):
        ctx.reply(ctx.t("event.refused"))
        return
    ctx.session.add(Event(author_id=ctx.person.id or 0, created_at=ctx.now))
    ctx.reply(ctx.t("event.ask_title"))


async def on_private_text(ctx: Context, message: IncomingMessage) -> bool:
    """The author's next private messages answer the wizard: title, time, place, capacity."""
    if ctx.in_group:
        return False
    event = await event_in_wizard(ctx.session, author_id=ctx.person.id or 0)
    if event is None:
        return False
    text = message.text.strip()
    if event.step == EventStep.TITLE and text:
        title, _, description = text.partition("\n")
        if not (too_long(ctx, "title", title) or too_long(ctx, "description", description.strip())):
            event.title, event.description, event.step = title, description.strip(), EventStep.TIME
            ctx.reply(ctx.t("event.ask_time"))
    elif event.step == EventStep.TIME:
        await take_time(ctx, event, text)
    elif event.step == EventStep.PLACE and text and not too_long(ctx, "place", text):
        event.place, event.step = text, EventStep.CAPACITY
        ctx.reply(ctx.t("event.ask_capacity"))
    elif event.step == EventStep.CAPACITY:
        take_capacity(ctx, event, text)
    elif event.step == EventStep.POINTS:
        await take_points(ctx, event, text)
    return True


def too_long(ctx: Context, field: str, text: str) -> bool:
    """Tell the author when ``text`` is longer than the event's ``field`` holds; the wizard then waits for another."""
    limit = FIELD_LIMITS[field]
    if len(text) <= limit:
        return False
    ctx.reply(ctx.t("event.too_long", field=ctx.t(f"event.field_{field}"), limit=limit, count=len(text)))
    return True


async def take_time(ctx: Context, event: Event, text: str) -> None:
    parsed = future_time(ctx, text)
    if parsed is None:
        return
    event.first_start, event.recurrence, event.step = parsed.at.astimezone(UTC), parsed.repeat, EventStep.PLACE
    ctx.reply(ctx.t("event.ask_place"))


def take_capacity(ctx: Context, event: Event, text: str) -> None:
    if text in NO_LIMIT:
        event.capacity = None
    elif text.isdigit() and int(text) > 0:
        event.capacity = int(text)
    else:
        ctx.reply(ctx.t("event.bad_capacity"))
        return
    event.step = EventStep.POINTS
    ctx.reply(ctx.t("event.ask_points", suggested=ctx.config.passbook.event_points))


async def take_points(ctx: Context, event: Event, text: str) -> None:
    """爱心存折 points each person earns by checking in (0: none)."""
    if not (text.isdigit() and int(text) <= MAX_EVENT_POINTS):
        ctx.reply(ctx.t("event.bad_points"))
        return
    event.points, event.step = int(text), EventStep.SCOPE
    await ctx.session.flush()
    ctx.reply(ctx.t("event.ask_scope"), buttons=scope_keyboard(ctx, "evs", event.id or 0, [], await scope_options(ctx)))


async def on_scope_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """evs:<t|n|x|pub>:<event>[:<place>] — only the author may press."""
    event = await ctx.session.get(Event, int(parts[1])) if len(parts) >= 2 and parts[1].isdigit() else None
    if event is None or event.author_id != ctx.person.id or event.step not in (EventStep.SCOPE, EventStep.PREVIEW):
        ctx.answer(ctx.t("button.stale"))
        return
    action = parts[0]
    options = await scope_options(ctx)
    if action == "t" and len(parts) == 3 and int(parts[2]) in {p.id for p in options}:
        event.scope_ids = sorted(set(event.scope_ids) ^ {int(parts[2])})
        ctx.edit_pressed(
            ctx.t("event.ask_scope"), buttons=scope_keyboard(ctx, "evs", event.id or 0, event.scope_ids, options)
        )
    elif action == "n" and event.scope_ids:
        event.step = EventStep.PREVIEW
        await show_preview(ctx, event)
    elif action == "pub" and event.step == EventStep.PREVIEW:
        occurrence = await publish(
            ctx.session, ctx.effects, event, event.first_start or ctx.now, ctx.locale, ctx.config.timezone
        )
        count = len(occurrence.card_refs)
        ctx.edit_pressed(ctx.t("event.published", count=count, code=occurrence.checkin_code))
    elif action == "x":
        event.step = EventStep.CANCELLED
        ctx.edit_pressed(ctx.t("announce.cancelled"))
    else:
        ctx.answer(ctx.t("announce.need_scope"), alert=True)
        return
    ctx.answer()


async def show_preview(ctx: Context, event: Event) -> None:
    """The card as it will look (check-in points included), then 发布 / 取消."""
    count = len(await chats_in_scope(ctx.session, event.scope_ids))
    preview = ctx.t("event.preview", card=card_text(ctx.locale, event, None, [], ctx.config.timezone), count=count)
    buttons = (
        (
            Button(ctx.t("button.publish"), f"evs:pub:{event.id}"),
            Button(ctx.t("button.cancel_send"), f"evs:x:{event.id}"),
        ),
    )
    ctx.edit_pressed(preview, buttons=buttons)


# ---- cards and sign-ups ---------------------------------------------------------------------------------------


def card_text(locale: str, event: Event, occurrence: Occurrence | None, rsvps: list[Rsvp], timezone: tzinfo) -> str:
    starts = occurrence.starts_at if occurrence else event.first_start
    going = sum(r.status == RsvpStatus.GOING for r in rsvps)
    waiting = sum(r.status == RsvpStatus.WAITLIST for r in rsvps)
    return translate(
        locale,
        "event.card",
        title=event.title,
        time=local_time(starts, timezone) if starts else "?",
        repeat=translate(locale, f"event.repeat_{event.recurrence}"),
        place=event.place,
        description=f"\n{event.description}" if event.description else "",
        going=going,
        capacity=translate(locale, "event.capacity", capacity=event.capacity) if event.capacity else "",
        waitlist=translate(locale, "event.waitlist", count=waiting) if waiting else "",
        points=translate(locale, "event.points", points=event.points) if event.points else "",
    )


def rsvp_buttons(locale: str, occurrence: Occurrence) -> Keyboard:
    return (
        (
            Button(translate(locale, "button.rsvp"), f"ev:go:{occurrence.id}"),
            Button(translate(locale, "button.rsvp_cancel"), f"ev:no:{occurrence.id}"),
        ),
    )


async def publish(
    session: AsyncSession, effects: Effects, event: Event, starts_at: datetime, locale: str, timezone: tzinfo
) -> Occurrence:
    """Create an occurrence and post its card, with 报名 buttons, in every group in scope."""
    occurrence = Occurrence(
        event_id=event.id or 0, starts_at=starts_at, checkin_code=f"{secrets.randbelow(9000) + 1000}"
    )
    session.add(occurrence)
    await session.flush()
    event.step = EventStep.PUBLISHED
    text = card_text(locale, event, occurrence, [], timezone)
    refs = []
    for chat in await chats_in_scope(session, event.scope_ids):
        ref = f"occ:{occurrence.id}:g:{chat.id}"
        effects.add(
            Send(
                platform=chat.platform,
                chat_id=chat.platform_chat_id,
                text=text,
                buttons=rsvp_buttons(locale, occurrence),
                ref_key=ref,
            )
        )
        refs.append(ref)
    occurrence.card_refs = refs
    return occurrence


async def refresh_cards(ctx: Context, event: Event, occurrence: Occurrence) -> None:
    """Edit every card of the occurrence to the live count (the outbox keeps only the newest queued edit)."""
    rsvps = await rsvps_of(ctx.session, occurrence_id=occurrence.id or 0)
    text = card_text(ctx.locale, event, occurrence, rsvps, ctx.config.timezone)
    for ref in occurrence.card_refs:
        ctx.effects.add(Edit(text=text, buttons=rsvp_buttons(ctx.locale, occurrence), ref_key=ref))


async def on_rsvp(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """ev:go / ev:no on an occurrence card."""
    occurrence = await ctx.session.get(Occurrence, int(parts[1])) if len(parts) == 2 and parts[1].isdigit() else None
    event = await ctx.session.get(Event, occurrence.event_id) if occurrence else None
    if occurrence is None or event is None:
        ctx.answer(ctx.t("button.stale"))
        return
    if occurrence.cancelled or occurrence.starts_at <= ctx.now:
        ctx.answer(ctx.t("event.over"), alert=True)
        return
    if parts[0] == "go":
        await sign_up(ctx, event, occurrence)
    else:
        await cancel_sign_up(ctx, event, occurrence)
    await refresh_cards(ctx, event, occurrence)


async def sign_up(ctx: Context, event: Event, occurrence: Occurrence) -> None:
    person_id = ctx.person.id or 0
    mine = await rsvp_of(ctx.session, occurrence_id=occurrence.id or 0, person_id=person_id)
    if mine is not None and mine.status != RsvpStatus.CANCELLED:
        ctx.answer(ctx.t("event.already"))
        return
    rsvps = await rsvps_of(ctx.session, occurrence_id=occurrence.id or 0)
    going = sum(r.status == RsvpStatus.GOING for r in rsvps)
    status = RsvpStatus.GOING if event.capacity is None or going < event.capacity else RsvpStatus.WAITLIST
    if mine is None:
        mine = Rsvp(occurrence_id=occurrence.id or 0, person_id=person_id)
        ctx.session.add(mine)
    mine.status, mine.updated_at = status, ctx.now
    await ctx.session.flush()
    if status == RsvpStatus.GOING:
        ctx.answer(ctx.t("event.going"))
    else:
        waiting = await waiting_list(ctx.session, occurrence)
        ctx.answer(ctx.t("event.waitlisted", position=len(waiting)), alert=True)


async def cancel_sign_up(ctx: Context, event: Event, occurrence: Occurrence) -> None:
    mine = await rsvp_of(ctx.session, occurrence_id=occurrence.id or 0, person_id=ctx.person.id or 0)
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
    message = await private_message(ctx.session, person_id=first.person_id, text=text)
    if message is not None:
        ctx.effects.add(message)


# ---- check-in (the passbook's attendance hook) ---------------------------------------------------------------


async def record_attendance(session: AsyncSession, *, occurrence: Occurrence, person_id: int, now: datetime) -> bool:
    """Mark a person present; True only the first time (what a points award keys on: one per person and occurrence)."""
    rsvp = await rsvp_of(session, occurrence_id=occurrence.id or 0, person_id=person_id)
    if rsvp is None:
        rsvp = Rsvp(occurrence_id=occurrence.id or 0, person_id=person_id, status=RsvpStatus.GOING, updated_at=now)
        session.add(rsvp)
    if rsvp.checked_in_at is not None:
        return False
    rsvp.checked_in_at = now
    await session.flush()
    return True


async def check_in(ctx: Context, message: IncomingMessage) -> None:
    """签到 CODE: check in to an occurrence starting within three hours of now."""
    code = message.args.strip()
    if not code.isdigit():
        ctx.reply(ctx.t("event.checkin_usage"), quote=ctx.in_group)
        return
    occurrence = await occurrence_by_code(
        ctx.session, code=code, after=ctx.now - CHECKIN_WINDOW, before=ctx.now + CHECKIN_WINDOW
    )
    event = await ctx.session.get(Event, occurrence.event_id) if occurrence else None
    if occurrence is None or event is None:
        ctx.reply(ctx.t("event.checkin_unknown"), quote=ctx.in_group)
        return
    first = await record_attendance(ctx.session, occurrence=occurrence, person_id=ctx.person.id or 0, now=ctx.now)
    ctx.reply(ctx.t("event.checked_in" if first else "event.checkin_already", title=event.title), quote=ctx.in_group)
    if first:
        await award_attendance(ctx, event, occurrence, ctx.person.id or 0)


# ---- timers: reminders and the next weekly occurrence -------------------------------------------------------


async def sweep_events(session: AsyncSession, effects: Effects, now: datetime, locale: str, timezone: tzinfo) -> int:
    handled = 0
    for occurrence in await upcoming_occurrences(session, after=now, before=now + timedelta(days=1)):
        event = await session.get(Event, occurrence.event_id)
        if event is None:
            continue
        if not occurrence.reminded_day and occurrence.starts_at - now > timedelta(hours=1):
            occurrence.reminded_day = True
            await remind(session, effects, event, occurrence, now, locale, timezone, "event.reminder_group_day")
            handled += 1
        elif not occurrence.reminded_hour and occurrence.starts_at - now <= timedelta(hours=1):
            occurrence.reminded_day = occurrence.reminded_hour = True
            await remind(session, effects, event, occurrence, now, locale, timezone, "event.reminder_group_hour")
            handled += 1
    for event in await recurring_events(session):
        latest = await latest_occurrence(session, event_id=event.id or 0)
        if latest is not None and latest.starts_at <= now:
            slot = latest.slot_at or latest.starts_at
            await publish(session, effects, event, next_start(event, slot, timezone), locale, timezone)
            handled += 1
    return handled


def next_start(event: Event, previous: datetime, timezone: tzinfo) -> datetime:
    """The next occurrence of a recurring event, on the same local wall-clock time."""
    local = previous.astimezone(timezone)
    if event.recurrence == Recurrence.MONTHLY:
        return add_months(local, 1).astimezone(UTC)
    return (local + timedelta(weeks=1)).astimezone(UTC)


async def remind(
    session: AsyncSession,
    effects: Effects,
    event: Event,
    occurrence: Occurrence,
    now: datetime,
    locale: str,
    timezone: tzinfo,
    group_key: str,
) -> None:
    """Privately to everyone going, and one short note in each group; the day is named as of `now`."""
    when = spoken_time(occurrence.starts_at, now=now, timezone=timezone, locale=locale)
    private = translate(locale, "event.reminder_private", title=event.title, time=when, place=event.place)
    minutes = minutes_until(occurrence.starts_at, now=now)
    note = translate(locale, group_key, title=event.title, time=when, minutes=minutes, place=event.place)
    await tell_signed_up(session, effects, event, [occurrence], (RsvpStatus.GOING,), private, note)


async def tell_signed_up(
    session: AsyncSession,
    effects: Effects,
    event: Event,
    occurrences: list[Occurrence],
    statuses: tuple[RsvpStatus, ...],
    private_text: str,
    group_text: str,
) -> int:
    """Privately to each person with one of `statuses` in these occurrences (once each), and one line in each
    group in scope; returns how many groups."""
    told: set[int] = set()
    for occurrence in occurrences:
        for rsvp in await rsvps_of(session, occurrence_id=occurrence.id or 0):
            if rsvp.status in statuses and rsvp.person_id not in told:
                told.add(rsvp.person_id)
                message = await private_message(session, person_id=rsvp.person_id, text=private_text)
                if message is not None:
                    effects.add(message)
    groups = await chats_in_scope(session, event.scope_ids)
    for chat in groups:
        effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=group_text))
    return len(groups)


def register(router: Router) -> None:
    router.add_commands(
        [
            Command("event", new_event, "cmd.event", aliases=("活动", "发活动"), roles=frozenset(PUBLISHERS)),
            Command("checkin", check_in, "cmd.checkin", aliases=("签到",)),
        ]
    )
    router.add_callbacks({"ev": on_rsvp, "evs": on_scope_button})
    router.text.insert(0, on_private_text)
