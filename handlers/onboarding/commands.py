"""/start (with invite payloads), /help that fits the sender's roles, /me."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.common.roles import describe_grants
from handlers.core.context import Context
from handlers.core.feature import HELP_TOPICS, Command
from handlers.core.hooks import RoleGranted
from handlers.core.notify import find_held, held_keyboard
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard
from models.people import InviteProblem, Role, person_by_id, redeem_invite
from models.places import place_by_id, place_label
from models.reach import HeldMessage
from models.role_audit import changes_of, invite_by_code


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
    invite = await invite_by_code(ctx.session, code=code)
    assert invite is not None
    place = await place_by_id(ctx.session, place_id=grant.place_id)
    label = await place_label(ctx.session, place=place) if place else ""
    ctx.reply(ctx.t("start.invite_ok", place=label, role=ctx.t(f"role.{grant.role}")))
    await ctx.emit(RoleGranted(grant=grant, invite=invite))


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


def help_page(ctx: Context, topic: str = HELP_TOPICS[0]) -> tuple[str, Keyboard]:
    """/help a page at a time: the everyday commands first (with the sender's roles), every other topic the sender
    has commands in behind a button; a topic's page leads back to the first."""
    commands = visible_commands(ctx.config.menu, ctx.roles)
    shown = [c for c in commands if c.topic == topic]
    first = topic == HELP_TOPICS[0]
    lines = [ctx.t("help.header") if first else ctx.t(f"help.topic_{topic}") + ctx.t("help.topic_colon")]
    lines += [f"/{c.name} — {ctx.t(c.description_key)}" for c in shown]
    words = [c.aliases[0] for c in shown if c.aliases]
    if words:
        lines += ["", ctx.t("help.plain_words", words="、".join(words))]
    if first:
        role_labels = "、".join(sorted({ctx.t(f"role.{r}") for r in ctx.roles}))
        lines += ["", ctx.t("help.roles", roles=role_labels) if ctx.roles else ctx.t("help.no_roles")]
    others = [t for t in HELP_TOPICS[1:] if t != topic and any(c.topic == t for c in commands)]
    if others:
        lines += ["", ctx.t("help.more")]
    buttons = [Button(ctx.t(f"help.topic_{t}"), f"help:{t}") for t in others]
    if not first:
        buttons.append(Button(ctx.t("help.home"), f"help:{HELP_TOPICS[0]}"))
    return "\n".join(lines), in_threes(buttons)


def in_threes(buttons: list[Button]) -> Keyboard:
    return tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))


async def show_help(ctx: Context, message: IncomingMessage) -> None:
    """What the sender can do (the menu every feature's commands make up), a short page at a time."""
    text, buttons = help_page(ctx)
    ctx.reply(text, buttons=buttons)


async def on_help_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """help:<topic>: the page of that topic, for whoever pressed."""
    topic = parts[0] if parts and parts[0] in HELP_TOPICS else None
    if topic is None:
        ctx.answer(ctx.t("button.stale"))
        return
    text, buttons = help_page(ctx, topic)
    ctx.edit_pressed(text, buttons=buttons)
    ctx.answer()


async def me(ctx: Context, message: IncomingMessage) -> None:
    """Show the sender's roles and where they hold them, then the latest changes to them (who granted, revoked)."""
    lines = await describe_grants(ctx)
    text = ctx.t("me.list", name=ctx.person.display_name, roles="\n".join(lines)) if lines else ctx.t("me.none")
    history = await role_history(ctx)
    ctx.reply(f"{text}\n\n{ctx.t('me.history')}\n" + "\n".join(history) if history else text)


async def role_history(ctx: Context) -> list[str]:
    """One line per recorded change of the sender's roles, newest first: when, what, where, by whom."""
    assert ctx.person.id is not None
    lines = []
    for change in await changes_of(ctx.session, person_id=ctx.person.id):
        place = await place_by_id(ctx.session, place_id=change.place_id)
        actor = await person_by_id(ctx.session, person_id=change.actor_id) if change.actor_id else None
        lines.append(
            ctx.t(
                f"me.change_{change.change}",
                when=change.created_at.astimezone(ctx.config.timezone).strftime("%Y-%m-%d %H:%M"),
                role=ctx.t(f"role.{change.role}"),
                place=await place_label(ctx.session, place=place) if place else "?",
                by=actor.display_name if actor else ctx.t("me.by_system"),
            )
        )
    return lines
