"""After an event is published: /events lists what is coming in the asker's area; organisers take attendance,
export the list as CSV, move or cancel one occurrence or the whole series, and everyone affected is told."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta

from handlers.common.numbers import numbers_in, parse_id
from handlers.common.scopes import PUBLISHERS, future_time
from handlers.common.times import local_stamp, local_time
from handlers.core.context import Context
from handlers.core.hooks import Attended
from handlers.core.types import Button, Edit, IncomingCallback, IncomingMessage, Keyboard, SendDocument, in_pairs
from handlers.events.cards import card_text, refresh_cards, tell_signed_up
from handlers.events.signups import CHECKIN_WINDOW, record_attendance
from handlers.events.wizard import too_long
from models.events import (
    Event,
    EventStep,
    Occurrence,
    Recurrence,
    Rsvp,
    RsvpStatus,
    event_awaiting_edit,
    future_occurrences,
    rsvps_of,
    upcoming_occurrences,
)
from models.people import has_role_over, person_by_id
from models.places import Place, place_by_id

LIST_DAYS = 30
LIST_LIMIT = 10
ATTENDANCE_PAGE = 20
DROP_WORDS = ("取消", "算了", "不改了", "cancel")
NOTIFIED = (RsvpStatus.GOING, RsvpStatus.WAITLIST)


# ---- who sees and who manages ---------------------------------------------------------------------------------


async def places_of(ctx: Context, ids: list[int]) -> list[Place]:
    return [p for p in [await place_by_id(ctx.session, place_id=i) for i in ids] if p is not None]


async def visible_to_asker(ctx: Context, event: Event) -> bool:
    """An event is shown where its scope and the asker's places (roles, this group) overlap in the tree."""
    mine = await places_of(ctx, [g.place_id for g in ctx.grants])
    if ctx.place is not None:
        mine.append(ctx.place)
    scope = await places_of(ctx, event.scope_ids)
    return any(a.contains(b) or b.contains(a) for a in mine for b in scope)


async def can_manage(ctx: Context, event: Event) -> bool:
    """The author, or a staff member / grid worker whose area covers part of the event's scope."""
    if event.author_id == ctx.person.id:
        return True
    for place in await places_of(ctx, event.scope_ids):
        if await has_role_over(ctx.session, person_id=ctx.person.id or 0, place=place, roles=PUBLISHERS):
            return True
    return False


# ---- /events --------------------------------------------------------------------------------------------------


async def list_events(ctx: Context, message: IncomingMessage) -> None:
    """近期活动: the next 30 days in the asker's area, and what began less than three hours ago (its check-in and
    attendance still open); in private, 管理 buttons on what they organise."""
    shown: list[tuple[Occurrence, Event]] = []
    for occurrence in await upcoming_occurrences(
        ctx.session, after=ctx.now - CHECKIN_WINDOW, before=ctx.now + timedelta(days=LIST_DAYS)
    ):
        event = await ctx.session.get(Event, occurrence.event_id)
        if event is not None and event.step == EventStep.PUBLISHED and await visible_to_asker(ctx, event):
            shown.append((occurrence, event))
    if not shown:
        ctx.reply(ctx.t("events.none"), quote=ctx.in_group)
        return
    lines = [ctx.t("events.header")]
    manage: list[Button] = []
    for number, (occurrence, event) in enumerate(shown[:LIST_LIMIT], start=1):
        lines.append(await event_line(ctx, number, event, occurrence))
        if not ctx.in_group and await can_manage(ctx, event):
            manage.append(Button(ctx.t("button.manage", number=number), f"evm:m:{occurrence.id}"))
    if manage:
        lines.append(ctx.t("events.manage_hint"))
    ctx.reply("\n".join(lines), buttons=in_pairs(manage), quote=ctx.in_group)


