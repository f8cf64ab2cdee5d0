"""值班 (/duty): an organisation's member says whether they are on duty. Jobs dispatched to the organisation and
urgent requests go to its members on duty, and to every member when nobody is (the grid worker is then given the
duty phone too)."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard
from models.organisations import Organisation, OrgMember, duties_of, members_of

ON_WORDS = ("开", "开始", "上班", "on")
OFF_WORDS = ("关", "结束", "下班", "off")


async def duty_text(ctx: Context, duties: list[tuple[Organisation, OrgMember]]) -> str:
    lines = []
    for org, member in duties:
        on_duty = len(await members_of(ctx.session, organisation_id=org.id or 0, on_duty=True))
        everyone = len(await members_of(ctx.session, organisation_id=org.id or 0))
        state = ctx.t("org.duty_on" if member.on_duty else "org.duty_off")
        lines.append(ctx.t("org.duty_line", org=org.name, state=state, on_duty=on_duty, members=everyone))
    return ctx.t("org.duty_header", lines="\n".join(lines))


def duty_buttons(ctx: Context, duties: list[tuple[Organisation, OrgMember]]) -> Keyboard:
    return tuple(
        (
            Button(
                ctx.t("org_button.duty_off" if member.on_duty else "org_button.duty_on", org=org.name),
                f"od:{org.id}:{0 if member.on_duty else 1}",
            ),
        )
        for org, member in duties
    )


async def duty_command(ctx: Context, message: IncomingMessage) -> None:
    """值班 开 / 值班 关 for every organisation the sender acts for; 值班 alone shows it with a button each."""
    duties = await duties_of(ctx.session, person_id=ctx.person.id or 0)
    word = message.args.strip().lower()
    if not duties:
        ctx.reply(ctx.t("org.duty_refused"))
        return
    if word and word not in (*ON_WORDS, *OFF_WORDS):
        ctx.reply(ctx.t("org.duty_usage"))
        return
    if word:
        for _, member in duties:
            member.on_duty = word in ON_WORDS
        await ctx.session.flush()
    ctx.reply(await duty_text(ctx, duties), buttons=duty_buttons(ctx, duties))


async def on_duty_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """od:<organisation>:<1 on duty | 0 off duty>, for the member who pressed it."""
    duties = await duties_of(ctx.session, person_id=ctx.person.id or 0)
    wanted = parts[1] == "1" if len(parts) == 2 and parts[1] in ("0", "1") else None
    mine = next((m for o, m in duties if parts and str(o.id) == parts[0]), None)
    if mine is None or wanted is None:
        ctx.answer(ctx.t("org.duty_refused"), alert=True)
        return
    mine.on_duty = wanted
    await ctx.session.flush()
    ctx.edit_pressed(await duty_text(ctx, duties), buttons=duty_buttons(ctx, duties))
    ctx.answer(ctx.t("org.duty_on" if wanted else "org.duty_off"))
