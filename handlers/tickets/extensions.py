"""What other features may ask of tickets through hooks: redraw the cards, give an organisation's member the
assignee's message, pause and resume the deadline (挂账)."""

from __future__ import annotations

from handlers.core.context import Work
from handlers.core.hooks import Listen, TicketChanged, TicketPaused, TicketResumed, TicketTakenOn
from handlers.tickets.rules import Sla, refresh_timer
from handlers.tickets.service import notify_assignee, refresh_cards


async def on_changed(work: Work, hook: TicketChanged) -> None:
    await refresh_cards(work, hook.ticket)


async def on_taken_on(work: Work, hook: TicketTakenOn) -> None:
    refresh_timer(hook.ticket, work.setting(Sla))
    await notify_assignee(work, hook.ticket)
    await refresh_cards(work, hook.ticket)


async def on_paused(work: Work, hook: TicketPaused) -> None:
    hook.ticket.next_timer_at = None
    await refresh_cards(work, hook.ticket)


async def on_resumed(work: Work, hook: TicketResumed) -> None:
    hook.ticket.stage_started_at += hook.paused_for
    refresh_timer(hook.ticket, work.setting(Sla))
    await refresh_cards(work, hook.ticket)


LISTENS = (
    Listen(TicketChanged, on_changed),
    Listen(TicketTakenOn, on_taken_on),
    Listen(TicketPaused, on_paused),
    Listen(TicketResumed, on_resumed),
)
