"""/tickets (我的报修) and /ticket N (详情), scoped to what the asker may see."""

from __future__ import annotations

from handlers.common.numbers import parse_id, read_number
from handlers.core.context import Context
from handlers.core.hooks import SeeingTicket
from handlers.core.texts import quoted
from handlers.core.types import IncomingCallback, IncomingMessage, Keyboard
from handlers.tickets.cards import short, status_line
from handlers.tickets.rules import REJECT_REASONS
from handlers.tickets.service import MANAGERS, full_card, name_of
from handlers.tickets.texts import ORG_ACTIONS
from models.places import PlaceKind, place_by_id, places_within
from models.tickets import (
    Ticket,
    TicketEvent,
    affected_people,
    count_open_in,
    count_reported_by,
    events_of,
    open_tickets_in,
    tickets_reported_by,
)

PAGE = 8
NOTED = ORG_ACTIONS
"""History steps shown with their note (the organisation, the reason)."""


async def managed_buildings(ctx: Context) -> list[int]:
    """Buildings under any node where the asker holds a managing role."""
    ids: set[int] = set()
    for grant in ctx.grants:
        if grant.role in MANAGERS:
            scope = await place_by_id(ctx.session, place_id=grant.place_id)
            if scope is not None:
                ids |= {p.id or 0 for p in await places_within(ctx.session, scope=scope, kind=PlaceKind.BUILDING)}
    return sorted(ids)


def line(ctx: Context, ticket: Ticket) -> str:
    text = ctx.t("category.dispute") if ticket.private else short(ticket.text, 24)
    return ctx.t(
        "tickets.line",
        number=ticket.id,
        category=ctx.t(f"category.{ticket.category}"),
        status=status_line(ctx.locale, ticket, None).split("\n")[0],
        text=text,
    )


def action_words(ctx: Context, event: TicketEvent) -> str:
    """What a history line says was done; a dispatch says to whom."""
    if event.action == "assign" and event.note:
        return ctx.t("ticket.assigned_to", name=event.note)
    if event.action == "reject" and event.note in REJECT_REASONS:
        return ctx.t("ticket.rejected_because", reason=ctx.t(f"reject.{event.note}"))
    words = ctx.t(f"action.{event.action}")
    return f"{words}（{event.note}）" if event.action in NOTED and event.note else words


async def ticket_list(ctx: Context, page: int) -> tuple[str, Keyboard]:
    """A manager sees open tickets in their scope; everyone else their own reports."""
    buildings = await managed_buildings(ctx)
    person_id = ctx.person.id or 0
    if buildings:
        total = await count_open_in(ctx.session, building_ids=buildings)
        tickets = await open_tickets_in(ctx.session, building_ids=buildings, limit=PAGE, offset=page * PAGE)
        header = ctx.t("tickets.scope_header", scope=ctx.t("role." + _top_role(ctx)), total=total)
    else:
        total = await count_reported_by(ctx.session, person_id=person_id)
        tickets = await tickets_reported_by(ctx.session, person_id=person_id, limit=PAGE, offset=page * PAGE)
        header = ctx.t("tickets.mine_header", total=total)
    if not tickets:
        return ctx.t("tickets.none"), ()
    paging = ctx.paging_row(page=page, more=(page + 1) * PAGE < total, data="tl")
    return "\n".join([header, *(line(ctx, t) for t in tickets)]), paging


def _top_role(ctx: Context) -> str:
    order = [str(r) for r in reversed(MANAGERS)]
    return next(r for r in order if any(g.role == r for g in ctx.grants))


async def tickets(ctx: Context, message: IncomingMessage) -> None:
    text, buttons = await ticket_list(ctx, 0)
    ctx.reply(text, buttons=buttons)


async def tickets_page(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    page = read_number(parts[0]) if parts else 0
    text, buttons = await ticket_list(ctx, page if isinstance(page, int) else 0)
    ctx.edit_pressed(text, buttons=buttons)
    ctx.answer()


async def may_see(ctx: Context, ticket: Ticket) -> bool:
    person_id = ctx.person.id
    if person_id in (ticket.reporter_id, ticket.assignee_id):
        return True
    if ticket.building_id in await managed_buildings(ctx):
        return True
    if not ticket.private and person_id in await affected_people(ctx.session, ticket_id=ticket.id or 0):
        return True
    asked = SeeingTicket(ticket, person_id or 0)
    await ctx.emit(asked)
    return any(asked.allowed)


async def ticket_detail(ctx: Context, message: IncomingMessage) -> None:
    """Details and history of one ticket, if the asker may see it."""
    if not message.args.strip():
        ctx.reply(ctx.t("ticket.usage"))
        return
    number = parse_id(message.args)
    if number is None:
        ctx.reply(ctx.t("number.unknown", value=quoted(message.args)))
        return
    ticket = await ctx.session.get(Ticket, number)
    if ticket is None or not await may_see(ctx, ticket):
        ctx.reply(ctx.t("ticket.not_found", number=number))
        return
    lines = [await full_card(ctx, ticket), "", ctx.t("ticket.history")]
    for event in await events_of(ctx.session, ticket_id=ticket.id or 0):
        who = await name_of(ctx, event.actor_id) or ctx.t("ticket.system")
        when = event.created_at.astimezone(ctx.config.timezone).strftime("%m-%d %H:%M")
        lines.append(ctx.t("ticket.event", time=when, who=who, action=action_words(ctx, event)))
    ctx.reply("\n".join(lines))
