"""Checking points: /points (我的积分) with stars and ranks, /passbook (积分明细) with paging, /rank (排行榜) by
period and scope, and the staff's drift check (积分核对) of balances against the ledger."""

from __future__ import annotations

from handlers.common.numbers import numbers_in, parse_id
from handlers.common.roles import home_building
from handlers.core.context import Context
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard
from handlers.passbook.rules import (
    PassbookConfig,
    Period,
    next_threshold,
    period_start,
    reason_of,
    star_level,
    stars_text,
)
from models.ledger import Drift, balance_of, recompute_drift
from models.passbook import EntryKind, LedgerEntry, count_entries, entries_of, leaderboard, lifetime_rank
from models.people import Person, person_by_id
from models.places import Place, ancestors, place_by_id

HISTORY_PAGE = 10
TOP = 10
MAX_DRIFT_LINES = 20
RANK_NAME_MAX = 20
ANONYMOUS_WORDS = ("匿名", "不显示", "隐藏", "anonymous")
REAL_NAME_WORDS = ("实名", "原名", "真名", "real")


# ---- /points ---------------------------------------------------------------------------------------------------


async def points_command(ctx: Context, message: IncomingMessage) -> None:
    """积分: spendable, lifetime, stars and the rank in one's building and community."""
    balance = await balance_of(ctx.session, person_id=ctx.person.id or 0)
    thresholds = ctx.setting(PassbookConfig).stars
    level = star_level(balance.lifetime, thresholds)
    upcoming = next_threshold(balance.lifetime, thresholds)
    to_next = (
        ctx.t("passbook.next_star", missing=upcoming - balance.lifetime, stars=stars_text(level + 1))
        if upcoming is not None
        else ""
    )
    text = ctx.t(
        "passbook.points",
        name=ctx.person.display_name,
        spendable=balance.spendable,
        lifetime=balance.lifetime,
        stars=stars_text(level),
        next=to_next,
        ranks=await rank_lines(ctx, balance.lifetime),
    )
    ctx.reply(text, quote=ctx.in_group)


async def rank_lines(ctx: Context, lifetime: int) -> str:
    building = await home_building(ctx)
    if lifetime <= 0 or building is None:
        return ctx.t("passbook.no_rank")
    lines = []
    for scope in (building, (await ancestors(ctx.session, place=building))[0]):
        rank = await lifetime_rank(ctx.session, lifetime=lifetime, scope=scope)
        lines.append(ctx.t("passbook.rank_line", scope=scope.name, rank=rank))
    return "\n".join(lines)


# ---- /passbook -------------------------------------------------------------------------------------------------


async def passbook_command(ctx: Context, message: IncomingMessage) -> None:
    """积分明细: the newest entries first, ten a page."""
    text, buttons = await history_page(ctx, ctx.person.id or 0, 0)
    ctx.reply(text, buttons=buttons, quote=ctx.in_group)


async def history_page(ctx: Context, person_id: int, page: int) -> tuple[str, Keyboard]:
    total = await count_entries(ctx.session, person_id=person_id)
    if total == 0:
        return ctx.t("passbook.history_empty"), ()
    pages = (total + HISTORY_PAGE - 1) // HISTORY_PAGE
    page = min(max(page, 0), pages - 1)
    entries = await entries_of(ctx.session, person_id=person_id, limit=HISTORY_PAGE, offset=page * HISTORY_PAGE)
    lines = [ctx.t("passbook.history_title", page=page + 1, pages=pages)]
    lines += [await history_line(ctx, entry) for entry in entries]
    return "\n".join(lines), ctx.paging_row(page=page, more=page + 1 < pages, data=f"pbl:{person_id}")


async def history_line(ctx: Context, entry: LedgerEntry) -> str:
    """#12 11-24 +10 扫雪 · 李楼长 — a reversal names the entry it undoes."""
    actor = await person_by_id(ctx.session, person_id=entry.actor_id) if entry.actor_id else None
    undoes = ctx.t("passbook.undoes", number=entry.source_id) if entry.kind == EntryKind.REVERSAL else ""
    return ctx.t(
        "passbook.history_line",
        number=entry.id,
        date=entry.created_at.astimezone(ctx.config.timezone).strftime("%m-%d"),
        delta=f"+{entry.delta}" if entry.delta > 0 else f"−{-entry.delta}",
        reason=f"{undoes}{reason_of(ctx.t, entry)}",
        by=f" · {actor.display_name}" if actor else "",
    )


async def on_history_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """pbl:<person>:<page> — only the owner turns their own pages."""
    numbers = numbers_in(parts)
    if len(parts) != 2 or len(numbers) != 2:
        ctx.answer(ctx.t("button.stale"))
        return
    person_id, page = numbers
    if person_id != ctx.person.id:
        ctx.answer(ctx.t("passbook.not_yours"), alert=True)
        return
    text, buttons = await history_page(ctx, person_id, page)
    ctx.edit_pressed(text, buttons=buttons)
    ctx.answer()


