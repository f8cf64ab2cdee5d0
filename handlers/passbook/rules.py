"""The passbook's settings and its pure rules: award caps, star levels, what an award command says, ranking periods."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from models.passbook import LedgerEntry
from models.people import Role
from models.shop import ShopDesk
from models.tickets import Category

AWARDER_ROLES = (Role.STAFF, Role.ADMIN, Role.GRID_WORKER, Role.BUILDING_HEAD)
REVOKER_ROLES = (Role.STAFF, Role.ADMIN)
VOLUNTEER_ROLES = (Role.VOLUNTEER, Role.BUILDING_HEAD)  # unpaid helpers whose ticket work earns points
MAX_REASON = 60
AWARD_ARGS = re.compile(r"^\s*[+＋]?(\d{1,6})\s*分?\s*[,，:：、]?\s*(.*)$", re.DOTALL)


@dataclass(frozen=True)
class PassbookConfig:
    """The passbook's settings: earning and checking points, and how long the 爱心超市 holds an item."""

    daily_caps: dict[Role, int] = field(
        default_factory=lambda: {Role.STAFF: 200, Role.ADMIN: 200, Role.GRID_WORKER: 100, Role.BUILDING_HEAD: 50}
    )
    ticket_points: dict[str, int] = field(default_factory=lambda: {"repair": 10, "sanitation": 5, "dispute": 10})
    report_points: int = 2
    help_points: int = 10
    report_daily_cap: int = 6
    stars: tuple[int, ...] = (50, 150, 300, 600, 1000)
    award_group_line: bool = True
    star_group_line: bool = False
    shop_hold: timedelta = timedelta(hours=72)


def passbook_from(env: Any) -> PassbookConfig:
    """The passbook's settings, from the runtime's."""
    return PassbookConfig(
        daily_caps={
            Role.STAFF: env.passbook_cap_staff,
            Role.ADMIN: env.passbook_cap_staff,
            Role.GRID_WORKER: env.passbook_cap_grid_worker,
            Role.BUILDING_HEAD: env.passbook_cap_building_head,
        },
        ticket_points={
            Category.REPAIR: env.passbook_ticket_repair_points,
            Category.SANITATION: env.passbook_ticket_sanitation_points,
            Category.DISPUTE: env.passbook_ticket_dispute_points,
        },
        report_points=env.passbook_report_points,
        help_points=env.passbook_help_points,
        report_daily_cap=env.passbook_report_daily_cap,
        stars=env.star_thresholds,
        award_group_line=env.passbook_award_group_line,
        star_group_line=env.passbook_star_group_line,
        shop_hold=timedelta(hours=env.shop_hold_hours),
    )


@dataclass(frozen=True)
class AwardArgs:
    amount: int
    reason: str


def parse_award(text: str) -> AwardArgs | None:
    """`10 扫雪`, `10分 扫雪`, `+10，扫雪`: the amount then the reason (both needed); None if either is missing."""
    found = AWARD_ARGS.match(unicodedata.normalize("NFKC", text))
    if found is None:
        return None
    amount, reason = int(found.group(1)), " ".join(found.group(2).split())[:MAX_REASON]
    return AwardArgs(amount, reason) if amount > 0 and reason else None


def daily_cap(config: PassbookConfig, roles: set[Role]) -> int:
    """The largest daily cap among the awarder's roles that may award (0 if none may)."""
    return max((config.daily_caps.get(role, 0) for role in roles), default=0)


def star_level(lifetime: int, thresholds: tuple[int, ...]) -> int:
    """How many thresholds the lifetime points have reached."""
    return sum(lifetime >= threshold for threshold in thresholds)


def stars_text(level: int) -> str:
    return "★" * level if level else "☆"


def next_threshold(lifetime: int, thresholds: tuple[int, ...]) -> int | None:
    return next((t for t in sorted(thresholds) if lifetime < t), None)


class Period(StrEnum):
    MONTH = "m"
    YEAR = "y"
    ALL = "a"


def period_start(period: Period, now: datetime, timezone: tzinfo) -> datetime | None:
    """Where a ranking period begins in local time (None: all time)."""
    local = now.astimezone(timezone)
    if period == Period.MONTH:
        return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == Period.YEAR:
        return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return None


def local_midnight(now: datetime, timezone: tzinfo) -> datetime:
    return now.astimezone(timezone).replace(hour=0, minute=0, second=0, microsecond=0)


def desk_lines(t: Callable[..., str], desk: ShopDesk | None) -> str:
    """The pickup place and opening hours as lines for a pickup message, in the words of ``t`` ("" while the keepers
    wrote none)."""
    if desk is None:
        return ""
    lines = [t("shop.desk_address", address=desk.address)] if desk.address else []
    if desk.hours:
        lines.append(t("shop.desk_hours", hours=desk.hours))
    return "".join(lines)


@dataclass(frozen=True)
class SystemReason:
    """A reason the bot writes itself (活动签到, 完成工单, 兑换 …): its text key and values, said in each reader's
    words; a category is kept as its code and named in those words too."""

    key: str
    values: dict[str, str | int] = field(default_factory=dict)

    def said(self, t: Callable[..., str]) -> str:
        values = dict(self.values)
        if "category" in values:
            values["category"] = t(f"category.{values['category']}")
        return t(self.key, **values)


def reason_of(t: Callable[..., str], entry: LedgerEntry) -> str:
    """What an entry is for, in the words of ``t``: a system reason said again, a typed one as it was written."""
    if entry.reason_key is None:
        return entry.reason
    return SystemReason(entry.reason_key, entry.reason_values or {}).said(t)
