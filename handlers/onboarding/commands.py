"""/start (with invite payloads), /help that fits the sender's roles, /me."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.common.roles import describe_grants
from handlers.core.context import Context
from handlers.core.feature import Command
from handlers.core.hooks import InviteRedeemed
from handlers.core.notify import find_held, held_keyboard
from handlers.core.types import IncomingMessage
from models.people import InviteProblem, Role, redeem_invite
from models.places import place_by_id, place_label
from models.reach import HeldMessage


async def start(ctx: Context, message: IncomingMessage) -> None:
    """Greet; with a payload, redeem the one-time invite it carries."""
    code = message.args.strip()
    if not code:
        ctx.reply(ctx.t("start.hello", name=ctx.person.display_name))
        return
    held = await find_held(ctx.session, code)
    if held is not None:
        bring_held(ctx, held)
        return
    assert ctx.person.id is not None
    grant, problem = await redeem_invite(ctx.session, code=code, person_id=ctx.person.id, now=ctx.now)
    if grant is None:
        ctx.reply(ctx.t(f"start.invite_{(problem or InviteProblem.UNKNOWN).value}"))
        return
    ctx.grants.append(grant)
    place = await place_by_id(ctx.session, place_id=grant.place_id)
    label = await place_label(ctx.session, place=place) if place else ""
    ctx.reply(ctx.t("start.invite_ok", place=label, role=ctx.t(f"role.{grant.role}")))
    await ctx.emit(InviteRedeemed(code, grant))


def bring_held(ctx: Context, held: HeldMessage) -> None:
    """The deep link from a group message opened the private chat: show the message kept for that step."""
    if held.person_id != ctx.person.id:
        ctx.reply(ctx.t("reach.not_yours"))
        return
    held.delivered_at = held.delivered_at or ctx.now
    ctx.reply(held.text, buttons=held_keyboard(held))


def visible_commands(menu: Iterable[Command], roles: set[Role]) -> list[Command]:
    """Commands this person may use: open ones plus those of any role they hold."""
    return [c for c in menu if c.roles is None or c.roles & roles]


def help_text(ctx: Context) -> str:
    roles = ctx.roles
    commands = visible_commands(ctx.config.menu, roles)
    lines = [ctx.t("help.header")]
    lines += [f"/{c.name} — {ctx.t(c.description_key)}" for c in commands]
    words = [c.aliases[0] for c in commands if c.aliases]
    if words:
        lines += ["", ctx.t("help.plain_words", words="、".join(words))]
    role_labels = "、".join(sorted({ctx.t(f"role.{r}") for r in roles}))
    lines += ["", ctx.t("help.roles", roles=role_labels) if roles else ctx.t("help.no_roles")]
    return "\n".join(lines)


async def show_help(ctx: Context, message: IncomingMessage) -> None:
    """List what the sender can do (the menu every feature's commands make up)."""
    ctx.reply(help_text(ctx))


async def me(ctx: Context, message: IncomingMessage) -> None:
    """Show the sender's roles and where they hold them."""
    lines = await describe_grants(ctx)
    if not lines:
        ctx.reply(ctx.t("me.none"))
        return
    ctx.reply(ctx.t("me.list", name=ctx.person.display_name, roles="\n".join(lines)))
