"""Group life: greeting on join, going inactive on removal, a new id after an upgrade, residents by speaking."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.types import BotMembership, ChatMoved, IncomingMessage, MembershipStatus
from models.chats import move_chat
from models.people import Role, active_grants, grant_role
from models.places import PlaceKind


async def on_membership(ctx: Context, change: BotMembership) -> None:
    """Greet on join and explain privacy mode; remember removal so nothing is sent there again."""
    if change.status is MembershipStatus.REMOVED:
        ctx.chat.active = False
        return
    was_reading = bool(ctx.chat.can_read_all)
    ctx.chat.active, ctx.chat.can_read_all = True, change.can_read_all
    if change.status is MembershipStatus.ADDED:
        ctx.reply(ctx.t("group.greeting"))
        if not change.can_read_all:
            ctx.reply(ctx.t("group.privacy"))
    elif change.can_read_all and not was_reading:
        ctx.reply(ctx.t("group.promoted"))


async def on_moved(ctx: Context, moved: ChatMoved) -> None:
    """A basic group upgraded to a supergroup: keep its binding under the new id."""
    await move_chat(ctx.session, chat=ctx.chat, new_platform_chat_id=moved.new_chat_id)


async def register_resident(ctx: Context, message: IncomingMessage) -> None:
    """Someone speaking in a bound building group is a resident of that building."""
    if not ctx.in_group or ctx.place is None or ctx.place.kind != PlaceKind.BUILDING:
        return
    if any(g.place_id == ctx.place.id for g in ctx.grants):
        return
    assert ctx.person.id is not None
    await grant_role(ctx.session, person_id=ctx.person.id, role=Role.RESIDENT, place=ctx.place, granted_by_id=None)
    ctx.grants[:] = await active_grants(ctx.session, person_id=ctx.person.id)
