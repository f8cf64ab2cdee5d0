"""The organisations' actions on the console's ticket page (接单, 退单, 申请挂账, 转单, 挂账 approval, 督办): the chat
buttons' own code with the chat's checks — 接单, 退单 and 申请挂账 by a member of the organisation the ticket is
with, 转单 by such a member (or, by those who dispatch, to another organisation as 选择其他单位 does), 挂账 approved
or refused by those who dispatch (the grid worker), 督办 by staff or the 街道 — so the cards and private messages
change as if pressed in the chat."""

from __future__ import annotations

from collections.abc import Mapping

from handlers.core.desk import Desk, DeskAction
from handlers.core.types import Edit
from handlers.organisations.dispatch import (
    DISPATCHABLE,
    accepted_buttons,
    acting_org,
    building_of,
    community_of,
    dispatch_org,
    pass_on,
    return_ticket,
    take_on,
)
from handlers.organisations.holds import file_hold, refuse_hold, start_hold
from handlers.organisations.whistles import chase, may_supervise
from models.organisations import (
    DispatchState,
    HoldState,
    Organisation,
    TicketDispatch,
    current_dispatch,
    hold_of,
    organisations_of,
)
from models.people import MANAGER_ROLES, has_role_over
from models.tickets import Ticket

OFFERED_AGAIN = (DispatchState.SUGGESTED, DispatchState.RETURNED)
"""Where the card offers those who dispatch 派单给 / 选择其他单位: a suggestion, or a ticket handed back."""


async def dispatches(desk: Desk, ticket: Ticket) -> bool:
    """The chat's check for the dispatchers' buttons: a managing role on the ticket's building or above it."""
    place = await building_of(desk, ticket)
    return await has_role_over(desk.session, person_id=desk.person.id or 0, place=place, roles=MANAGER_ROLES)


async def other_orgs(desk: Desk, ticket: Ticket) -> list[Organisation]:
    current = await current_dispatch(desk.session, ticket_id=ticket.id or 0)
    orgs = await organisations_of(desk.session, community_id=(await community_of(desk, ticket)).id or 0)
    return [o for o in orgs if current is None or o.id != current.organisation_id]


async def transfer_choices(desk: Desk, ticket: Ticket) -> list[tuple[str, str]]:
    return [(str(o.id), o.name) for o in await other_orgs(desk, ticket)]


async def transfer(desk: Desk, ticket: Ticket, form: Mapping[str, str]) -> str | None:
    target = next((o for o in await other_orgs(desk, ticket) if str(o.id) == form.get("choice", "")), None)
    if target is None:
        return desk.t("desk.choose_org")
    org = await acting_org(desk, ticket, desk.person.id or 0)
    current = await current_dispatch(desk.session, ticket_id=ticket.id or 0)
    if org is not None and current is not None:
        await pass_on(desk, ticket, current, org, target, actor_id=desk.person.id)
    elif await dispatches(desk, ticket):
        if ticket.status not in DISPATCHABLE or (current is not None and current.state not in OFFERED_AGAIN):
            return desk.t("desk.wrong_state")
        await dispatch_org(desk, ticket, target, actor_id=desk.person.id)
    else:
        return desk.t("org.not_member")
    return None


async def hold_choices(desk: Desk, ticket: Ticket) -> list[tuple[str, str]]:
    hold = await hold_of(desk.session, ticket_id=ticket.id or 0, states=(HoldState.REQUESTED,))
    if hold is None:
        return []
    return [("approve", desk.t("org_button.approve_hold")), ("refuse", desk.t("org_button.refuse_hold"))]


async def decide_hold(desk: Desk, ticket: Ticket, form: Mapping[str, str]) -> str | None:
    """挂账: the organisation's request (reason and expected date, asked in its private chat) approved or refused."""
    if not await dispatches(desk, ticket):
        return desk.t("button.refused")
    hold = await hold_of(desk.session, ticket_id=ticket.id or 0, states=(HoldState.REQUESTED,))
    if hold is None:
        return desk.t("desk.wrong_state")
    if form.get("choice") == "approve":
        await start_hold(desk, ticket, hold, approver_id=desk.person.id or 0)
    elif form.get("choice") == "refuse":
        await refuse_hold(desk, ticket, hold, refuser_id=desk.person.id or 0)
    else:
        return desk.t("desk.wrong_state")
    return None


