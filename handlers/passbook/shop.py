"""爱心超市: residents spend points on the community's catalogue. Choosing an item holds the points (a REDEEM
entry) and sends a pickup code; staff hand the item over by code or button (stock taken, points spent); cancelling
or letting the hold expire gives the points back (a REVERSAL entry)."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import partial

from handlers.common.numbers import parse_id, read_number
from handlers.common.reach import knock_at_home
from handlers.common.roles import may_act_on
from handlers.common.times import end_of_local_day, local_time
from handlers.core.context import Context, Work
from handlers.core.notify import private_account
from handlers.core.texts import quoted
from handlers.core.types import Button, Edit, IncomingCallback, IncomingMessage, Keyboard
from handlers.passbook.keepers import SHOP_KEEPERS, kept_community
from handlers.passbook.rules import PassbookConfig, SystemReason, desk_lines
from handlers.passbook.texts import translate
from models.base import AsyncSession
from models.ledger import balance_of
from models.people import person_by_id
from models.places import Place, ancestors, place_by_id
from models.reach import PrivateChat
from models.shop import (
    Redemption,
    RedemptionStatus,
    Refusal,
    RewardItem,
    expired_holds,
    give_back,
    hand_over,
    held_counts,
    held_redemptions,
    hold_item,
    items_of,
    redemption_by_code,
    shop_desk_of,
)

# ---- whose shop ----------------------------------------------------------------------------------------------


async def community_of(session: AsyncSession, place: Place) -> Place:
    return (await ancestors(session, place=place))[0]


async def home_community(ctx: Context) -> Place | None:
    """The community whose shop the sender uses: where their first role is (residents have one once they speak)."""
    for grant in ctx.grants:
        place = await place_by_id(ctx.session, place_id=grant.place_id)
        if place is not None:
            return await community_of(ctx.session, place)
    return None


def ledger_reason(work: Work, system: SystemReason) -> str:
    """Ledger reasons are records the community office reads: written in the bot's default language (and kept as
    their key and values, so a reader's passbook says them in their words)."""
    return system.said(partial(translate, work.config.default_locale))


# ---- residents: /shop, choose, confirm, cancel ----------------------------------------------------------------


async def open_shop(ctx: Context, message: IncomingMessage) -> None:
    """/shop (爱心超市, 兑换): the catalogue with a button per item, in private (said in a group, it goes there)."""
    community = await home_community(ctx)
    if community is None:
        ctx.reply(ctx.t("shop.no_community"), quote=ctx.in_group)
        return
    text, buttons = await shop_page(ctx, community)
    if ctx.in_group:
        await shop_from_group(ctx, text, buttons)
    else:
        ctx.reply(text, buttons=buttons)


async def shop_from_group(ctx: Context, text: str, buttons: Keyboard) -> None:
    """The shelf goes to the private chat; someone the bot may not write to first gets their name and the link that
    opens the shelf there, in this group (docs/reach.md)."""
    person_id = ctx.person.id or 0
    account = await private_account(ctx.session, person_id=person_id, prefer_platform=ctx.platform)
    knock = await ctx.knock(ctx.chat, person_id)
    await ctx.tell(person_id, text, buttons, prefer_platform=ctx.platform, fallback=knock)
    if account is not None and account.private_chat == PrivateChat.OPEN:
        ctx.reply(ctx.t("shop.sent_privately"), quote=True)