async def event_line(ctx: Context, number: int, event: Event, occurrence: Occurrence) -> str:
    rsvps = await rsvps_of(ctx.session, occurrence_id=occurrence.id or 0)
    return ctx.t(
        "events.line",
        number=number,
        time=local_time(occurrence.starts_at, ctx.config.timezone, ctx.locale),
        title=event.title,
        repeat=ctx.t(f"event.repeat_{event.recurrence}"),
        place=event.place,
        going=sum(r.status == RsvpStatus.GOING for r in rsvps),
        capacity=ctx.t("event.capacity", capacity=event.capacity) if event.capacity else "",
    )


# ---- the organiser's buttons ----------------------------------------------------------------------------------


async def on_manage_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """evm:<action>:<occurrence>[:<more>] — every action re-checks that the presser may manage the event."""
    occurrence_id = parse_id(parts[1]) if len(parts) >= 2 else None
    occurrence = await ctx.session.get(Occurrence, occurrence_id) if occurrence_id else None
    event = await ctx.session.get(Event, occurrence.event_id) if occurrence else None
    action = MANAGE_ACTIONS.get(parts[0])
    if occurrence is None or event is None or action is None or occurrence.cancelled:
        ctx.answer(ctx.t("button.stale"))
        return
    if not await can_manage(ctx, event):
        ctx.answer(ctx.t("manage.refused"), alert=True)
        return
    extra = numbers_in(parts[2:])
    await action(ctx, event, occurrence, extra)


async def show_menu(ctx: Context, event: Event, occurrence: Occurrence, _: list[int]) -> None:
    rsvps = await rsvps_of(ctx.session, occurrence_id=occurrence.id or 0)
    card = card_text(ctx.locale, event, occurrence, rsvps, ctx.config.timezone)
    present = sum(r.checked_in_at is not None for r in rsvps)
    ctx.edit_pressed(
        ctx.t("manage.menu", card=card, code=occurrence.checkin_code, present=present),
        buttons=menu_buttons(ctx, event, occurrence),
    )
    ctx.answer()


def menu_buttons(ctx: Context, event: Event, occurrence: Occurrence) -> Keyboard:
    o = occurrence.id
    rows = [
        (Button(ctx.t("button.attendance"), f"evm:a:{o}:0"), Button(ctx.t("button.export_csv"), f"evm:csv:{o}")),
        (Button(ctx.t("button.edit_time"), f"evm:t:{o}"), Button(ctx.t("button.edit_place"), f"evm:pl:{o}")),
        (Button(ctx.t("button.cancel_occurrence"), f"evm:x:{o}"),),
    ]
    if event.recurrence != Recurrence.ONCE:
        rows[-1] += (Button(ctx.t("button.cancel_series"), f"evm:xs:{o}"),)
    return tuple(rows)


def back_row(ctx: Context, occurrence: Occurrence) -> tuple[Button, ...]:
    return (Button(ctx.t("button.back"), f"evm:m:{occurrence.id}"),)


# ---- attendance -----------------------------------------------------------------------------------------------


async def show_attendance(ctx: Context, event: Event, occurrence: Occurrence, extra: list[int]) -> None:
    """One button per person signed up (✅ present, ⬜ not yet), a page at a time."""
    page = extra[0] if extra else 0
    text, buttons = await attendance_view(ctx, event, occurrence, page)
    ctx.edit_pressed(text, buttons=buttons)
    ctx.answer()


