"""挂账: the organisation asks to wait (parts, a budget vote) with a reason and an expected date; once the grid worker
approves, the ticket's deadline is paused until it is resumed by hand or the expected date comes."""

from __future__ import annotations

from handlers.core.context import Context, Work
from handlers.core.hooks import TicketChanged, TicketPaused, TicketResumed
from handlers.organisations.dispatch import grid_workers, step
from models.organisations import HoldState, Organisation, TicketDispatch, TicketHold, hold_of, holds_due
from models.tickets import Ticket
from nlp.timeparse import TimeParseError, parse_time


def day_text(work: Work, hold: TicketHold) -> str:
    return hold.expected_at.astimezone(work.config.timezone).strftime("%m月%d日")


async def request_hold(ctx: Context, ticket: Ticket, dispatch: TicketDispatch, text: str) -> bool:
    """The private answer to 请回复挂账原因; False (after saying how) if it cannot be read."""
    if not await file_hold(ctx, ticket, dispatch, text, requester_id=ctx.person.id or 0):
        ctx.reply(ctx.t("org.bad_hold"))
        return False
    ctx.reply(ctx.t("org.hold_requested", number=ticket.id))
    return True


async def file_hold(work: Work, ticket: Ticket, dispatch: TicketDispatch, text: str, *, requester_id: int) -> bool:
    """「等电梯配件 12月10日」: a reason, then the expected date (False if it cannot be read); the grid workers are
    asked to approve it."""
    reason, _, when = text.strip().rpartition(" ")
    local_now = work.now.astimezone(work.config.timezone)
    try:
        expected = parse_time(when, now=local_now).at if reason.strip() else None
    except TimeParseError:
        expected = None
    if expected is None or expected <= local_now:
        return False
    org = await work.session.get(Organisation, dispatch.organisation_id)
    assert org is not None
    hold = TicketHold(
        ticket_id=ticket.id or 0,
        organisation_id=org.id or 0,
        reason=reason.strip()[:300],
        expected_at=expected,
        requested_by_id=requester_id,
        requested_at=work.now,
    )
    work.session.add(hold)
    await step(work, ticket, "hold_request", actor_id=requester_id, note=f"{hold.reason}，{day_text(work, hold)}")
    told = work.t(
        "org.hold_request_private", org=org.name, number=ticket.id, reason=hold.reason, when=day_text(work, hold)
    )
    for person in await grid_workers(work, ticket):
        await work.tell(person.id or 0, told)
    await work.emit(TicketChanged(ticket))
    return True


async def approve(ctx: Context, ticket: Ticket) -> None:
    hold = await hold_of(ctx.session, ticket_id=ticket.id or 0, states=(HoldState.REQUESTED,))
    if hold is None or not ticket.is_open:
        ctx.answer(ctx.t("button.stale"))
        return
    await start_hold(ctx, ticket, hold, approver_id=ctx.person.id or 0)
    ctx.answer("⏸")


async def start_hold(work: Work, ticket: Ticket, hold: TicketHold, *, approver_id: int) -> None:
    """The grid worker approves: the deadline is paused and the organisation's member is told."""
    hold.state, hold.approved_by_id, hold.started_at = HoldState.ACTIVE, approver_id, work.now
    await step(work, ticket, "hold", actor_id=approver_id, note=f"{hold.reason}，{day_text(work, hold)}")
    await work.tell(hold.requested_by_id, work.t("org.hold_approved", number=ticket.id, when=day_text(work, hold)))
    await work.emit(TicketPaused(ticket))


async def refuse(ctx: Context, ticket: Ticket) -> None:
    hold = await hold_of(ctx.session, ticket_id=ticket.id or 0, states=(HoldState.REQUESTED,))
    if hold is None:
        ctx.answer(ctx.t("button.stale"))
        return
    await refuse_hold(ctx, ticket, hold, refuser_id=ctx.person.id or 0)
    ctx.answer()


async def refuse_hold(work: Work, ticket: Ticket, hold: TicketHold, *, refuser_id: int) -> None:
    hold.state, hold.ended_at = HoldState.REFUSED, work.now
    await step(work, ticket, "hold_refused", actor_id=refuser_id, note=hold.reason)
    await work.tell(hold.requested_by_id, work.t("org.hold_refused", number=ticket.id))
    await work.emit(TicketChanged(ticket))


async def end_hold(work: Work, ticket: Ticket, hold: TicketHold, *, actor_id: int | None) -> None:
    """The deadline runs again, later by as long as it was paused."""
    hold.state, hold.ended_at = HoldState.ENDED, work.now
    await step(work, ticket, "resume", actor_id=actor_id, note=hold.reason)
    await work.emit(TicketResumed(ticket, work.now - (hold.started_at or work.now)))


async def resume(ctx: Context, ticket: Ticket) -> None:
    hold = await hold_of(ctx.session, ticket_id=ticket.id or 0, states=(HoldState.ACTIVE,))
    if hold is None:
        ctx.answer(ctx.t("button.stale"))
        return
    await end_hold(ctx, ticket, hold, actor_id=ctx.person.id)
    if hold.requested_by_id != ctx.person.id:
        await ctx.tell(hold.requested_by_id, ctx.t("org.resumed", number=ticket.id))
    ctx.answer("▶️")


async def sweep_holds(work: Work) -> int:
    """Holds whose expected date has come end by themselves; the organisation and the grid worker are told."""
    due = await holds_due(work.session, now=work.now)
    for hold in due:
        ticket = await work.session.get(Ticket, hold.ticket_id)
        assert ticket is not None
        await end_hold(work, ticket, hold, actor_id=None)
        text = work.t("org.hold_due", number=ticket.id, reason=hold.reason)
        for person_id in {hold.requested_by_id, *(p.id for p in await grid_workers(work, ticket))}:
            await work.tell(int(person_id or 0), text)
    return len(due)
