"""Statistics for one month of the tickets the viewer sees (their scopes, their organisations' tickets): per
building, grid, organisation (the tickets whose current dispatch is with it) and category — tickets opened, time to
confirm and to resolve (median and 90th percentile, hours), overdue share, reopen rate, average stars, escalations —
plus event check-ins, volunteer points and the tickets opened in each of the last twelve months.

Overdue: a ticket escalated at least once (a deadline passed) or still open past its due time."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache

from handlers.common.numbers import read_year_month
from handlers.console.board import visible_organisations, visible_places
from handlers.console.scope import Viewer
from handlers.core.desk import Desk
from models.console import TicketFacts, check_ins, opened_per_period, plan_for_the_values, points_awarded, ticket_facts
from models.places import Place, PlaceKind


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
    found = read_year_month(text, first_year=2000, last_year=2100)
    return Month(*found) if found else Month(today.year, today.month)


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


def figures(label: str, facts: list[TicketFacts]) -> Figures:
    confirm = [f.confirm_hours for f in facts if f.confirm_hours is not None]
    resolve = [f.resolve_hours for f in facts if f.resolve_hours is not None]
    rated = [f.rating for f in facts if f.rating]
    count = len(facts) or 1
    return Figures(
        label=label,
        opened=len(facts),
        confirm_median=rounded(percentile(confirm, 0.5)),
        confirm_p90=rounded(percentile(confirm, 0.9)),
        resolve_median=rounded(percentile(resolve, 0.5)),
        resolve_p90=rounded(percentile(resolve, 0.9)),
        overdue_share=round(sum(f.overdue for f in facts) / count, 3),
        reopen_rate=round(sum(f.reopened for f in facts) / count, 3),
        stars=round(sum(rated) / len(rated), 2) if rated else None,
        escalations=sum(f.escalations for f in facts),
    )


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def figures_by(facts: list[TicketFacts], key: Callable[[TicketFacts], str | None]) -> dict[str, Figures]:
    """The figures of each group of tickets (key → its figures, labelled with the key)."""
    groups: dict[str, list[TicketFacts]] = {}
    for fact in facts:
        name = key(fact)
        if name is not None:
            groups.setdefault(name, []).append(fact)
    return {k: figures(k, v) for k, v in groups.items()}


def grouped(
    facts: list[TicketFacts], key: Callable[[TicketFacts], str | None], labels: Mapping[str, str]
) -> list[Figures]:
    """The groups' figures under their labels, the most tickets first."""
    found = [replace(f, label=labels.get(k, k)) for k, f in figures_by(facts, key).items()]
    return sorted(found, key=lambda f: -f.opened)


@dataclass(frozen=True)
class Statistics:
    month: Month
    total: Figures
    by_building: list[Figures]
    by_grid: list[Figures]
    by_category: list[Figures]
    by_organisation: list[Figures]
    check_ins: int
    points: int
    opened_by_month: list[tuple[str, int]]


@cache
def grid_path(path: str) -> str:
    """/1/4/9/ (a building) → /1/4/ (its grid); remembered, as a month's thousands of tickets share a few paths."""
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[:2]) + "/" if len(parts) >= 2 else path


async def statistics(desk: Desk, viewer: Viewer, month: Month, category_labels: Mapping[str, str]) -> Statistics:
    start, end = month.bounds(desk.config.timezone)
    await plan_for_the_values(desk.session)
    facts = await ticket_facts(
        desk.session,
        scopes=viewer.paths,
        organisations=viewer.organisation_ids,
        start=start,
        end=end,
        now=desk.now,
    )
    places = await visible_places(desk, viewer)
    names = {p.path: p.name for p in places}
    return Statistics(
        month=month,
        total=figures("", facts),
        by_building=grouped(facts, lambda f: f.path, names),
        by_grid=grouped(facts, lambda f: grid_path(f.path), names),
        by_category=grouped(facts, lambda f: f.category, category_labels),
        by_organisation=await organisation_figures(desk, viewer, start, end),
        check_ins=await attendance(desk, [p for p in places if viewer.sees(p)], start, end),
        points=await points_awarded(desk.session, scopes=viewer.paths, start=start, end=end),
        opened_by_month=await opened_by_month(desk, viewer, month),
    )


async def organisation_figures(desk: Desk, viewer: Viewer, start: datetime, end: datetime) -> list[Figures]:
    """Each organisation's figures over the viewer's tickets whose current dispatch is with it, the most first."""
    found = []
    for org in await visible_organisations(desk, viewer):
        facts = await ticket_facts(
            desk.session,
            scopes=viewer.paths,
            organisations=viewer.organisation_ids,
            handled_by=org.id or 0,
            start=start,
            end=end,
            now=desk.now,
        )
        if facts:
            found.append(figures(org.name, facts))
    return sorted(found, key=lambda f: -f.opened)


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
    counts = await opened_per_period(
        desk.session, scopes=viewer.paths, organisations=viewer.organisation_ids, bounds=bounds
    )
    return [(m.token, n) for m, n in zip(months, counts, strict=True)]