async def attendance_view(ctx: Context, event: Event, occurrence: Occurrence, page: int) -> tuple[str, Keyboard]:
    rsvps = [
        r
        for r in await rsvps_of(ctx.session, occurrence_id=occurrence.id or 0)
        if r.status == RsvpStatus.GOING or r.checked_in_at
    ]
    when = local_time(occurrence.starts_at, ctx.config.timezone, ctx.locale)
    if not rsvps:
        return ctx.t("attendance.empty", title=event.title, time=when, code=occurrence.checkin_code), (
            back_row(ctx, occurrence),
        )
    present = sum(r.checked_in_at is not None for r in rsvps)
    header = ctx.t("attendance.header", title=event.title, time=when, going=len(rsvps), present=present)
    window = rsvps[page * ATTENDANCE_PAGE : (page + 1) * ATTENDANCE_PAGE]
    names = [await display_name(ctx, r.person_id) for r in window]
    buttons = [
        Button(f"{'✅' if r.checked_in_at else '⬜'} {name}", f"evm:p:{occurrence.id}:{r.id}:{page}")
        for r, name in zip(window, names, strict=True)
    ]
    rows = list(in_pairs(buttons))
    rows += ctx.paging_row(page=page, more=(page + 1) * ATTENDANCE_PAGE < len(rsvps), data=f"evm:a:{occurrence.id}")
    rows.append(back_row(ctx, occurrence))
    return header, tuple(rows)


async def display_name(ctx: Context, person_id: int) -> str:
    person = await person_by_id(ctx.session, person_id=person_id)
    return person.display_name if person else "?"


async def mark_present(ctx: Context, event: Event, occurrence: Occurrence, extra: list[int]) -> None:
    """evm:p:<occurrence>:<rsvp>:<page> — the same attendance record as a resident's 签到 code."""
    rsvp = await ctx.session.get(Rsvp, extra[0]) if extra else None
    if rsvp is None or rsvp.occurrence_id != occurrence.id:
        ctx.answer(ctx.t("button.stale"))
        return
    if ctx.now < occurrence.starts_at - CHECKIN_WINDOW:
        ctx.answer(ctx.t("attendance.too_early"), alert=True)
        return
    name = await display_name(ctx, rsvp.person_id)
    first = await record_attendance(ctx.session, occurrence=occurrence, person_id=rsvp.person_id, now=ctx.now)
    if first:
        await ctx.emit(Attended(event, occurrence, rsvp.person_id))
    text, buttons = await attendance_view(ctx, event, occurrence, extra[1] if len(extra) > 1 else 0)
    ctx.edit_pressed(text, buttons=buttons)
    ctx.answer(ctx.t("attendance.marked" if first else "attendance.already", name=name))


# ---- export ---------------------------------------------------------------------------------------------------


async def export_csv(ctx: Context, event: Event, occurrence: Occurrence, _: list[int]) -> None:
    """The sign-up and attendance list as a CSV file (UTF-8 with BOM, so Excel shows the Chinese)."""
    rsvps = await rsvps_of(ctx.session, occurrence_id=occurrence.id or 0)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ctx.t("export.columns").split(","))
    for number, rsvp in enumerate(rsvps, start=1):
        writer.writerow(
            [
                number,
                await display_name(ctx, rsvp.person_id),
                ctx.t(f"rsvp.{rsvp.status}"),
                local_stamp(rsvp.updated_at, ctx.config.timezone),
                local_stamp(rsvp.checked_in_at, ctx.config.timezone) if rsvp.checked_in_at else "",
            ]
        )
    day = occurrence.starts_at.astimezone(ctx.config.timezone).strftime("%Y%m%d")
    when = local_time(occurrence.starts_at, ctx.config.timezone, ctx.locale)
    ctx.effects.add(
        SendDocument(
            platform=ctx.platform,
            chat_id=ctx.incoming.chat.platform_chat_id,
            filename=f"event-{occurrence.id}-{day}.csv",
            content=buffer.getvalue().encode("utf-8-sig"),
            caption=ctx.t(
                "export.caption",
                title=event.title,
                time=when,
                going=sum(r.status == RsvpStatus.GOING for r in rsvps),
                capacity=ctx.t("event.capacity", capacity=event.capacity) if event.capacity else "",
                present=sum(r.checked_in_at is not None for r in rsvps),
            ),
        )
    )
    ctx.answer()


# ---- changing the time or place -------------------------------------------------------------------------------


