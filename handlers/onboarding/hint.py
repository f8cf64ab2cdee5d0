"""The last word in a private chat: a message no command, waiting step or request took is answered with
「发送 帮助 查看可以做什么。」, at most once an hour per person, so it is met neither with silence nor with a flood."""

from __future__ import annotations

from datetime import timedelta

from handlers.core.context import Context
from handlers.core.types import IncomingMessage

HINT_EVERY = timedelta(hours=1)


async def hint_help(ctx: Context, message: IncomingMessage) -> bool:
    """Any other private message: the hint, unless this person had it within the hour."""
    if ctx.in_group:
        return False
    hinted = ctx.person.help_hinted_at
    if hinted is None or ctx.now - hinted >= HINT_EVERY:
        ctx.person.help_hinted_at = ctx.now
        ctx.reply(ctx.t("help.hint"))
    return True
