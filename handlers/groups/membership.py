"""Group life: greeting on join, going inactive on removal, a new id after an upgrade."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.types import BotMembership, ChatMoved, MembershipStatus
from models.chats import move_chat


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