async def shop_page(ctx: Context, community: Place) -> tuple[str, Keyboard]:
    """The listing: items with what is left, the sender's points and their holds waiting for pickup."""
    items = await items_of(ctx.session, community_id=community.id or 0, active_only=True)
    held = await held_counts(ctx.session, item_ids=[i.id or 0 for i in items])
    mine = await held_redemptions(ctx.session, person_id=ctx.person.id or 0)
    balance = await balance_of(ctx.session, person_id=ctx.person.id or 0)
    lines = [item_line(ctx, item, item.stock - held.get(item.id or 0, 0)) for item in items]
    text = ctx.t(
        "shop.list",
        community=community.name,
        spendable=balance.spendable,
        items="\n".join(lines) or ctx.t("shop.empty"),
    )
    if mine:
        pending = [
            ctx.t(
                "shop.pending_line",
                name=r.item_name,
                code=r.code,
                until=local_time(r.expires_at, ctx.config.timezone, ctx.locale),
            )
            for r in mine
        ]
        text += "\n\n" + ctx.t("shop.pending", lines="\n".join(pending))
    rows = [
        (Button(ctx.t("button.shop_item", name=item.name, cost=item.cost), f"shop:pick:{item.id}"),)
        for item in items
        if item.stock - held.get(item.id or 0, 0) > 0
    ]
    rows += [(Button(ctx.t("button.shop_cancel_code", code=r.code), f"shop:xl:{r.id}"),) for r in mine]
    return text, tuple(rows)


def item_line(ctx: Context, item: RewardItem, left: int) -> str:
    stock = ctx.t("shop.left", count=left) if left > 0 else ctx.t("shop.none_left")
    return ctx.t("shop.item_line", name=item.name, cost=item.cost, stock=stock)


async def on_shop_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """shop:ls | shop:pick:<item> | shop:ok:<item>:<nonce> | shop:x:<redemption> | shop:xl:<redemption>."""
    action, ids = (parts[0], parts[1:]) if parts else ("", [])
    number = parse_id(ids[0]) if ids else None
    community = await home_community(ctx)
    if community is None or (action != "ls" and number is None):
        ctx.answer(ctx.t("button.stale"))
        return
    if action == "ls" or number is None:
        await show_listing(ctx, community)
    elif action == "pick":
        await show_confirmation(ctx, community, number)
    elif action == "ok" and len(ids) == 2:
        await confirm_hold(ctx, community, number, ids[1])
    elif action in ("x", "xl"):
        await cancel_hold(ctx, community, number, from_listing=action == "xl")
    else:
        ctx.answer(ctx.t("button.stale"))


async def show_listing(ctx: Context, community: Place) -> None:
    text, buttons = await shop_page(ctx, community)
    ctx.edit_pressed(text, buttons=buttons)
    ctx.answer()


async def show_confirmation(ctx: Context, community: Place, item_id: int) -> None:
    """Ask before holding anything; the confirm button carries a fresh nonce so a double press holds once."""
    item = await ctx.session.get(RewardItem, item_id)
    if item is None or not item.active or item.community_id != community.id:
        ctx.answer(ctx.t("shop.unavailable"), alert=True)
        return
    balance = await balance_of(ctx.session, person_id=ctx.person.id or 0)
    until = local_time(pickup_deadline(ctx), ctx.config.timezone, ctx.locale)
    desk = desk_lines(ctx.t, await shop_desk_of(ctx.session, community_id=community.id or 0))
    text = ctx.t("shop.confirm", name=item.name, cost=item.cost, spendable=balance.spendable, until=until, desk=desk)
    buttons = (
        (
            Button(ctx.t("button.shop_confirm"), f"shop:ok:{item.id}:{secrets.token_hex(4)}"),
            Button(ctx.t("button.shop_back"), "shop:ls"),
        ),
    )
    ctx.edit_pressed(text, buttons=buttons)
    ctx.answer()


def pickup_deadline(ctx: Context) -> datetime:
    """At least SHOP_HOLD_HOURS from now, to the end of that local day (no pickup deadline at 03:36 at night)."""
    return end_of_local_day(ctx.now + ctx.setting(PassbookConfig).shop_hold, ctx.config.timezone)


