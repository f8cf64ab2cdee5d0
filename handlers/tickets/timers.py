"""跟: the sweep that reminds before a deadline, escalates 楼栋 → 网格 → 社区 after it, and closes quiet tickets."""

from __future__ import annotations

from handlers.common.ticket_places import ticket_place
from handlers.core.context import Work
from handlers.core.hooks import TicketEscalated
from handlers.tickets.cards import short, status_line
from handlers.tickets.rules import NEXT_TIER, Sla, refresh_timer, start_stage
from handlers.tickets.service import (
    knock_for,
    name_of,
    people_for_tier,
    progress_line,
    record,
    refresh_cards,
)
from models.tickets import Ticket, TicketStatus, Tier, tickets_due


async def sweep(work: Work) -> int:
    """Handle every ticket whose timer has come; returns how many were handled."""
    due = await tickets_due(work.session, now=work.now)
    for ticket in due:
        if ticket.status == TicketStatus.RESOLVED:
            await auto_verify(work, ticket)
        elif not ticket.reminded:
            await remind(work, ticket)
        else:
            await escalate(work, ticket)
    return len(due)


async def responsible(work: Work, ticket: Ticket) -> list[int]:
    """Who is answerable now: the assignee while it is being handled, otherwise the current tier."""
    if ticket.assignee_id is not None and ticket.status != TicketStatus.REPORTED and ticket.tier == Tier.BUILDING:
        return [ticket.assignee_id]
    return [p.id or 0 for p in await people_for_tier(work, ticket, ticket.tier)]


async def remind(work: Work, ticket: Ticket) -> None:
    ticket.reminded = True
    minutes = max(1, int(((ticket.due_at or work.now) - work.now).total_seconds() // 60))
    text = work.t(
        "ticket.reminder",
        number=ticket.id,
        category=work.t(f"category.{ticket.category}"),
        minutes=minutes,
        place=await ticket_place(work, ticket),
        status=status_line(work.locale, ticket, await name_of(work, ticket.assignee_id)),
    )
    for person_id in await responsible(work, ticket):
        await work.tell(person_id, text, fallback=await knock_for(work, ticket, person_id))
    await record(work, ticket, "remind", actor_id=None)
    refresh_timer(ticket, work.setting(Sla))


async def escalate(work: Work, ticket: Ticket, *, actor_id: int | None = None) -> None:
    """吹哨: one tier up, the new tier told privately, one short line in the group, a fresh clock (by the sweep after
    a deadline, or by someone who manages the ticket, `actor_id`)."""
    new_tier = NEXT_TIER.get(Tier(ticket.tier))
    if new_tier is None:
        ticket.next_timer_at = None
        return
    ticket.tier = new_tier
    await record(work, ticket, "escalate", actor_id=actor_id, note=new_tier)
    details = work.t(
        f"ticket.escalated_private_{new_tier}",
        number=ticket.id,
        category=work.t(f"category.{ticket.category}"),
        place=await ticket_place(work, ticket),
        text=short(ticket.text, 200),
    )
    for person in await people_for_tier(work, ticket, new_tier):
        await work.tell(person.id or 0, details, fallback=await knock_for(work, ticket, person.id or 0))
    await progress_line(work, ticket, work.t(f"ticket.escalated_{new_tier}", number=ticket.id))
    start_stage(ticket, work.setting(Sla), work.now)
    await work.emit(TicketEscalated(ticket, new_tier))
    await refresh_cards(work, ticket)


async def auto_verify(work: Work, ticket: Ticket) -> None:
    """No answer to 修好了吗？ in time: take it as fixed."""
    await record(work, ticket, "verify", actor_id=None, to_status=TicketStatus.VERIFIED, note="auto")
    ticket.closed_at, ticket.next_timer_at = work.now, None
    done = work.t("ticket.auto_verified", number=ticket.id)
    await work.tell(ticket.reporter_id, done, fallback=await knock_for(work, ticket, ticket.reporter_id))
    await refresh_cards(work, ticket)
