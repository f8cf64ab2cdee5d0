"""Reports for the community office, sent privately as files: the ledger of a month or year, everyone's balances,
and the year's 星级文明户 ranking (points earned that year), each as CSV or Excel."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import partial

from handlers.common.numbers import parse_id
from handlers.common.roles import may_act_on
from handlers.common.sheets import Sheet, to_csv, to_xlsx
from handlers.common.times import local_stamp
from handlers.core.context import Context
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard, SendDocument
from handlers.passbook.keepers import SHOP_KEEPERS, keeper_community
from handlers.passbook.rules import PassbookConfig, star_level, stars_text
from handlers.passbook.texts import translate
from models.base import AsyncSession
from models.passbook import lifetime_effect
from models.places import Place, place_by_id
from models.reports import balances_of, community_entries, members_of, names_of, people_with_entries

PERIOD = re.compile(r"^\s*(\d{4})(?:\s*[-./年]\s*(\d{1,2})\s*月?)?\s*年?\s*$")
TOP_SHOWN = 20
FORMATS = {"csv": to_csv, "xlsx": to_xlsx}


@dataclass(frozen=True)
class Period:
    """A calendar month (month set) or year in the community's time zone."""

    year: int
    month: int | None = None

    @property
    def token(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    def bounds(self, timezone: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes at local midnight."""
        if self.month is None:
            return datetime(self.year, 1, 1, tzinfo=timezone), datetime(self.year + 1, 1, 1, tzinfo=timezone)
        following = (self.year + self.month // 12, self.month % 12 + 1)
        return datetime(self.year, self.month, 1, tzinfo=timezone), datetime(*following, 1, tzinfo=timezone)

    def label(self, locale: str) -> str:
        if self.month is None:
            return translate(locale, "export.period_year", year=self.year)
        return translate(locale, "export.period_month", year=self.year, month=self.month)


def parse_period(text: str, today: datetime) -> Period | None:
    """「2026-10」「2026年10月」 a month, 「2026」 a year, nothing → this month; None if unreadable."""
    if not text.strip():
        return Period(today.year, today.month)
    match = PERIOD.match(text)
    if match is None or not 2000 <= int(match.group(1)) <= 2100:
        return None
    month = int(match.group(2)) if match.group(2) else None
    if month is not None and not 1 <= month <= 12:
        return None
    return Period(int(match.group(1)), month)


# ---- the three reports, without a chat -------------------------------------------------------------------------


async def ledger_sheet(
    session: AsyncSession, *, community: Place, period: Period, timezone: tzinfo, locale: str
) -> Sheet:
    """Every entry of the period: who, when, what, how many points, why, from where, by whom; a total line."""
    members = await members_of(session, community=community)
    start, end = period.bounds(timezone)
    entries = await community_entries(session, community_id=community.id or 0, member_ids=members, start=start, end=end)
    names = await names_of(session, person_ids={e.person_id for e in entries} | {e.actor_id or 0 for e in entries})
    t = partial(translate, locale)
    columns = ("entry", "time", "name", "building", "kind", "delta", "reason", "source", "actor")
    header = [t(f"export.col_{c}") for c in columns]
    rows: list[list[str | int]] = [
        [
            entry.id or 0,
            local_stamp(entry.created_at, timezone),
            names.get(entry.person_id, ""),
            members.get(entry.person_id, ""),
            t(f"export.kind_{entry.kind}"),
            entry.delta,
            entry.reason,
            f"{entry.source}#{entry.source_id}" if entry.source_id is not None else entry.source,
            names.get(entry.actor_id or 0, ""),
        ]
        for entry in entries
    ]
    total: list[str | int] = [t("export.total"), "", "", "", "", sum(e.delta for e in entries), "", "", ""]
    return Sheet(t("export.sheet_ledger"), header, rows, total)


async def balances_sheet(session: AsyncSession, *, community: Place, thresholds: tuple[int, ...], locale: str) -> Sheet:
    """Everyone of the community who ever had points: spendable, lifetime and stars now, by building then name."""
    members = await members_of(session, community=community)
    people = set(members) | await people_with_entries(session, community_id=community.id or 0)
    balances = await balances_of(session, person_ids=people)
    names = await names_of(session, person_ids=people)
    ordered = sorted(balances, key=lambda b: (members.get(b.person_id, ""), names.get(b.person_id, ""), b.person_id))
    t = partial(translate, locale)
    header = [t(f"export.col_{c}") for c in ("name", "building", "spendable", "lifetime", "stars")]
    rows: list[list[str | int]] = [
        [
            names.get(b.person_id, ""),
            members.get(b.person_id, ""),
            b.spendable,
            b.lifetime,
            stars_text(star_level(b.lifetime, thresholds)),
        ]
        for b in ordered
    ]
    total: list[str | int] = [
        t("export.total"),
        "",
        sum(b.spendable for b in ordered),
        sum(b.lifetime for b in ordered),
        "",
    ]
    return Sheet(t("export.sheet_balances"), header, rows, total)


@dataclass(frozen=True)
class Ranked:
    rank: int
    person_id: int
    name: str
    building: str
    points: int
    lifetime: int


async def year_ranking(session: AsyncSession, *, community: Place, year: int, timezone: tzinfo) -> list[Ranked]:
    """星级文明户: people ranked by lifetime points earned in the year (awards less their reversals); ties share a
    rank."""
    members = await members_of(session, community=community)
    start, end = Period(year).bounds(timezone)
    entries = await community_entries(session, community_id=community.id or 0, member_ids=members, start=start, end=end)
    earned: dict[int, int] = defaultdict(int)
    for entry in entries:
        earned[entry.person_id] += lifetime_effect(entry.kind, entry.delta)
    scored = sorted(((p, n) for p, n in earned.items() if n > 0), key=lambda pn: (-pn[1], pn[0]))
    names = await names_of(session, person_ids=earned)
    lifetime = {b.person_id: b.lifetime for b in await balances_of(session, person_ids=earned)}
    ranked: list[Ranked] = []
    for position, (person_id, points) in enumerate(scored, start=1):
        rank = ranked[-1].rank if ranked and ranked[-1].points == points else position
        ranked.append(
            Ranked(
                rank,
                person_id,
                names.get(person_id, ""),
                members.get(person_id, ""),
                points,
                lifetime.get(person_id, 0),
            )
        )
    return ranked


def stars_sheet(ranked: list[Ranked], *, thresholds: tuple[int, ...], locale: str) -> Sheet:
    """Rank, name, building, points earned in the year, lifetime points and star level."""
    t = partial(translate, locale)
    header = [t(f"export.col_{c}") for c in ("rank", "name", "building", "year_points", "lifetime", "stars")]
    rows: list[list[str | int]] = [
        [r.rank, r.name, r.building, r.points, r.lifetime, stars_text(star_level(r.lifetime, thresholds))]
        for r in ranked
    ]
    total: list[str | int] = [t("export.total"), "", "", sum(r.points for r in ranked), "", ""]
    return Sheet(t("export.sheet_stars"), header, rows, total)


# ---- chat: /export and /stars ---------------------------------------------------------------------------------


def export_buttons(ctx: Context, community: Place, month_or_year: Period) -> Keyboard:
    """exp:<report>:<format>:<community>:<period>."""
    year = str(month_or_year.year)
    rows = []
    for report, token in (("ledger", month_or_year.token), ("balances", "now"), ("stars", year)):
        rows.append(
            tuple(
                Button(ctx.t(f"button.export_{report}_{fmt}"), f"exp:{report}:{fmt}:{community.id}:{token}")
                for fmt in FORMATS
            )
        )
    return tuple(rows)


async def report_request(ctx: Context, message: IncomingMessage) -> tuple[Place, Period] | None:
    """The keeper's community and the month or year typed after /export or /stars; otherwise a polite answer."""
    community = await keeper_community(ctx)
    if community is None:
        return None
    period = parse_period(message.args, ctx.now.astimezone(ctx.config.timezone))
    if period is None:
        ctx.reply(ctx.t("export.bad_period"))
        return None
    return community, period


async def export_menu(ctx: Context, message: IncomingMessage) -> None:
    """/export [2026-10 | 2026] (导出): buttons for the ledger, balances and the year's 星级文明户, CSV or Excel."""
    asked = await report_request(ctx, message)
    if asked is None:
        return
    community, period = asked
    text = ctx.t("export.menu", community=community.name, period=period.label(ctx.locale), year=period.year)
    ctx.reply(text, buttons=export_buttons(ctx, community, period))


async def show_stars(ctx: Context, message: IncomingMessage) -> None:
    """/stars [2026] (星级文明户): the year's ranking in the chat, with buttons to export it."""
    asked = await report_request(ctx, message)
    if asked is None:
        return
    community, period = asked
    ranked = await year_ranking(ctx.session, community=community, year=period.year, timezone=ctx.config.timezone)
    if not ranked:
        ctx.reply(ctx.t("stars.empty", year=period.year))
        return
    lines = [
        ctx.t(
            "stars.line",
            rank=r.rank,
            name=r.name,
            building=r.building or "-",
            points=r.points,
            stars=stars_text(star_level(r.lifetime, ctx.setting(PassbookConfig).stars)),
        )
        for r in ranked[:TOP_SHOWN]
    ]
    if len(ranked) > TOP_SHOWN:
        lines.append(ctx.t("stars.more", count=len(ranked)))
    buttons = tuple(
        Button(ctx.t(f"button.export_stars_{fmt}"), f"exp:stars:{fmt}:{community.id}:{period.year}") for fmt in FORMATS
    )
    ctx.reply(
        ctx.t("stars.title", community=community.name, year=period.year, lines="\n".join(lines)), buttons=(buttons,)
    )


async def on_export_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """exp:<ledger|balances|stars>:<csv|xlsx>:<community>:<period>: build the file and send it privately."""
    community_id = parse_id(parts[2]) if len(parts) == 4 and parts[1] in FORMATS else None
    if community_id is None:
        ctx.answer(ctx.t("button.stale"))
        return
    report, fmt, _, token = parts
    community = await place_by_id(ctx.session, place_id=community_id)
    if community is None or not await may_act_on(ctx, community, SHOP_KEEPERS):
        ctx.answer(ctx.t("shop.keeper_only"), alert=True)
        return
    built = await build_report(ctx, community, report, token)
    if built is None:
        ctx.answer(ctx.t("button.stale"))
        return
    sheet, caption, name = built
    ctx.effects.add(
        SendDocument(
            platform=ctx.platform,
            chat_id=callback.chat.platform_chat_id,
            filename=f"{name}.{fmt}",
            content=FORMATS[fmt](sheet),
            caption=caption,
        )
    )
    ctx.answer(ctx.t("export.sent"))


async def build_report(ctx: Context, community: Place, report: str, token: str) -> tuple[Sheet, str, str] | None:
    """(sheet, caption, file name without extension) for a report button, or None for an unknown one."""
    period = parse_period(token, ctx.now.astimezone(ctx.config.timezone)) if token != "now" else None
    timezone, locale = ctx.config.timezone, ctx.locale
    if report == "ledger" and period is not None:
        sheet = await ledger_sheet(ctx.session, community=community, period=period, timezone=timezone, locale=locale)
        total = sheet.total[5] if sheet.total else 0
        caption = ctx.t(
            "export.caption_ledger",
            community=community.name,
            period=period.label(locale),
            count=len(sheet.rows),
            total=total,
        )
        return sheet, caption, f"{community.name}_{sheet.title}_{period.token}"
    if report == "balances":
        sheet = await balances_sheet(
            ctx.session, community=community, thresholds=ctx.setting(PassbookConfig).stars, locale=locale
        )
        spendable, lifetime = (sheet.total[2], sheet.total[3]) if sheet.total else (0, 0)
        caption = ctx.t(
            "export.caption_balances",
            community=community.name,
            count=len(sheet.rows),
            spendable=spendable,
            lifetime=lifetime,
        )
        return sheet, caption, f"{community.name}_{sheet.title}_{ctx.now.astimezone(timezone):%Y-%m-%d}"
    if report == "stars" and period is not None:
        ranked = await year_ranking(ctx.session, community=community, year=period.year, timezone=timezone)
        sheet = stars_sheet(ranked, thresholds=ctx.setting(PassbookConfig).stars, locale=locale)
        caption = ctx.t("export.caption_stars", community=community.name, year=period.year, count=len(ranked))
        return sheet, caption, f"{community.name}_{sheet.title}_{period.year}"
    return None
