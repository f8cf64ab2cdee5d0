"""需求清单: residents add a need (需求 …) in a group or privately, neighbours +1 it, staff see the community's
needs ranked (需求清单) and mark them 已立项 / 已完成, which is announced back where the need was raised."""

from __future__ import annotations

from handlers.common.numbers import parse_id
from handlers.common.roles import home_building, may_act_on
from handlers.core.context import Context, Work
from handlers.core.types import Button, Edit, IncomingCallback, IncomingMessage, Keyboard, Send
from models.chats import Chat
from models.people import Role
from models.places import Place, place_by_id
from models.polls import Need, NeedStatus, need_by_id, ranked_needs, support_count, support_need

OFFICE = (Role.STAFF, Role.ADMIN)
SHOWN = 10


async def community_of(ctx: Context) -> Place | None:
    building = await home_building(ctx)
    places = [building, ctx.place] + [await place_by_id(ctx.session, place_id=g.place_id) for g in ctx.grants]
    for place in places:
        if place is not None:
            top_id = parse_id(place.path.strip("/").split("/")[0])
            return await place_by_id(ctx.session, place_id=top_id) if top_id else None
    return None


async def need_command(ctx: Context, message: IncomingMessage) -> None:
    """需求 小区缺少充电桩: a need on the community's list, with +1 for the neighbours."""
    text = " ".join(message.args.split())[:200]
    community = await community_of(ctx)
    if not text:
        ctx.reply(ctx.t("need.usage"))
        return
    if community is None:
        ctx.reply(ctx.t("need.no_community"))
        return
    need = Need(
        community_id=community.id or 0, author_id=ctx.person.id or 0, text=text, chat_id=ctx.chat.id, created_at=ctx.now
    )
    ctx.session.add(need)
    await ctx.session.flush()
    await support_need(ctx.session, need_id=need.id or 0, person_id=ctx.person.id or 0, now=ctx.now)
    ref = f"need:{need.id}:{ctx.chat.id}"
    need.card_refs = [ref]
    ctx.reply(await card(ctx, need), buttons=plus_one(ctx, need), ref_key=ref)


async def card(work: Work, need: Need) -> str:
    count = await support_count(work.session, need_id=need.id or 0)
    return work.t("need.card", number=need.id, text=need.text, count=count, status=work.t(f"need.status_{need.status}"))


def plus_one(work: Work, need: Need) -> Keyboard:
    if need.status == NeedStatus.DONE:
        return ()
    return ((Button(work.t("button.plus_one"), f"nd:p:{need.id}"),),)


async def refresh(work: Work, need: Need) -> None:
    text = await card(work, need)
    for ref in need.card_refs:
        work.effects.add(Edit(text=text, buttons=plus_one(work, need), ref_key=ref))


async def on_need_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """nd:p:<need> +1 · nd:s:<need>:<planned|done> staff mark it."""
    need_id = parse_id(parts[1]) if len(parts) >= 2 else None
    need = await need_by_id(ctx.session, need_id=need_id) if need_id else None
    if need is None:
        ctx.answer(ctx.t("button.stale"))
        return
    if parts[0] == "p":
        added = await support_need(ctx.session, need_id=need.id or 0, person_id=ctx.person.id or 0, now=ctx.now)
        ctx.answer(ctx.t("need.supported" if added else "need.already_supported"))
        if added:
            await refresh(ctx, need)
    elif parts[0] == "s" and len(parts) == 3 and parts[2] in (NeedStatus.PLANNED, NeedStatus.DONE):
        await mark(ctx, need, NeedStatus(parts[2]))
    else:
        ctx.answer()


async def needs_list(ctx: Context, message: IncomingMessage) -> None:
    """需求清单: the community's needs, most +1 first, with 已立项 / 已完成 for each."""
    community = await community_of(ctx)
    if community is None or not await may_act_on(ctx, community, OFFICE):
        ctx.reply(ctx.t("need.staff_only"))
        return
    text, buttons = await list_card(ctx, community)
    ctx.reply(text, buttons=buttons)


async def list_card(ctx: Context, community: Place) -> tuple[str, Keyboard]:
    ranked = await ranked_needs(ctx.session, community_id=community.id or 0, limit=SHOWN)
    if not ranked:
        return ctx.t("need.none", community=community.name), ()
    lines, rows = [], []
    for rank, (need, count) in enumerate(ranked, start=1):
        status = ctx.t(f"need.status_{need.status}")
        lines.append(ctx.t("need.rank_line", rank=rank, number=need.id, text=need.text, count=count, status=status))
        rows.append(
            (
                Button(ctx.t("button.need_planned", number=need.id), f"nd:s:{need.id}:{NeedStatus.PLANNED}"),
                Button(ctx.t("button.need_done", number=need.id), f"nd:s:{need.id}:{NeedStatus.DONE}"),
            )
        )
    return ctx.t("need.list", community=community.name, lines="\n".join(lines)), tuple(rows)


async def mark(ctx: Context, need: Need, status: NeedStatus) -> None:
    community = await place_by_id(ctx.session, place_id=need.community_id)
    if community is None or not await may_act_on(ctx, community, OFFICE):
        ctx.answer(ctx.t("need.staff_only"), alert=True)
        return
    if need.status == status:
        ctx.answer(ctx.t("need.unchanged"))
        return
    need.status = status
    await refresh(ctx, need)
    count = await support_count(ctx.session, need_id=need.id or 0)
    chat = await ctx.session.get(Chat, need.chat_id) if need.chat_id else None
    if chat is not None and chat.active and chat.kind == "group":
        text = ctx.t(f"need.announce_{status}", text=need.text, count=count)
        ctx.effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=text))
    ctx.answer(ctx.t("need.marked", status=ctx.t(f"need.status_{status}")))
    text, buttons = await list_card(ctx, community)
    ctx.edit_pressed(text, buttons=buttons)