async def ask_which_time(ctx: Context, event: Event, occurrence: Occurrence, _: list[int]) -> None:
    """A series asks whether only this occurrence moves; a one-off goes straight to the question."""
    if event.recurrence == Recurrence.ONCE:
        await await_edit(ctx, event, occurrence, "time-once", "edit.ask_time")
        return
    o = occurrence.id
    buttons = (
        (Button(ctx.t("button.edit_once"), f"evm:to:{o}"), Button(ctx.t("button.edit_series"), f"evm:ts:{o}")),
        back_row(ctx, occurrence),
    )
    ctx.edit_pressed(ctx.t("edit.which"), buttons=buttons)
    ctx.answer()


async def ask_time_once(ctx: Context, event: Event, occurrence: Occurrence, _: list[int]) -> None:
    await await_edit(ctx, event, occurrence, "time-once", "edit.ask_time")


async def ask_time_series(ctx: Context, event: Event, occurrence: Occurrence, _: list[int]) -> None:
    await await_edit(ctx, event, occurrence, "time-series", "edit.ask_time")


async def ask_place(ctx: Context, event: Event, occurrence: Occurrence, _: list[int]) -> None:
    await await_edit(ctx, event, occurrence, "place", "edit.ask_place")


async def await_edit(ctx: Context, event: Event, occurrence: Occurrence, what: str, question: str) -> None:
    """Remember what this organiser's next private message answers; one pending change per organiser."""
    earlier = await event_awaiting_edit(ctx.session, editor_id=ctx.person.id or 0)
    if earlier is not None:
        earlier.pending_edit = earlier.pending_editor_id = None
    event.pending_edit, event.pending_editor_id = f"{what}:{occurrence.id}", ctx.person.id
    ctx.edit_pressed(ctx.t(question))
    ctx.answer()


async def on_private_text(ctx: Context, message: IncomingMessage) -> bool:
    """The organiser's answer to 改时间 / 改地点."""
    if ctx.in_group:
        return False
    event = await event_awaiting_edit(ctx.session, editor_id=ctx.person.id or 0)
    if event is None or event.pending_edit is None:
        return False
    what, _, occurrence_id = event.pending_edit.partition(":")
    occurrence = await ctx.session.get(Occurrence, int(occurrence_id))
    text = message.text.strip()
    if occurrence is None or occurrence.cancelled or text.lower() in DROP_WORDS:
        event.pending_edit = event.pending_editor_id = None
        ctx.reply(ctx.t("edit.dropped"))
        return True
    if what == "place":
        if text and not too_long(ctx, "place", text):
            await change_place(ctx, event, text)
    else:
        await change_time(ctx, event, occurrence, text, series=what == "time-series")
    return True


async def change_time(ctx: Context, event: Event, occurrence: Occurrence, text: str, *, series: bool) -> None:
    """Move the occurrence; alone it keeps its slot in the series, for the series the new time becomes the slot."""
    parsed = future_time(ctx, text)
    if parsed is None:
        return
    old = local_time(occurrence.starts_at, ctx.config.timezone, ctx.locale)
    new_start = parsed.at.astimezone(UTC)
    occurrence.slot_at = None if series else occurrence.slot_at or occurrence.starts_at
    occurrence.starts_at = new_start
    occurrence.reminded_day = occurrence.reminded_hour = False
    if series:
        event.first_start = new_start
    event.pending_edit = event.pending_editor_id = None
    when = local_time(new_start, ctx.config.timezone, ctx.locale)
    notice = ctx.t("edit.notice_time", title=event.title, time=when, old=old, place=event.place)
    groups = await tell_everyone(ctx, event, [occurrence], notice)
    await refresh_cards(ctx, event, occurrence)
    ctx.reply(ctx.t("edit.done", count=groups))


