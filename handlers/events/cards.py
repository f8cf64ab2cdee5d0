"""An occurrence's card in each group in scope (with 报名 buttons and the live count), and telling everyone
signed up."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, tzinfo

from handlers.common.scopes import chats_in_scope
from handlers.common.times import local_span
from handlers.core.context import Context, Work
from handlers.core.types import Button, Edit, Keyboard, Send
from handlers.events.texts import translate
from models.events import Event, EventStep, Occurrence, Rsvp, RsvpStatus, rsvps_of


def card_text(locale: str, event: Event, occurrence: Occurrence | None, rsvps: list[Rsvp], timezone: tzinfo) -> str:
    starts = occurrence.starts_at if occurrence else event.first_start
    ends = starts + timedelta(minutes=event.duration_minutes) if starts and event.duration_minutes else None
    going = sum(r.status == RsvpStatus.GOING for r in rsvps)
    waiting = sum(r.status == RsvpStatus.WAITLIST for r in rsvps)
    return translate(
        locale,
        "event.card",
        title=event.title,
        time=local_span(starts, ends, timezone, locale) if starts else "?",
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


async def publish(work: Work, event: Event, starts_at: datetime) -> Occurrence:
    """Create an occurrence and post its card, with 报名 buttons, in every group in scope."""
    occurrence = Occurrence(
        event_id=event.id or 0, starts_at=starts_at, checkin_code=f"{secrets.randbelow(9000) + 1000}"
    )
    work.session.add(occurrence)
    await work.session.flush()
    event.step = EventStep.PUBLISHED
    text = card_text(work.locale, event, occurrence, [], work.config.timezone)
    refs = []
    for chat in await chats_in_scope(work.session, event.scope_ids):
        ref = f"occ:{occurrence.id}:g:{chat.id}"
        work.effects.add(
            Send(
                platform=chat.platform,
                chat_id=chat.platform_chat_id,
                text=text,
                buttons=rsvp_buttons(work.locale, occurrence),
                ref_key=ref,
            )
        )
        refs.append(ref)
    occurrence.card_refs = refs
    return occurrence


async def refresh_cards(ctx: Context, event: Event, occurrence: Occurrence, rsvps: list[Rsvp] | None = None) -> None:
    """Edit every card of the occurrence to the live count (the outbox keeps only the newest queued edit); `rsvps`
    are its sign-ups as the caller holds them, or they are read."""
    if rsvps is None:
        rsvps = await rsvps_of(ctx.session, occurrence_id=occurrence.id or 0)
    text = card_text(ctx.locale, event, occurrence, rsvps, ctx.config.timezone)
    for ref in occurrence.card_refs:
        ctx.effects.add(Edit(text=text, buttons=rsvp_buttons(ctx.locale, occurrence), ref_key=ref))


async def tell_signed_up(
    work: Work,
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
        for rsvp in await rsvps_of(work.session, occurrence_id=occurrence.id or 0):
            if rsvp.status in statuses and rsvp.person_id not in told:
                told.add(rsvp.person_id)
                await work.tell(rsvp.person_id, private_text)
    groups = await chats_in_scope(work.session, event.scope_ids)
    for chat in groups:
        work.effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=group_text))
    return len(groups)