async def supervise(desk: Desk, ticket: Ticket, _form: Mapping[str, str]) -> str | None:
    if not await may_supervise(desk, ticket, desk.person.id or 0):
        return desk.t("org.supervise_refused")
    await chase(desk, ticket, desk.person)
    return None


async def dispatch_in(desk: Desk, ticket: Ticket, state: DispatchState) -> TicketDispatch | None:
    """The ticket's current dispatch if it is in `state` with an organisation the signed-in person acts for."""
    current = await current_dispatch(desk.session, ticket_id=ticket.id or 0)
    if current is None or current.state != state:
        return None
    return current if await acting_org(desk, ticket, desk.person.id or 0) is not None else None


async def may_accept(desk: Desk, ticket: Ticket) -> bool:
    return await dispatch_in(desk, ticket, DispatchState.DISPATCHED) is not None


async def accept(desk: Desk, ticket: Ticket, _form: Mapping[str, str]) -> str | None:
    """接单: the member becomes the assignee; their job message and the other members' say so, as in the chat."""
    current = await dispatch_in(desk, ticket, DispatchState.DISPATCHED)
    org = await acting_org(desk, ticket, desk.person.id or 0)
    if current is None or org is None:
        return desk.t("org.not_member")
    mine = f"org:{ticket.id}:{desk.person.id}"
    desk.effects.add(
        Edit(text=desk.t("org.accepted", number=ticket.id), buttons=accepted_buttons(desk, ticket), ref_key=mine)
    )
    await take_on(desk, ticket, org, current, desk.person)
    return None


async def may_return(desk: Desk, ticket: Ticket) -> bool:
    """退单: a member of the organisation the ticket is dispatched to, accepted or not (the job message's button)."""
    return await acting_org(desk, ticket, desk.person.id or 0) is not None


async def hand_back(desk: Desk, ticket: Ticket, form: Mapping[str, str]) -> str | None:
    """退单 with the form's reason, as the private answer to 请回复退单原因 gives it."""
    if not await may_return(desk, ticket):
        return desk.t("org.not_member")
    reason = form.get("text", "").strip()[:300]
    if not reason:
        return desk.t("desk.return_reason")
    current = await current_dispatch(desk.session, ticket_id=ticket.id or 0)
    assert current is not None
    current.awaiting, current.awaiting_id = None, None  # a 退单 asked for in the chat is answered here
    await return_ticket(desk, ticket, current, reason, actor_id=desk.person.id)
    return None


async def may_request_hold(desk: Desk, ticket: Ticket) -> bool:
    """申请挂账: the accepted ticket of the member's organisation, with no hold asked for or running."""
    asked = await hold_of(desk.session, ticket_id=ticket.id or 0, states=(HoldState.REQUESTED, HoldState.ACTIVE))
    return asked is None and await dispatch_in(desk, ticket, DispatchState.ACCEPTED) is not None


async def request_hold(desk: Desk, ticket: Ticket, form: Mapping[str, str]) -> str | None:
    if not await may_request_hold(desk, ticket):
        return desk.t("org.not_member")
    current = await dispatch_in(desk, ticket, DispatchState.ACCEPTED)
    assert current is not None
    if not await file_hold(desk, ticket, current, form.get("text", "")[:300], requester_id=desk.person.id or 0):
        return desk.t("org.bad_hold")
    return None


async def transfers(desk: Desk, ticket: Ticket) -> bool:
    return await acting_org(desk, ticket, desk.person.id or 0) is not None or await dispatches(desk, ticket)


async def supervises(desk: Desk, ticket: Ticket) -> bool:
    return await may_supervise(desk, ticket, desk.person.id or 0)


def is_open(ticket: Ticket) -> bool:
    return ticket.is_open


DESK_ACTIONS = (
    DeskAction("accept", "desk.accept", accept, is_open, permitted=may_accept),
    DeskAction("return", "desk.return", hand_back, is_open, permitted=may_return, asks="desk.return_hint"),
    DeskAction(
        "request_hold", "desk.request_hold", request_hold, is_open, permitted=may_request_hold, asks="desk.hold_hint"
    ),
    DeskAction("transfer", "desk.transfer", transfer, is_open, transfer_choices, permitted=transfers),
    DeskAction("hold", "desk.hold", decide_hold, is_open, hold_choices, permitted=dispatches),
    DeskAction("supervise", "desk.supervise", supervise, is_open, permitted=supervises),
)
