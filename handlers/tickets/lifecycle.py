"""记·调·跟·回·访: the buttons that move a ticket, each checked against who may press it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.common.numbers import parse_id, read_number
from handlers.common.roles import may_act_on
from handlers.core.context import Context, Work
from handlers.core.hooks import ReportConfirmed, TicketReopened, TicketResolved
from handlers.core.types import Button, Edit, IncomingCallback, IncomingMessage, Keyboard, Send
from handlers.tickets.cards import (
    MOST_STARS,
    STARS,
    assignee_buttons,
    rating_buttons,
    revisit_buttons,
    short,
    status_line,
)
from handlers.tickets.rules import (
    REJECT_REASONS,
    TRANSITIONS,
    UNDO_REJECT,
    Sla,
    allowed,
    refresh_timer,
    target,
)
from handlers.tickets.service import (
    MANAGERS,
    building_of,
    knock_for,
    notify_assignee,
    people_for_tier,
    progress_line,
    record,
    refresh_cards,
    revisit_in_group,
    said_in_group,
)
from models.people import Person, Role, holders_over
from models.tickets import (
    Ticket,
    TicketStatus,
    add_affected,
    affected_people,
    events_of,
    newest_assigned_to,
    open_tickets_in,
    ticket_for_change,
)

ASSIGNABLE = (Role.GRID_WORKER, Role.VOLUNTEER, Role.BUILDING_HEAD)
MAX_CHOICES = 8
Action = Callable[[Context, Ticket, str | None], Awaitable[None]]


async def confirm(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    await record(
        ctx,
        ticket,
        "confirm",
        actor_id=ctx.person.id,
        to_status=target("confirm"),
        chat_id=ctx.chat.id,
        new_stage=ctx.setting(Sla),
    )
    await ctx.emit(ReportConfirmed(ticket, await building_of(ctx, ticket)))
    await refresh_cards(ctx, ticket)
    ctx.answer("✅")


async def reject(ctx: Context, ticket: Ticket, arg: str | None) -> None:
    """不是问题: first the reason is asked (answering the card); with one, the ticket closes, the reporter is told,
    and the answer offers 撤销 for a few minutes."""
    if arg not in REJECT_REASONS:
        rows = [(Button(ctx.t(f"reject.{r}"), f"t:reject:{ticket.id}:{r}"),) for r in REJECT_REASONS]
        ask_below(ctx, ctx.t("ticket.choose_reject_reason", number=ticket.id), (*rows, back(ctx, ticket)))
        ctx.answer()
        return
    await close_as_not_a_problem(ctx, ticket, reason=arg, actor_id=ctx.person.id, chat_id=ctx.chat.id)
    minutes = int(UNDO_REJECT.total_seconds() // 60)
    undo = ((Button(ctx.t("button.undo"), f"t:unreject:{ticket.id}"),),)
    ctx.edit_pressed(
        ctx.t("ticket.rejected_undo", number=ticket.id, reason=ctx.t(f"reject.{arg}"), minutes=minutes), buttons=undo
    )
    ctx.answer()


async def close_as_not_a_problem(
    work: Work, ticket: Ticket, *, reason: str, actor_id: int | None, chat_id: int | None
) -> None:
    """不是问题 for `reason`: the ticket is closed as rejected, its cards say so, and the reporter hears why."""
    await record(work, ticket, "reject", actor_id=actor_id, to_status=target("reject"), note=reason, chat_id=chat_id)
    ticket.closed_at, ticket.next_timer_at = work.now, None
    told = work.t("ticket.rejected_told", number=ticket.id, text=short(ticket.text), reason=work.t(f"reject.{reason}"))
    await tell_reporter(work, ticket, told)
    await refresh_cards(work, ticket)


async def tell_reporter(work: Work, ticket: Ticket, text: str) -> None:
    """Privately, or in the ticket's group (answering the report) when the bot may not write to them."""
    fallback = await said_in_group(work, ticket, ticket.reporter_id, text)
    await work.tell(ticket.reporter_id, text, fallback=fallback)


