"""o:<action>:<ticket>[:<arg>] — the organisation buttons, each checked against who may press it, and the private
answers to 请回复退单原因 / 挂账原因."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.common.numbers import parse_id
from handlers.core.context import Context
from handlers.core.types import IncomingCallback, IncomingMessage
from handlers.organisations import holds
from handlers.organisations.dispatch import (
    accept,
    acting_org,
    ask_reason,
    ask_return,
    awaited,
    choose,
    choose_transfer,
    dispatch_now,
    hand_back,
    may_dispatch,
    phoned,
    transfer,
)
from handlers.organisations.whistles import report_in, supervise
from models.organisations import DispatchState, Organisation
from models.tickets import Ticket, ticket_for_change

DispatcherAction = Callable[[Context, Ticket, str | None], Awaitable[None]]
MemberAction = Callable[[Context, Ticket, Organisation, str | None], Awaitable[None]]


async def _approve(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    await holds.approve(ctx, ticket)


async def _refuse(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    await holds.refuse(ctx, ticket)


async def _accept(ctx: Context, ticket: Ticket, org: Organisation, _arg: str | None) -> None:
    await accept(ctx, ticket, org)


async def _return(ctx: Context, ticket: Ticket, org: Organisation, _arg: str | None) -> None:
    await ask_return(ctx, ticket, org)


async def _transfer(ctx: Context, ticket: Ticket, org: Organisation, _arg: str | None) -> None:
    await choose_transfer(ctx, ticket, org)


async def _hold(ctx: Context, ticket: Ticket, org: Organisation, _arg: str | None) -> None:
    await ask_reason(ctx, ticket, org, "hold")


DISPATCHER: dict[str, DispatcherAction] = {"d": dispatch_now, "p": phoned, "c": choose, "ha": _approve, "hr": _refuse}
MEMBER: dict[str, MemberAction] = {"a": _accept, "r": _return, "t": _transfer, "tt": transfer, "h": _hold}
SELF_CHECKED: dict[str, DispatcherAction] = {"ri": report_in, "sv": supervise}
"""报到 and 督办 check who presses them themselves (a whistled organisation's member; staff or the 街道)."""


async def on_org_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    action = parts[0] if parts else ""
    ticket_id = parse_id(parts[1]) if len(parts) >= 2 else None
    ticket = await ticket_for_change(ctx.session, ticket_id=ticket_id) if ticket_id else None
    arg = parts[2] if len(parts) > 2 else None
    if ticket is None or action not in (*DISPATCHER, *MEMBER, *SELF_CHECKED, "hx"):
        ctx.answer(ctx.t("button.stale"))
        return
    if action in SELF_CHECKED:
        await SELF_CHECKED[action](ctx, ticket, arg)
        return
    if action in DISPATCHER:
        if not await may_dispatch(ctx, ticket):
            ctx.answer(ctx.t("button.refused"), alert=True)
            return
        await DISPATCHER[action](ctx, ticket, arg)
        return
    org = await acting_org(ctx, ticket, ctx.person.id or 0)
    if action == "hx":
        if org is None and not await may_dispatch(ctx, ticket):
            ctx.answer(ctx.t("button.refused"), alert=True)
            return
        await holds.resume(ctx, ticket)
        return
    if org is None:
        ctx.answer(ctx.t("org.not_member"), alert=True)
        return
    await MEMBER[action](ctx, ticket, org, arg)


async def on_reason(ctx: Context, message: IncomingMessage) -> bool:
    """The private answer to 请回复退单原因 / 挂账原因 (the sender's next message after the button)."""
    if ctx.in_group or not message.text.strip():
        return False
    dispatch = await awaited(ctx)
    if dispatch is None:
        return False
    ticket = await ticket_for_change(ctx.session, ticket_id=dispatch.ticket_id)
    assert ticket is not None
    awaiting, dispatch.awaiting, dispatch.awaiting_id = dispatch.awaiting, None, None
    if not ticket.is_open:
        ctx.reply(ctx.t("button.stale"))
    elif awaiting == "return":
        await hand_back(ctx, ticket, dispatch, message.text.strip())
    elif dispatch.state != DispatchState.ACCEPTED:
        ctx.reply(ctx.t("button.stale"))
    elif not await holds.request_hold(ctx, ticket, dispatch, message.text.strip()):
        dispatch.awaiting, dispatch.awaiting_id = awaiting, ctx.person.id  # asked again, until it can be read
    return True