async def confirm_hold(ctx: Context, community: Place, item_id: int, nonce: str) -> None:
    """Hold the points and send the pickup code, or explain politely why not (nothing is lost)."""
    item = await ctx.session.get(RewardItem, item_id)
    hold_reason = SystemReason("shop.reason_hold", {"name": item.name if item else ""})
    hold = await hold_item(
        ctx.session,
        person_id=ctx.person.id or 0,
        item_id=item_id,
        community_id=community.id or 0,
        request_key=f"shop:{ctx.person.id}:{nonce}",
        now=ctx.now,
        expires_at=pickup_deadline(ctx),
        reason=ledger_reason(ctx, hold_reason),
        reason_key=hold_reason.key,
        reason_values=hold_reason.values,
    )
    if hold.redemption is None:
        await explain_refusal(ctx, hold.refusal, item)
        return
    redemption = hold.redemption
    ctx.edit_pressed(ctx.t("shop.submitted", name=redemption.item_name))
    ctx.reply(
        await pickup_card(ctx, ctx.locale, redemption),
        buttons=((Button(ctx.t("button.shop_cancel"), f"shop:x:{redemption.id}"),),),
        ref_key=card_ref(redemption),
    )
    ctx.answer(ctx.t("shop.held_toast"))


async def explain_refusal(ctx: Context, refusal: Refusal | None, item: RewardItem | None) -> None:
    if refusal == Refusal.DUPLICATE:
        ctx.answer(ctx.t("shop.already"))
        return
    if item is None:
        text = ctx.t("shop.unavailable")
    elif refusal == Refusal.NOT_ENOUGH:
        balance = await balance_of(ctx.session, person_id=ctx.person.id or 0)
        text = ctx.t("shop.not_enough", name=item.name, cost=item.cost, spendable=balance.spendable)
    else:
        text = ctx.t(f"shop.refused_{refusal}", name=item.name)
    ctx.edit_pressed(text, buttons=((Button(ctx.t("button.shop_back"), "shop:ls"),),))
    ctx.answer()


def card_ref(redemption: Redemption) -> str:
    return f"redemption:{redemption.id}"


async def pickup_card(work: Work, locale: str, redemption: Redemption) -> str:
    """The resident's private card: the code (with where and when to collect) while held, the outcome afterwards."""
    status = RedemptionStatus(redemption.status)
    desk = await shop_desk_of(work.session, community_id=redemption.community_id)
    return translate(
        locale,
        f"shop.card_{status}",
        name=redemption.item_name,
        cost=redemption.cost,
        code=redemption.code,
        until=local_time(redemption.expires_at, work.config.timezone, locale),
        desk=desk_lines(partial(translate, locale), desk),
    )


async def cancel_hold(ctx: Context, community: Place, redemption_id: int, *, from_listing: bool) -> None:
    """The resident changed their mind: points back, the card says so."""
    redemption = await ctx.session.get(Redemption, redemption_id)
    if redemption is None or redemption.person_id != ctx.person.id:
        ctx.answer(ctx.t("button.stale"))
        return
    reason = SystemReason("shop.reason_cancel", {"name": redemption.item_name})
    returned = await give_back(
        ctx.session,
        redemption=redemption,
        status=RedemptionStatus.CANCELLED,
        now=ctx.now,
        by_id=ctx.person.id,
        reason=ledger_reason(ctx, reason),
        reason_key=reason.key,
        reason_values=reason.values,
    )
    if not returned:
        ctx.answer(ctx.t(f"shop.closed_{redemption.status}"), alert=True)
        return
    ctx.effects.add(Edit(text=await pickup_card(ctx, ctx.locale, redemption), ref_key=card_ref(redemption)))
    if from_listing:
        await show_listing(ctx, community)
    ctx.answer(ctx.t("shop.cancelled_toast", cost=redemption.cost))


# ---- staff: 核销 by code or button ------------------------------------------------------------------------------


async def handover_command(ctx: Context, message: IncomingMessage) -> None:
    """核销 CODE: hand the item over; 核销 alone lists the holds waiting for pickup, with buttons."""
    code = message.args.strip()
    community = await kept_community(ctx)
    if community is None:
        ctx.reply(ctx.t("shop.keeper_only"), quote=ctx.in_group)
        return
    if not code:
        await list_pickups(ctx, community)
        return
    redemption = await redemption_by_code(ctx.session, code=code) if isinstance(read_number(code), int) else None
    if redemption is None:
        ctx.reply(ctx.t("shop.code_unknown", code=quoted(code)), quote=ctx.in_group)
        return
    ctx.reply(await handover_outcome(ctx, redemption), quote=ctx.in_group)


