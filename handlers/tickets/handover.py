"""A role handed over (楼栋长 交接): the open tickets the previous holder was handling in that place go to the
successor, each with a line in its history and fresh cards."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.hooks import RoleHandedOver
from handlers.tickets.service import notify_assignee, record, refresh_cards
from models.places import PlaceKind, places_within
from models.tickets import assigned_within


async def move_open_tickets(ctx: Context, hook: RoleHandedOver) -> None:
    buildings = await places_within(ctx.session, scope=hook.place, kind=PlaceKind.BUILDING)
    tickets = await assigned_within(
        ctx.session, person_id=hook.from_person_id, building_ids=[b.id or 0 for b in buildings]
    )
    for ticket in tickets:
        ticket.assignee_id, ticket.updated_at = hook.to_person_id, ctx.now
        await record(ctx, ticket, "handover", actor_id=ctx.person.id, note=ctx.person.display_name, chat_id=ctx.chat.id)
        await refresh_cards(ctx, ticket)
        await notify_assignee(ctx, ticket)
