"""每月排名通报: on the first working day of each month, each community's buildings, grids and organisations (物业,
contractors, utilities, departments — not the 街道, which is above the community) are ranked for the month before by
one documented score, the ranking is kept (with the figures behind it) and a short text with a link to it goes to
the groups bound to the community (staff) and to its grids (grid workers).

Score (0–100, higher is better), from the statistics of the month (handlers/console/stats.py):
    50 × (1 − overdue share) + 30 × average stars ÷ 5 (3 stars when nothing was rated) + 20 × (1 − reopen rate)
Overdue is a ticket escalated at least once (a deadline passed) or still open past its due time, so 1 − overdue
share is the share handled on time. A place's tickets are those reported in its buildings; an organisation's are
those reported that month whose current dispatch is with it (dispatched, accepted or phoned through) when the
ranking is made — a ticket handed back or passed on counts for the organisation that took it.
Ties go to the one with more tickets handled. A place or organisation with no ticket in the month is listed
unranked; a community with no ticket at all that month gets no ranking.
The first working day is the first Monday–Friday of the month (public holidays are not known to the bot); a ranking
missed while the bot was down is posted at the next sweep on a later day of the same month."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, time

from handlers.common.sheets import Cell, Sheet
from handlers.console.scope import Viewer
from handlers.console.settings import ConsoleSettings
from handlers.console.stats import Figures, Month, figures, figures_by, grid_path
from handlers.core.context import Work
from handlers.core.desk import Desk
from handlers.core.types import Send
from models.chats import active_chats_in
from models.console import MonthlyRanking, communities, count_opened, ranking_of, rankings_of, ticket_facts
from models.organisations import OrgKind, organisations_of
from models.places import Place, PlaceKind, places_within

POST_AFTER = time(9, 0)
NEUTRAL_STARS = 3.0
SHOWN_IN_POST = 3


def score(f: Figures) -> float:
    stars = f.stars if f.stars is not None else NEUTRAL_STARS
    return round(50 * (1 - f.overdue_share) + 30 * stars / 5 + 20 * (1 - f.reopen_rate), 1)


def first_working_day(year: int, month: int) -> date:
    day = date(year, month, 1)
    while day.weekday() >= 5:
        day = day.replace(day=day.day + 1)
    return day


@dataclass(frozen=True)
class Entrant:
    """A building, grid or organisation in the ranking: how its row names it, and its month's figures (None: no
    ticket)."""

    key: dict[str, object]
    name: str
    found: Figures | None


def ranked(kind: str, entrants: list[Entrant]) -> list[dict[str, object]]:
    """Rows for one kind, best first; those without tickets last and unranked."""
    scored = sorted(
        ((score(e.found), e.found, e) for e in entrants if e.found is not None),
        key=lambda item: (-item[0], -item[1].opened, item[2].name),
    )
    rows: list[dict[str, object]] = []
    for rank, (points, found, entrant) in enumerate(scored, start=1):
        rows.append({"kind": kind, **entrant.key, "name": entrant.name, "rank": rank, "score": points} | asdict(found))
    for entrant in entrants:
        if entrant.found is None:
            rows.append({"kind": kind, **entrant.key, "name": entrant.name, "rank": None, "score": None})
    return rows


async def rank_community(work: Work, community: Place, month: Month) -> list[dict[str, object]]:
    start, end = month.bounds(work.config.timezone)
    facts = await ticket_facts(work.session, scopes=(community.path,), start=start, end=end, now=work.now)
    places = await places_within(work.session, scope=community)
    by_path = figures_by(facts, lambda f: f.path) | figures_by(facts, lambda f: grid_path(f.path))

    def of_kind(kind: PlaceKind) -> list[Entrant]:
        return [Entrant({"place_id": p.id}, p.name, by_path.get(p.path)) for p in places if p.kind == kind]

    organisations = []
    for org in await organisations_of(work.session, community_id=community.id or 0):
        if org.kind != OrgKind.STREET:
            handled = await ticket_facts(
                work.session, scopes=(), organisations=(org.id or 0,), start=start, end=end, now=work.now
            )
            organisations.append(
                Entrant({"organisation_id": org.id}, org.name, figures(org.name, handled) if handled else None)
            )
    return (
        ranked("building", of_kind(PlaceKind.BUILDING))
        + ranked("grid", of_kind(PlaceKind.GRID))
        + ranked("organisation", organisations)
    )


def due_month(work: Work) -> Month | None:
    """The month to rank now: last month, once its successor's first working day has reached 09:00 local time."""
    local = work.now.astimezone(work.config.timezone)
    if local.date() < first_working_day(local.year, local.month) or (
        local.date() == first_working_day(local.year, local.month) and local.time() < POST_AFTER
    ):
        return None
    return Month(local.year, local.month).previous()