async def list_pickups(ctx: Context, community: Place) -> None:
    pending = await held_redemptions(ctx.session, community_id=community.id or 0)
    if not pending:
        ctx.reply(ctx.t("shop.pickups_empty"))
        return
    lines, rows = [], []
    for redemption in pending:
        person = await person_by_id(ctx.session, person_id=redemption.person_id)
        who = person.display_name if person else "?"
        until = local_time(redemption.expires_at, ctx.config.timezone, ctx.locale)
        lines.append(
            ctx.t("shop.pickup_line", code=redemption.code, person=who, name=redemption.item_name, until=until)
        )
        label = ctx.t("button.shop_handover", code=redemption.code, person=who)
        rows.append((Button(label, f"shoph:{redemption.id}"),))
    ctx.reply(ctx.t("shop.pickups", count=len(pending), lines="\n".join(lines)), buttons=tuple(rows))


async def on_handover_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """shoph:<redemption> from the pickup list."""
    redemption_id = parse_id(parts[0]) if parts else None
    redemption = await ctx.session.get(Redemption, redemption_id) if redemption_id else None
    if redemption is None:
        ctx.answer(ctx.t("button.stale"))
        return
    ctx.answer(await handover_outcome(ctx, redemption), alert=True)


async def handover_outcome(ctx: Context, redemption: Redemption) -> str:
    """Hand over if the sender keeps this community's shop and the hold is open; the sentence to show them."""
    community = await place_by_id(ctx.session, place_id=redemption.community_id)
    if community is None or not await may_act_on(ctx, community, SHOP_KEEPERS):
        return ctx.t("shop.keeper_only")
    if not await hand_over(ctx.session, redemption=redemption, now=ctx.now, by_id=ctx.person.id or 0):
        return ctx.t(f"shop.closed_{redemption.status}")
    await tell_resident(ctx, redemption, "shop.handed_private")
    item = await ctx.session.get(RewardItem, redemption.item_id)
    if item is not None:
        await ctx.session.refresh(item)
    person = await person_by_id(ctx.session, person_id=redemption.person_id)
    return ctx.t(
        "shop.handed_over",
        person=person.display_name if person else "?",
        name=redemption.item_name,
        code=redemption.code,
        stock=item.stock if item else 0,
    )


async def tell_resident(work: Work, redemption: Redemption, key: str) -> None:
    """Update the resident's pickup card and tell them privately what happened, in their language."""
    person = await person_by_id(work.session, person_id=redemption.person_id)
    locale = (person.locale if person else None) or work.config.default_locale
    work.effects.add(Edit(text=await pickup_card(work, locale, redemption), ref_key=card_ref(redemption)))
    text = translate(locale, key, name=redemption.item_name, code=redemption.code, cost=redemption.cost)
    await work.tell(redemption.person_id, text, fallback=await knock_at_home(work, redemption.person_id))


# ---- timer: holds not picked up in time ------------------------------------------------------------------------


async def sweep_shop(work: Work) -> int:
    """Expire holds past their pickup time: points back, the resident told. Returns how many expired."""
    expired = 0
    for redemption in await expired_holds(work.session, now=work.now):
        reason = SystemReason("shop.reason_expired", {"name": redemption.item_name})
        if await give_back(
            work.session,
            redemption=redemption,
            status=RedemptionStatus.EXPIRED,
            now=work.now,
            by_id=None,
            reason=ledger_reason(work, reason),
            reason_key=reason.key,
            reason_values=reason.values,
        ):
            await tell_resident(work, redemption, "shop.expired_private")
            expired += 1
    return expired