# ---- /rank -----------------------------------------------------------------------------------------------------


async def rank_command(ctx: Context, message: IncomingMessage) -> None:
    """排行榜: this month's top ten in the sender's building; buttons switch period and scope."""
    base = ctx.place if ctx.place is not None else await home_building(ctx)
    if base is None:
        ctx.reply(ctx.t("passbook.rank_no_place"), quote=ctx.in_group)
        return
    text, buttons = await board(ctx, Period.MONTH, base, base)
    ctx.reply(text, buttons=buttons)


async def board(ctx: Context, period: Period, scope: Place, base: Place) -> tuple[str, Keyboard]:
    since = period_start(period, ctx.now, ctx.config.timezone)
    top = await leaderboard(ctx.session, scope=scope, since=since, limit=TOP)
    title = ctx.t("passbook.rank_title", scope=scope.name, period=ctx.t(f"passbook.period_{period}"))
    lines = [ctx.t("passbook.rank_entry", place=i, name=rank_name(ctx, p), points=n) for i, (p, n) in enumerate(top, 1)]
    text = "\n".join([title, *(lines or [ctx.t("passbook.rank_empty")])])
    return text, await board_buttons(ctx, period, scope, base)


def rank_name(ctx: Context, person: Person) -> str:
    """How the person chose to appear on leaderboards: anonymously, a chosen name, or their display name."""
    if person.rank_hidden:
        return ctx.t("passbook.rank_anonymous")
    return person.rank_name or person.display_name


async def rank_name_command(ctx: Context, message: IncomingMessage) -> None:
    """排行榜名字 [名字|匿名|实名]: choose how one appears on leaderboards; without words, say what it is now."""
    wanted = message.args.strip()
    person = ctx.person
    if wanted in ANONYMOUS_WORDS:
        person.rank_hidden = True
    elif wanted in REAL_NAME_WORDS:
        person.rank_hidden, person.rank_name = False, None
    elif wanted:
        if len(wanted) > RANK_NAME_MAX:
            ctx.reply(ctx.t("passbook.rank_name_too_long", limit=RANK_NAME_MAX), quote=ctx.in_group)
            return
        person.rank_hidden, person.rank_name = False, wanted
    ctx.reply(ctx.t("passbook.rank_name_now", name=rank_name(ctx, person)), quote=ctx.in_group)


async def board_buttons(ctx: Context, period: Period, scope: Place, base: Place) -> Keyboard:
    """本月/本年/总榜, then the base place and the nodes above it; the current choice is marked."""
    periods = tuple(
        Button(f"{'✅ ' if p == period else ''}{ctx.t(f'passbook.period_{p}')}", f"pbr:{p}:{scope.id}:{base.id}")
        for p in Period
    )
    scopes = tuple(
        Button(f"{'✅ ' if s.id == scope.id else ''}{s.name}", f"pbr:{period}:{s.id}:{base.id}")
        for s in reversed(await ancestors(ctx.session, place=base))
    )
    return (periods, scopes)


async def on_rank_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """pbr:<period>:<scope>:<base> — anyone may switch the board."""
    valid = len(parts) == 3 and parts[0] in set(Period)
    scope_id, base_id = (parse_id(parts[1]), parse_id(parts[2])) if valid else (None, None)
    scope = await place_by_id(ctx.session, place_id=scope_id) if scope_id else None
    base = await place_by_id(ctx.session, place_id=base_id) if base_id else None
    if scope is None or base is None or not scope.contains(base):
        ctx.answer(ctx.t("button.stale"))
        return
    text, buttons = await board(ctx, Period(parts[0]), scope, base)
    ctx.edit_pressed(text, buttons=buttons)
    ctx.answer()


# ---- the drift check ------------------------------------------------------------------------------------------


async def check_command(ctx: Context, message: IncomingMessage) -> None:
    """积分核对: staff see whose stored balances differ from the ledger."""
    drifts = await recompute_drift(ctx.session)
    if not drifts:
        ctx.reply(ctx.t("passbook.check_clean"), quote=ctx.in_group)
        return
    lines = [await drift_line(ctx, d) for d in drifts[:MAX_DRIFT_LINES]]
    ctx.reply(ctx.t("passbook.check_drift", count=len(drifts), lines="\n".join(lines)), quote=ctx.in_group)


async def drift_line(ctx: Context, drift: Drift) -> str:
    person = await person_by_id(ctx.session, person_id=drift.person_id)
    return ctx.t(
        "passbook.check_line",
        name=person.display_name if person else "?",
        person=drift.person_id,
        stored_spendable=drift.stored_spendable,
        ledger_spendable=drift.ledger_spendable,
        stored_lifetime=drift.stored_lifetime,
        ledger_lifetime=drift.ledger_lifetime,
    )