async def sweep_rankings(work: Work) -> int:
    """Rank, keep and post every community's last month once; returns how many communities were ranked."""
    month = due_month(work)
    if month is None:
        return 0
    done = 0
    for community in await communities(work.session):
        if await ranking_of(work.session, community_id=community.id or 0, month=month.token) is not None:
            continue
        start, end = month.bounds(work.config.timezone)
        if not await count_opened(work.session, scopes=(community.path,), start=start, end=end):
            continue
        rows = await rank_community(work, community, month)
        ranking = MonthlyRanking(community_id=community.id or 0, month=month.token, rows=rows, created_at=work.now)
        work.session.add(ranking)
        await work.session.flush()
        await post_ranking(work, community, ranking)
        done += 1
    return done


def top_names(rows: list[dict[str, object]], kind: str) -> str:
    best = [r for r in rows if r["kind"] == kind and r["rank"] is not None][:SHOWN_IN_POST]
    return "、".join(f"{r['rank']}. {r['name']}（{r['score']}）" for r in best)


def organisations_line(work: Work, rows: list[dict[str, object]], none: str) -> str:
    """The post's line of organisations; no line for a community without any."""
    if not any(r["kind"] == "organisation" for r in rows):
        return ""
    return work.t("console.ranking_orgs", names=top_names(rows, "organisation") or none)


async def post_ranking(work: Work, community: Place, ranking: MonthlyRanking) -> None:
    """The short text and the link, in the community's staff group and its grids' groups."""
    url = f"{work.setting(ConsoleSettings).base_url}/console/rankings/{ranking.id}"
    none = work.t("console.ranking_none")
    text = work.t(
        "console.ranking_post",
        community=community.name,
        month=ranking.month,
        buildings=top_names(ranking.rows, "building") or none,
        grids=top_names(ranking.rows, "grid") or none,
        organisations=organisations_line(work, ranking.rows, none),
        url=url,
    )
    offices = [p for p in await places_within(work.session, scope=community) if p.kind != PlaceKind.BUILDING]
    for chat in await active_chats_in(work.session, places=offices):
        work.effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=text))


# ---- in the console ---------------------------------------------------------------------------------------------

RANKING_COLUMNS = (
    "rank", "place", "score", "opened", "overdue_share", "reopen_rate", "stars", "confirm_median", "confirm_p90",
    "resolve_median", "resolve_p90", "escalations",
)  # fmt: skip


async def visible_rankings(desk: Desk, viewer: Viewer) -> list[tuple[MonthlyRanking, Place]]:
    """Rankings of the communities the viewer works in (a grid worker, an organisation's member: their
    community's ranking — figures by place and organisation, no resident's)."""
    found = []
    for community in await communities(desk.session):
        if viewer.knows(community) or any(community.contains(scope) for scope in viewer.tree):
            found += [(r, community) for r in await rankings_of(desk.session, community_ids=[community.id or 0])]
    return sorted(found, key=lambda item: item[0].month, reverse=True)


async def visible_ranking(desk: Desk, viewer: Viewer, ranking_id: int) -> tuple[MonthlyRanking, Place] | None:
    return next((item for item in await visible_rankings(desk, viewer) if item[0].id == ranking_id), None)


def ranking_sheet(ranking: MonthlyRanking, community: Place, words: dict[str, str]) -> Sheet:
    """Every ranked row with the figures behind its score."""
    rows: list[list[Cell]] = []
    for row in ranking.rows:
        cells: list[Cell] = [words[f"kind_{row['kind']}"]]
        for column in RANKING_COLUMNS:
            value = row.get("name" if column == "place" else column)
            cells.append("" if value is None else value if isinstance(value, int | float | str) else str(value))
        rows.append(cells)
    header = [words["category"], *(words[c] for c in RANKING_COLUMNS)]
    return Sheet(f"{community.name}{ranking.month}"[:31], header, rows)