async def unreject(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    """撤销 a 不是问题 within `UNDO_REJECT`: the report waits for confirmation again and the reporter hears it."""
    events = await events_of(ctx.session, ticket_id=ticket.id or 0)
    rejected = next(e for e in reversed(events) if e.action == "reject")
    reason = ctx.t(f"reject.{rejected.note or 'other'}")
    if ctx.now - rejected.created_at > UNDO_REJECT:
        ctx.edit_pressed(ctx.t("ticket.rejected_final", number=ticket.id, reason=reason))
        ctx.answer(ctx.t("ticket.undo_too_late", minutes=int(UNDO_REJECT.total_seconds() // 60)), alert=True)
        return
    ticket.closed_at = None
    sla = ctx.setting(Sla)
    await record(
        ctx,
        ticket,
        "unreject",
        actor_id=ctx.person.id,
        to_status=target("unreject"),
        chat_id=ctx.chat.id,
        new_stage=sla,
    )
    await tell_reporter(ctx, ticket, ctx.t("ticket.unrejected_told", number=ticket.id, text=short(ticket.text)))
    ctx.edit_pressed(ctx.t("ticket.unrejected", number=ticket.id))
    await refresh_cards(ctx, ticket)
    ctx.answer("↩️")


async def merge(ctx: Context, ticket: Ticket, arg: str | None) -> None:
    """Without a target: offer the building's other open tickets. With one: fold this ticket into it (its people
    become +1s, its place fills in a place the target lacks)."""
    if arg is None:
        others = [
            t
            for t in await open_tickets_in(
                ctx.session, building_ids=[ticket.building_id], limit=MAX_CHOICES + 1, offset=0
            )
            if t.id != ticket.id
        ][:MAX_CHOICES]
        if not others:
            ctx.answer(ctx.t("ticket.no_merge_target"), alert=True)
            return
        rows = [(Button(f"#{t.id} {short(t.text, 16)}", f"t:merge:{ticket.id}:{t.id}"),) for t in others]
        ask_below(ctx, ctx.t("ticket.choose_merge", number=ticket.id), (*rows, back(ctx, ticket)))
        ctx.answer()
        return
    into_id = parse_id(arg)
    into = await ticket_for_change(ctx.session, ticket_id=into_id) if into_id else None
    if into is None or into.id == ticket.id or into.building_id != ticket.building_id or not into.is_open:
        ctx.answer(ctx.t("button.stale"))
        return
    ticket.merged_into_id, ticket.closed_at, ticket.next_timer_at = into.id, ctx.now, None
    into.location = into.location or ticket.location
    await record(
        ctx, ticket, "merge", actor_id=ctx.person.id, to_status=target("merge"), note=f"#{into.id}", chat_id=ctx.chat.id
    )
    for person_id in [ticket.reporter_id, *await affected_people(ctx.session, ticket_id=ticket.id or 0)]:
        if person_id != into.reporter_id:
            await add_affected(ctx.session, ticket_id=into.id or 0, person_id=person_id, now=ctx.now)
    ctx.edit_pressed(ctx.t("status.duplicate", target=into.id))
    await refresh_cards(ctx, ticket)
    await refresh_cards(ctx, into)
    ctx.answer()


def ask_below(ctx: Context, text: str, buttons: Keyboard) -> None:
    """A picker as a new message answering the card whose button was pressed, where the presser is looking;
    the card itself keeps showing the ticket."""
    assert isinstance(ctx.incoming, IncomingCallback)
    ctx.effects.add(
        Send(
            platform=ctx.platform,
            chat_id=ctx.incoming.chat.platform_chat_id,
            text=text,
            buttons=buttons,
            reply_to_message_id=ctx.incoming.message_id,
        )
    )


def back(ctx: Context, ticket: Ticket) -> tuple[Button, ...]:
    return (Button(ctx.t("button.cancel"), f"t:back:{ticket.id}"),)


async def assign(ctx: Context, ticket: Ticket, arg: str | None) -> None:
    """Without a person: offer those with a role in scope. With one: dispatch to them privately."""
    candidates = await assignable(ctx, ticket)
    if arg is None:
        if not candidates:
            ctx.answer(ctx.t("ticket.no_assignee"), alert=True)
            return
        rows = [(Button(p.display_name, f"t:assign:{ticket.id}:{p.id}"),) for p in candidates[:MAX_CHOICES]]
        ask_below(ctx, ctx.t("ticket.choose_assignee", number=ticket.id), (*rows, back(ctx, ticket)))
        ctx.answer()
        return
    chosen = next((p for p in candidates if str(p.id) == arg), None)
    if chosen is None:
        ctx.answer(ctx.t("button.stale"))
        return
    await dispatch_to(ctx, ticket, chosen, actor_id=ctx.person.id, chat_id=ctx.chat.id)
    ctx.edit_pressed(ctx.t("ticket.assigned_to", name=chosen.display_name))
    ctx.answer("👷")


async def assignable(work: Work, ticket: Ticket) -> list[Person]:
    """Who a ticket can be dispatched to: those with an assignable role on its building or above."""
    return await holders_over(work.session, place=await building_of(work, ticket), roles=ASSIGNABLE)


async def dispatch_to(work: Work, ticket: Ticket, chosen: Person, *, actor_id: int | None, chat_id: int | None) -> None:
    """调: the ticket goes to `chosen`, who is told privately; every card shows it."""
    ticket.assignee_id = chosen.id
    await record(
        work, ticket, "assign", actor_id=actor_id, to_status=target("assign"), note=chosen.display_name, chat_id=chat_id
    )
    refresh_timer(ticket, work.setting(Sla))
    await notify_assignee(work, ticket)
    await refresh_cards(work, ticket)
    await progress_line(work, ticket, work.t("progress.assigned", number=ticket.id, name=chosen.display_name))


async def back_to_card(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    """返回 on a picker: the picker closes; the card was never changed."""
    ctx.edit_pressed(ctx.t("ticket.choice_closed"))
    ctx.answer()


async def start(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    await record(ctx, ticket, "start", actor_id=ctx.person.id, to_status=target("start"), chat_id=ctx.chat.id)
    refresh_timer(ticket, ctx.setting(Sla))
    ctx.edit_pressed(ctx.t("ticket.started_private", number=ticket.id), buttons=assignee_buttons(ctx.locale, ticket))
    await refresh_cards(ctx, ticket)
    ctx.answer()


async def resolve(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    """回: the handler says it is done (the 已处理 button of their private message)."""
    ctx.edit_pressed(ctx.t("ticket.done_private", number=ticket.id))
    await mark_resolved(ctx, ticket, actor_id=ctx.person.id, chat_id=ctx.chat.id)
    ctx.answer("👍")


async def mark_resolved(work: Work, ticket: Ticket, *, actor_id: int | None, chat_id: int | None) -> None:
    """回: the reporter and every +1 are asked, in words that fit the category; every card shows it."""
    await record(work, ticket, "resolve", actor_id=actor_id, to_status=target("resolve"), chat_id=chat_id)
    ticket.resolved_at = work.now
    refresh_timer(ticket, work.setting(Sla))
    question = work.t(f"ticket.revisit_{ticket.category}", number=ticket.id, text=short(ticket.text))
    buttons = revisit_buttons(work.locale, ticket)
    for person_id in await residents_of(work, ticket):
        await work.tell(
            person_id,
            question,
            buttons,
            ref_key=f"ticket:{ticket.id}:r:{person_id}",
            fallback=await revisit_in_group(work, ticket, person_id, buttons),
        )
    await refresh_cards(work, ticket)
    await progress_line(work, ticket, work.t("progress.resolved", number=ticket.id))
    await work.emit(TicketResolved(ticket, await building_of(work, ticket)))


async def verify(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    """访: one resident says it is fixed and is asked for a rating; the ticket is verified once every affected
    resident has said so (or nobody objected in time, `timers.auto_verify`) — until then anyone may still say 没解决."""
    waiting = await still_to_answer(ctx, ticket)
    if ctx.person.id not in waiting:
        ctx.answer(ctx.t("ticket.already_answered"))
        return
    last = waiting == {ctx.person.id}
    await record(
        ctx, ticket, "verify", actor_id=ctx.person.id, to_status=target("verify") if last else None, chat_id=ctx.chat.id
    )
    if last:
        ticket.closed_at, ticket.next_timer_at = ctx.now, None
    ctx.edit_pressed(ctx.t("ticket.rate"), buttons=rating_buttons(ticket))
    await refresh_cards(ctx, ticket)
    ctx.answer("🎉")


async def residents_of(work: Work, ticket: Ticket) -> list[int]:
    """The reporter and every neighbour who said they are affected (+1)."""
    return [ticket.reporter_id, *await affected_people(work.session, ticket_id=ticket.id or 0)]


async def still_to_answer(ctx: Context, ticket: Ticket) -> set[int]:
    """The affected residents who have not said 已解决 since the ticket was last marked 已处理."""
    events = await events_of(ctx.session, ticket_id=ticket.id or 0)
    since = max((i for i, e in enumerate(events) if e.action == "resolve"), default=-1)
    fixed = {e.actor_id for e in events[since + 1 :] if e.action == "verify"}
    return set(await residents_of(ctx, ticket)) - fixed


async def close_other_revisits(ctx: Context, ticket: Ticket, text: str) -> None:
    """The other residents' open 回访 questions show `text` (they will be asked again after the next 已处理)."""
    for person_id in await residents_of(ctx, ticket):
        if person_id != ctx.person.id:
            ctx.effects.add(Edit(text=text, ref_key=f"ticket:{ticket.id}:r:{person_id}"))


async def close_as_fixed(work: Work, ticket: Ticket, *, actor_id: int | None, chat_id: int | None) -> None:
    """Closed as verified from the desk: the residents' open 回访 questions say so."""
    await record(work, ticket, "verify", actor_id=actor_id, to_status=target("verify"), chat_id=chat_id)
    ticket.closed_at, ticket.next_timer_at = work.now, None
    for person_id in [ticket.reporter_id, *await affected_people(work.session, ticket_id=ticket.id or 0)]:
        work.effects.add(Edit(text=work.t("status.verified"), ref_key=f"ticket:{ticket.id}:r:{person_id}"))
    await refresh_cards(work, ticket)


async def reopen(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    """没解决: back to work, and the assignee and building head hear about it."""
    ticket.resolved_at = None
    sla = ctx.setting(Sla)
    await record(
        ctx, ticket, "reopen", actor_id=ctx.person.id, to_status=target("reopen"), chat_id=ctx.chat.id, new_stage=sla
    )
    text = ctx.t("ticket.reopened_private", number=ticket.id, text=short(ticket.text))
    told = {p.id for p in await people_for_tier(ctx, ticket, "building")}
    for person_id in {ticket.assignee_id, *told} - {None}:
        buttons: Keyboard = assignee_buttons(ctx.locale, ticket) if person_id == ticket.assignee_id else ()
        await ctx.tell(int(person_id or 0), text, buttons, fallback=await knock_for(ctx, ticket, int(person_id or 0)))
    ctx.edit_pressed(ctx.t("ticket.reopened_reply", number=ticket.id))
    await close_other_revisits(ctx, ticket, ctx.t("ticket.reopened_by_neighbour", number=ticket.id))
    await refresh_cards(ctx, ticket)
    await progress_line(ctx, ticket, ctx.t("progress.reopened", number=ticket.id))
    await ctx.emit(TicketReopened(ticket, await building_of(ctx, ticket)))
    ctx.answer()


async def rate(ctx: Context, ticket: Ticket, arg: str | None) -> None:
    stars = read_number(arg or "", maximum=MOST_STARS)
    if not isinstance(stars, int) or stars == 0 or ticket.status not in (TicketStatus.RESOLVED, TicketStatus.VERIFIED):
        ctx.answer(ctx.t("button.stale"))
        return
    ticket.rating = stars
    await record(ctx, ticket, "rate", actor_id=ctx.person.id, note=str(stars), chat_id=ctx.chat.id)
    ctx.edit_pressed(ctx.t("ticket.rated", stars=STARS * stars))
    await refresh_cards(ctx, ticket)
    ctx.answer()


async def on_assignee_photo(ctx: Context, message: IncomingMessage) -> bool:
    """A photo the assignee sends privately is attached to the ticket they are handling (the fix, as proof)."""
    if ctx.in_group or not message.photos:
        return False
    ticket = await newest_assigned_to(ctx.session, person_id=ctx.person.id or 0)
    if ticket is None:
        return False
    ticket.photos = [*ticket.photos, *message.photos]
    await record(ctx, ticket, "photo", actor_id=ctx.person.id, note=message.text or None, chat_id=ctx.chat.id)
    ctx.reply(ctx.t("ticket.photo_added", number=ticket.id), buttons=assignee_buttons(ctx.locale, ticket))
    await refresh_cards(ctx, ticket)
    return True


MANAGER_ACTIONS: dict[str, Action] = {
    "confirm": confirm,
    "reject": reject,
    "unreject": unreject,
    "merge": merge,
    "assign": assign,
    "back": back_to_card,
}
ASSIGNEE_ACTIONS: dict[str, Action] = {"start": start, "resolve": resolve}
RESIDENT_ACTIONS: dict[str, Action] = {"verify": verify, "reopen": reopen, "rate": rate}


async def may_press(ctx: Context, ticket: Ticket, action: str) -> str | None:
    """None if the presser may do `action`, otherwise the text of the polite refusal."""
    if action in MANAGER_ACTIONS:
        return None if await may_act_on(ctx, await building_of(ctx, ticket), MANAGERS) else ctx.t("button.refused")
    if action in ASSIGNEE_ACTIONS:
        return None if ticket.assignee_id == ctx.person.id else ctx.t("ticket.not_assignee")
    return None if ctx.person.id in await residents_of(ctx, ticket) else ctx.t("ticket.not_reporter")


async def on_ticket_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """t:<action>:<ticket>[:<arg>]"""
    action = parts[0] if parts else ""
    handler = (MANAGER_ACTIONS | ASSIGNEE_ACTIONS | RESIDENT_ACTIONS).get(action)
    ticket_id = parse_id(parts[1]) if len(parts) >= 2 else None
    ticket = await ticket_for_change(ctx.session, ticket_id=ticket_id) if ticket_id else None
    if handler is None or ticket is None:
        ctx.answer(ctx.t("button.stale"))
        return
    refusal = await may_press(ctx, ticket, action)
    if refusal is not None:
        ctx.answer(refusal, alert=True)
        return
    if action in TRANSITIONS and not allowed(action, ticket.status):
        ctx.answer(ctx.t("ticket.wrong_state", status=status_line(ctx.locale, ticket, None)))
        return
    await handler(ctx, ticket, parts[2] if len(parts) > 2 else None)
