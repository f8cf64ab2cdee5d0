"""关联账号: one person on Telegram and WeCom — a one-time code shown on one side and sent on the other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from handlers.core.context import Context
from handlers.core.types import IncomingMessage
from models.people import LinkProblem, create_link_code, merge_people, person_by_id, redeem_link_code


@dataclass(frozen=True)
class LinkSettings:
    code_ttl: timedelta


def link_settings(env: Any) -> LinkSettings:
    return LinkSettings(code_ttl=timedelta(minutes=env.link_code_ttl_minutes))


async def link(ctx: Context, message: IncomingMessage) -> None:
    """Without a code: show one. With a code from the other platform: make both accounts one person."""
    code = message.args.strip()
    if not code:
        await show_code(ctx)
    else:
        await use_code(ctx, code)


async def show_code(ctx: Context) -> None:
    ttl = ctx.setting(LinkSettings).code_ttl
    made = await create_link_code(
        ctx.session, person_id=ctx.person.id or 0, platform=ctx.platform, now=ctx.now, ttl=ttl
    )
    ctx.reply(ctx.t("link.code", code=made.code, minutes=int(ttl / timedelta(minutes=1))))


async def use_code(ctx: Context, code: str) -> None:
    """Merge the newer person into the older one (which carries more history); both accounts stay."""
    me = ctx.person.id or 0
    found, problem = await redeem_link_code(ctx.session, code=code, person_id=me, platform=ctx.platform, now=ctx.now)
    if found is None:
        ctx.reply(ctx.t(f"link.{(problem or LinkProblem.UNKNOWN).value}"))
        return
    keep, drop = sorted((me, found.person_id))
    await merge_people(ctx.session, keep_id=keep, drop_id=drop, steps=ctx.config.merge_steps)
    person = await person_by_id(ctx.session, person_id=keep)
    ctx.reply(ctx.t("link.done", name=person.display_name if person else ""))
