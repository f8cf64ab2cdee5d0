"""Composing an event in private, step by step: title (and description), time (once, weekly or monthly), place,
capacity, check-in points, the groups in scope, a preview, then 发布."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.common.numbers import MAX_ID, NumberProblem, parse_id, read_number
from handlers.common.scopes import chats_in_scope, future_time, scope_keyboard, scope_options
from handlers.core.context import Context, Work
from handlers.core.hooks import AwaitingAnswer
from handlers.core.texts import quoted
from handlers.core.types import Button, IncomingCallback, IncomingMessage
from handlers.events.cards import card_text, publish
from models.events import Event, EventStep, event_in_wizard
from nlp.timeparse import TimeParseError, end_of

NO_LIMIT = ("不限", "无限", "不限制", "无", "0")
OPEN_END = ("不定", "不确定", "待定", "未定", "open")
MAX_EVENT_POINTS = 100
FIELD_LIMITS = {"title": 120, "description": 1000, "place": 200}
"""Characters each text of an event holds (the columns' lengths); longer answers are asked again, not cut."""


@dataclass(frozen=True)
class EventSettings:
    suggested_points: int
    """The check-in points the wizard suggests (PASSBOOK_EVENT_POINTS)."""


def event_settings(env: Any) -> EventSettings:
    return EventSettings(suggested_points=env.passbook_event_points)


async def new_event(ctx: Context, message: IncomingMessage) -> None:
    """Start the event wizard (the router let only staff and grid workers in, in private)."""
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
    elif event.step == EventStep.END:
        take_end(ctx, event, text)
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
    """The start, and the end when a range was typed; without one the wizard asks when it ends."""
    parsed = future_time(ctx, text)
    if parsed is None:
        return
    event.first_start, event.recurrence = parsed.at.astimezone(UTC), parsed.repeat
    if parsed.ends is None:
        event.step = EventStep.END
        ctx.reply(ctx.t("event.ask_end"))
        return
    event.duration_minutes = minutes_between(parsed.at, parsed.ends)
    event.step = EventStep.PLACE
    ctx.reply(ctx.t("event.ask_place"))


def take_end(ctx: Context, event: Event, text: str) -> None:
    """几点结束: a time of day after the start (that day), or 不定 for an open end."""
    if text not in OPEN_END:
        start = (event.first_start or ctx.now).astimezone(ctx.config.timezone)
        try:
            ends = end_of(start, text)
        except TimeParseError:
            ctx.reply(ctx.t("event.bad_end"))
            return
        event.duration_minutes = minutes_between(start, ends)
    event.step = EventStep.PLACE
    ctx.reply(ctx.t("event.ask_place"))


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def take_capacity(ctx: Context, event: Event, text: str) -> None:
    capacity = None if text in NO_LIMIT else read_number(text)
    if capacity is NumberProblem.TOO_LARGE:
        ctx.reply(ctx.t("number.too_large", value=quoted(text), maximum=MAX_ID))
        return
    if capacity is not None and (not isinstance(capacity, int) or capacity == 0):
        ctx.reply(ctx.t("event.bad_capacity"))
        return
    event.capacity = capacity
    event.step = EventStep.POINTS
    ctx.reply(ctx.t("event.ask_points", suggested=ctx.setting(EventSettings).suggested_points))


async def take_points(ctx: Context, event: Event, text: str) -> None:
    """爱心存折 points each person earns by checking in (0: none)."""
    points = read_number(text, maximum=MAX_EVENT_POINTS)
    if not isinstance(points, int):
        ctx.reply(ctx.t("event.bad_points"))
        return
    event.points, event.step = points, EventStep.SCOPE
    await ctx.session.flush()
    ctx.reply(ctx.t("event.ask_scope"), buttons=scope_keyboard(ctx, "evs", event.id or 0, [], await scope_options(ctx)))


async def on_scope_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """evs:<t|n|x|pub>:<event>[:<place>] — only the author may press."""
    event_id = parse_id(parts[1]) if len(parts) >= 2 else None
    event = await ctx.session.get(Event, event_id) if event_id else None
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
        occurrence = await publish(ctx, event, event.first_start or ctx.now)
        count = len(occurrence.card_refs)
        ctx.edit_pressed(ctx.t("event.published", count=count, code=occurrence.checkin_code))
    elif action == "x":
        event.step = EventStep.CANCELLED
        ctx.edit_pressed(ctx.t("common.cancelled"))
    else:
        ctx.answer(ctx.t("scope.need_one"), alert=True)
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


async def writing_an_event(work: Work, hook: AwaitingAnswer) -> None:
    """This feature's answer to AwaitingAnswer: an event of theirs still in the wizard."""
    if await event_in_wizard(work.session, author_id=hook.person_id) is not None:
        hook.waiting.append(True)