async def change_place(ctx: Context, event: Event, place: str) -> None:
    """The place belongs to the event: every occurrence still to come moves."""
    event.place, event.pending_edit, event.pending_editor_id = place, None, None
    coming = await future_occurrences(ctx.session, event_id=event.id or 0, after=ctx.now)
    when = "、".join(local_time(o.starts_at, ctx.config.timezone, ctx.locale) for o in coming)
    groups = await tell_everyone(
        ctx, event, coming, ctx.t("edit.notice_place", title=event.title, time=when, place=event.place)
    )
    for occurrence in coming:
        await refresh_cards(ctx, event, occurrence)
    ctx.reply(ctx.t("edit.done", count=groups))


async def tell_everyone(ctx: Context, event: Event, occurrences: list[Occurrence], text: str) -> int:
    """Privately to everyone going or waiting, and the same line in each group in scope; returns the group count."""
    return await tell_signed_up(ctx, event, occurrences, NOTIFIED, text, text)


# ---- cancelling -----------------------------------------------------------------------------------------------


async def confirm_cancel_occurrence(ctx: Context, event: Event, occurrence: Occurrence, _: list[int]) -> None:
    await confirm(ctx, event, occurrence, "cancel.confirm_occurrence", f"evm:xok:{occurrence.id}")


async def confirm_cancel_series(ctx: Context, event: Event, occurrence: Occurrence, _: list[int]) -> None:
    await confirm(ctx, event, occurrence, "cancel.confirm_series", f"evm:xsok:{occurrence.id}")


async def confirm(ctx: Context, event: Event, occurrence: Occurrence, question: str, data: str) -> None:
    when = local_time(occurrence.starts_at, ctx.config.timezone, ctx.locale)
    buttons = ((Button(ctx.t("button.confirm_cancel"), data),), back_row(ctx, occurrence))
    ctx.edit_pressed(ctx.t(question, title=event.title, time=when), buttons=buttons)
    ctx.answer()


async def cancel_occurrence(ctx: Context, event: Event, occurrence: Occurrence, _: list[int]) -> None:
    when = local_time(occurrence.starts_at, ctx.config.timezone, ctx.locale)
    await cancel(ctx, event, [occurrence], ctx.t("cancel.notice_occurrence", title=event.title, time=when))


async def cancel_series(ctx: Context, event: Event, occurrence: Occurrence, _: list[int]) -> None:
    """No more occurrences are made; the ones still to come are cancelled."""
    event.step = EventStep.CANCELLED
    coming = await future_occurrences(ctx.session, event_id=event.id or 0, after=ctx.now)
    when = "、".join(local_time(o.starts_at, ctx.config.timezone, ctx.locale) for o in coming) or "-"
    await cancel(ctx, event, coming, ctx.t("cancel.notice_series", title=event.title, time=when))


async def cancel(ctx: Context, event: Event, occurrences: list[Occurrence], notice: str) -> None:
    """Tell everyone, then strike the cards through (no buttons left to press)."""
    groups = await tell_everyone(ctx, event, occurrences, notice)
    for occurrence in occurrences:
        occurrence.cancelled = True
        rsvps = await rsvps_of(ctx.session, occurrence_id=occurrence.id or 0)
        text = ctx.t("cancel.card", card=card_text(ctx.locale, event, occurrence, rsvps, ctx.config.timezone))
        for ref in occurrence.card_refs:
            ctx.effects.add(Edit(text=text, ref_key=ref))
    ctx.edit_pressed(ctx.t("cancel.done", count=groups))
    ctx.answer()


MANAGE_ACTIONS = {
    "m": show_menu,
    "a": show_attendance,
    "p": mark_present,
    "csv": export_csv,
    "t": ask_which_time,
    "to": ask_time_once,
    "ts": ask_time_series,
    "pl": ask_place,
    "x": confirm_cancel_occurrence,
    "xs": confirm_cancel_series,
    "xok": cancel_occurrence,
    "xsok": cancel_series,
}
