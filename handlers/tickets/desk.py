"""The ticket actions the console offers (派单, 吹哨, 关闭 for the managers; 已处理 for the ticket's assignee, an
organisation's member who accepted it): the chat buttons' own code, with the chat's permission check (one of the
managers' roles over the ticket's building; being the assignee) and the chat's state rules; the cards and private
messages in the chats change as if the button had been pressed there."""

from __future__ import annotations

from collections.abc import Mapping

from handlers.core.desk import Desk, DeskAction
from handlers.core.types import Edit
from handlers.tickets.lifecycle import assignable, close_as_fixed, close_as_not_a_problem, dispatch_to, mark_resolved
from handlers.tickets.rules import NEXT_TIER, allowed
from handlers.tickets.service import MANAGERS, building_of
from handlers.tickets.timers import escalate
from models.people import has_role_over
from models.tickets import Ticket, TicketStatus, Tier


async def refusal(desk: Desk, ticket: Ticket) -> str | None:
    """The chat's check for the managers' buttons: a managing role on the ticket's building or above it."""
    place = await building_of(desk, ticket)
    if await has_role_over(desk.session, person_id=desk.person.id or 0, place=place, roles=MANAGERS):
        return None
    return desk.t("button.refused")


async def manages(desk: Desk, ticket: Ticket) -> bool:
    return await refusal(desk, ticket) is None


async def is_assignee(desk: Desk, ticket: Ticket) -> bool:
    return ticket.assignee_id is not None and ticket.assignee_id == desk.person.id


async def dispatch_choices(desk: Desk, ticket: Ticket) -> list[tuple[str, str]]:
    return [(str(p.id), p.display_name) for p in await assignable(desk, ticket)]


async def dispatch(desk: Desk, ticket: Ticket, form: Mapping[str, str]) -> str | None:
    refused = await refusal(desk, ticket)
    if refused is not None:
        return refused
    if not allowed("assign", ticket.status):
        return desk.t("desk.wrong_state")
    chosen = next((p for p in await assignable(desk, ticket) if str(p.id) == form.get("choice", "")), None)
    if chosen is None:
        return desk.t("desk.choose_assignee")
    await dispatch_to(desk, ticket, chosen, actor_id=desk.person.id, chat_id=None)
    return None


def may_escalate(ticket: Ticket) -> bool:
    return ticket.is_open and Tier(ticket.tier) in NEXT_TIER


async def escalate_now(desk: Desk, ticket: Ticket, _form: Mapping[str, str]) -> str | None:
    refused = await refusal(desk, ticket)
    if refused is not None:
        return refused
    if not may_escalate(ticket):
        return desk.t("desk.wrong_state")
    await escalate(desk, ticket, actor_id=desk.person.id)
    return None


def may_close(ticket: Ticket) -> bool:
    return ticket.status in (TicketStatus.REPORTED, TicketStatus.RESOLVED)


async def close(desk: Desk, ticket: Ticket, _form: Mapping[str, str]) -> str | None:
    """A report that is not a problem (不是问题), or a fixed one the resident has not answered yet (as 访)."""
    refused = await refusal(desk, ticket)
    if refused is not None:
        return refused
    if ticket.status == TicketStatus.REPORTED:
        await close_as_not_a_problem(desk, ticket, reason="other", actor_id=desk.person.id, chat_id=None)
    elif ticket.status == TicketStatus.RESOLVED:
        await close_as_fixed(desk, ticket, actor_id=desk.person.id, chat_id=None)
    else:
        return desk.t("desk.wrong_state")
    return None


async def resolve(desk: Desk, ticket: Ticket, _form: Mapping[str, str]) -> str | None:
    """已处理 by the assignee: the residents are asked (回访) and the assignee's private message says it is done."""
    if not await is_assignee(desk, ticket):
        return desk.t("ticket.not_assignee")
    if not allowed("resolve", ticket.status):
        return desk.t("desk.wrong_state")
    desk.effects.add(Edit(text=desk.t("ticket.done_private", number=ticket.id), ref_key=f"ticket:{ticket.id}:a"))
    await mark_resolved(desk, ticket, actor_id=desk.person.id, chat_id=None)
    return None


DESK_ACTIONS = (
    DeskAction(
        "dispatch",
        "desk.dispatch",
        dispatch,
        lambda t: allowed("assign", t.status),
        dispatch_choices,
        permitted=manages,
    ),
    DeskAction("escalate", "desk.escalate", escalate_now, may_escalate, permitted=manages),
    DeskAction("close", "desk.close", close, may_close, permitted=manages),
    DeskAction("resolve", "desk.resolve", resolve, lambda t: allowed("resolve", t.status), permitted=is_assignee),
)
