"""Statistics for one month inside the viewer's scopes: per building, grid and category — tickets opened, time to
confirm and to resolve (median and 90th percentile, hours), overdue share, reopen rate, average stars,
escalations — plus event check-ins, volunteer points and the tickets opened in each of the last twelve months.

Overdue: a ticket escalated at least once (a deadline passed) or still open past its due time."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from handlers.console.board import visible_places
from handlers.console.scope import Viewer
from handlers.core.desk import Desk
from models.console import TicketFacts, check_ins, opened_per_period, points_awarded, ticket_facts
from models.places import Place, PlaceKind
from models.tickets import OPEN_STATUSES

HOUR = 3600.0


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def token(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        following = self.next()
        return date(following.year, following.month, 1) - timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The month's first instant and the next month's, in the community's time zone."""
        start = datetime.combine(date(self.year, self.month, 1), time(), tzinfo=tz)
        following = self.next()
        return start, datetime.combine(date(following.year, following.month, 1), time(), tzinfo=tz)


def read_month(text: str, today: date) -> Month:
    """2026-11 → that month; anything else → this month."""
    year, _, month = text.partition("-")
    if year.isdigit() and month.isdigit() and 2000 <= int(year) <= 2100 and 1 <= int(month) <= 12:
        return Month(int(year), int(month))
    return Month(today.year, today.month)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (share 0.5 is the median), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class Figures:
    """One row of the statistics tables."""

    label: str
    opened: int
    confirm_median: float | None
    confirm_p90: float | None
    resolve_median: float | None
    resolve_p90: float | None
    overdue_share: float
    reopen_rate: float
    stars: float | None
    escalations: int


class Measure(NamedTuple):
    """What the figures take from one ticket (worked out once, however many tables it is counted in)."""

    confirm: float | None
    """Hours from the report to the first confirmation."""
    resolve: float | None
    overdue: bool
    rating: int | None
    reopened: bool
    escalations: int


def overdue(fact: TicketFacts, now: datetime) -> bool:
    return fact.escalations > 0 or (fact.status in OPEN_STATUSES and fact.due_at is not None and fact.due_at < now)


def measure(fact: TicketFacts, now: datetime) -> Measure:
    created = fact.created_at
    return Measure(
        confirm=(fact.confirmed_at - created).total_seconds() / HOUR if fact.confirmed_at else None,
        resolve=(fact.resolved_at - created).total_seconds() / HOUR if fact.resolved_at else None,
        overdue=overdue(fact, now),
        rating=fact.rating,
        reopened=fact.reopens > 0,
        escalations=fact.escalations,
    )


def figures(label: str, facts: list[TicketFacts], now: datetime) -> Figures:
    return summary(label, [measure(f, now) for f in facts])


def summary(label: str, measures: list[Measure]) -> Figures:
    confirm = [m.confirm for m in measures if m.confirm is not None]
    resolve = [m.resolve for m in measures if m.resolve is not None]
    rated = [m.rating for m in measures if m.rating]
    count = len(measures) or 1
    return Figures(
        label=label,
        opened=len(measures),
        confirm_median=rounded(percentile(confirm, 0.5)),
        confirm_p90=rounded(percentile(confirm, 0.9)),
        resolve_median=rounded(percentile(resolve, 0.5)),
        resolve_p90=rounded(percentile(resolve, 0.9)),
        overdue_share=round(sum(m.overdue for m in measures) / count, 3),
        reopen_rate=round(sum(m.reopened for m in measures) / count, 3),
        stars=round(sum(rated) / len(rated), 2) if rated else None,
        escalations=sum(m.escalations for m in measures),
    )


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


Measured = list[tuple[TicketFacts, Measure]]


def figures_by(measured: Measured, key: Callable[[TicketFacts], str | None]) -> dict[str, Figures]:
    """The figures of each group of tickets (key → its figures, labelled with the key)."""
    groups: dict[str, list[Measure]] = {}
    for fact, measures in measured:
        name = key(fact)
        if name is not None:
            groups.setdefault(name, []).append(measures)
    return {k: summary(k, v) for k, v in groups.items()}


def grouped(measured: Measured, key: Callable[[TicketFacts], str | None], labels: Mapping[str, str]) -> list[Figures]:
    """The groups' figures under their labels, the most tickets first."""
    found = [replace(f, label=labels.get(k, k)) for k, f in figures_by(measured, key).items()]
    return sorted(found, key=lambda f: -f.opened)


@dataclass(frozen=True)
class Statistics:
    month: Month
    total: Figures
    by_building: list[Figures]
    by_grid: list[Figures]
    by_category: list[Figures]
    check_ins: int
    points: int
    opened_by_month: list[tuple[str, int]]


def grid_path(path: str) -> str:
    """/1/4/9/ (a building) → /1/4/ (its grid)."""
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[:2]) + "/" if len(parts) >= 2 else path


async def statistics(desk: Desk, viewer: Viewer, month: Month, category_labels: Mapping[str, str]) -> Statistics:
    start, end = month.bounds(desk.config.timezone)
    facts = await ticket_facts(desk.session, scopes=viewer.paths, start=start, end=end)
    places = await visible_places(desk, viewer)
    names = {p.path: p.name for p in places}
    measured = [(f, measure(f, desk.now)) for f in facts]
    return Statistics(
        month=month,
        total=summary("", [m for _, m in measured]),
        by_building=grouped(measured, lambda f: f.path, names),
        by_grid=grouped(measured, lambda f: grid_path(f.path), names),
        by_category=grouped(measured, lambda f: f.category, category_labels),
        check_ins=await attendance(desk, places, start, end),
        points=await points_awarded(desk.session, scopes=viewer.paths, start=start, end=end),
        opened_by_month=await opened_by_month(desk, viewer, month),
    )


async def attendance(desk: Desk, places: list[Place], start: datetime, end: datetime) -> int:
    """Check-ins at events addressed to a place the viewer sees (or to one above it, their community)."""
    visible = {p.id for p in places}
    above = {int(part) for p in places if p.kind != PlaceKind.COMMUNITY for part in p.path.strip("/").split("/")}
    found = await check_ins(desk.session, start=start, end=end)
    return sum(n for scope_ids, n in found if set(scope_ids) & (visible | above))


async def opened_by_month(desk: Desk, viewer: Viewer, last: Month) -> list[tuple[str, int]]:
    """Tickets opened in each of the twelve months up to `last` (one query)."""
    months = [last]
    while len(months) < 12:
        months.append(months[-1].previous())
    months.reverse()
    tz = desk.config.timezone
    bounds = [m.bounds(tz)[0] for m in months] + [last.bounds(tz)[1]]
    counts = await opened_per_period(desk.session, scopes=viewer.paths, bounds=bounds)
    return [(m.token, n) for m, n in zip(months, counts, strict=True)]
