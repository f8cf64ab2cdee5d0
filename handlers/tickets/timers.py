"""跟: the sweep that reminds before a deadline, escalates 楼栋 → 网格 → 社区 after it, and closes quiet tickets."""

from __future__ import annotations

from handlers.tickets.cards import short, status_line
from handlers.tickets.rules import NEXT_TIER, refresh_timer, start_stage
from handlers.tickets.service import Desk, group_line
from models.tickets import Ticket, TicketStatus, Tier, tickets_due


async def sweep(desk: Desk) -> int:
    """Handle every ticket whose timer has come; returns how many were handled."""
    due = await tickets_due(desk.session, now=desk.now)
    for ticket in due:
        if ticket.status == TicketStatus.RESOLVED:
            await auto_verify(desk, ticket)
        elif not ticket.reminded:
            await remind(desk, ticket)
        else:
            await escalate(desk, ticket)
    return len(due)


async def responsible(desk: Desk, ticket: Ticket) -> list[int]:
    """Who is answerable now: the assignee while it is being handled, otherwise the current tier."""
    if ticket.assignee_id is not None and ticket.status != TicketStatus.REPORTED and ticket.tier == Tier.BUILDING:
        return [ticket.assignee_id]
    return [p.id or 0 for p in await desk.people_for_tier(ticket, ticket.tier)]


async def remind(desk: Desk, ticket: Ticket) -> None:
    ticket.reminded = True
    minutes = max(1, int(((ticket.due_at or desk.now) - desk.now).total_seconds() // 60))
    text = desk.t(
        "ticket.reminder",
        number=ticket.id,
        category=desk.t(f"category.{ticket.category}"),
        minutes=minutes,
        status=status_line(desk.locale, ticket, await desk.name_of(ticket.assignee_id)),
    )
    for person_id in await responsible(desk, ticket):
        await desk.tell(person_id, text)
    await desk.record(ticket, "remind", actor_id=None)
    refresh_timer(ticket, desk.sla)


async def escalate(desk: Desk, ticket: Ticket) -> None:
    """吹哨: one tier up, the new tier told privately, one short line in the group, a fresh clock."""
    new_tier = NEXT_TIER.get(Tier(ticket.tier))
    if new_tier is None:
        ticket.next_timer_at = None
        return
    ticket.tier = new_tier
    await desk.record(ticket, "escalate", actor_id=None, note=new_tier)
    details = desk.t(
        f"ticket.escalated_private_{new_tier}",
        number=ticket.id,
        category=desk.t(f"category.{ticket.category}"),
        place=await desk.place_text(ticket),
        text=short(ticket.text, 200),
    )
    for person in await desk.people_for_tier(ticket, new_tier):
        await desk.tell(person.id or 0, details)
    await group_line(desk, ticket, desk.t(f"ticket.escalated_{new_tier}", number=ticket.id))
    start_stage(ticket, desk.sla, desk.now)
    await desk.refresh_cards(ticket)


async def auto_verify(desk: Desk, ticket: Ticket) -> None:
    """No answer to 修好了吗？ in time: take it as fixed."""
    await desk.record(ticket, "verify", actor_id=None, to_status=TicketStatus.VERIFIED, note="auto")
    ticket.closed_at, ticket.next_timer_at = desk.now, None
    await desk.tell(ticket.reporter_id, desk.t("ticket.auto_verified", number=ticket.id))
    await desk.refresh_cards(ticket)
