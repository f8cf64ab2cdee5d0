"""The ticket board and the ticket page: filters read from a query string, rows and a page to render, all inside
the viewer's part of the tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from handlers.common.numbers import parse_id, read_number
from handlers.common.ticket_places import with_location
from handlers.console.scope import Viewer
from handlers.core.desk import Desk, DeskAction
from models.console import TicketQuery, count_tickets, ticket_numbers, tickets_numbered
from models.organisations import Organisation, OrgKind, organisations_of
from models.people import Person
from models.places import Place, ancestors, place_by_id, places_within
from models.tickets import (
    OPEN_STATUSES,
    Category,
    Ticket,
    TicketStatus,
    affected_people,
    events_of,
    ticket_for_change,
)

PAGE_SIZE = 50
SEARCH_LIMIT = 2_000
LAST_PAGE = 10_000  # a page number in the URL beyond this shows the first page
"""A text search reads the tickets once, newest first, and stops at this many matches (the board says 2000+)."""
STATUS_GROUPS = {"open": tuple(OPEN_STATUSES), "resolved": (TicketStatus.RESOLVED,)}
CLOSED = (TicketStatus.VERIFIED, TicketStatus.REJECTED, TicketStatus.DUPLICATE)
REVISIT_ACTIONS = ("verify", "reopen", "rate")


@dataclass(frozen=True)
class Filters:
    """What the board's form asks for, as the form sends it (blank fields are no filter)."""

    place: int | None = None
    organisation: int | None = None
    category: str = ""
    status: str = ""
    urgent: bool = False
    overdue: bool = False
    start: date | None = None
    end: date | None = None
    search: str = ""
    page: int = 0

    def as_params(self) -> dict[str, str]:
        """The query string of these filters (for paging links and exports)."""
        values = {
            "place": str(self.place or ""),
            "org": str(self.organisation or ""),
            "category": self.category,
            "status": self.status,
            "urgent": "1" if self.urgent else "",
            "overdue": "1" if self.overdue else "",
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "q": self.search,
        }
        return {k: v for k, v in values.items() if v}


def read_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def read_filters(params: Mapping[str, str]) -> Filters:
    """Filters from a query string; what cannot be read is left out rather than refused."""
    page = read_number(params.get("page", ""), maximum=LAST_PAGE)
    return Filters(
        place=parse_id(params.get("place", "")),
        organisation=parse_id(params.get("org", "")),
        category=params.get("category", "") if params.get("category", "") in set(Category) else "",
        status=params.get("status", "") if params.get("status", "") in (*STATUS_GROUPS, "closed") else "",
        urgent=params.get("urgent") == "1",
        overdue=params.get("overdue") == "1",
        start=read_date(params.get("from", "")),
        end=read_date(params.get("to", "")),
        search=params.get("q", "")[:100],
        page=page if isinstance(page, int) else 0,
    )


async def ticket_query(desk: Desk, viewer: Viewer, filters: Filters) -> TicketQuery:
    """The filters as a query, always inside the viewer's scopes (a place outside them is ignored)."""
    within = None
    if filters.place is not None:
        place = await place_by_id(desk.session, place_id=filters.place)
        within = place.path if place is not None and viewer.knows(place) else None
    tz = desk.config.timezone
    start = datetime.combine(filters.start, time(), tzinfo=tz) if filters.start else None
    end = datetime.combine(filters.end + timedelta(days=1), time(), tzinfo=tz) if filters.end else None
    statuses = CLOSED if filters.status == "closed" else STATUS_GROUPS.get(filters.status, ())
    return TicketQuery(
        scopes=viewer.paths,
        organisations=viewer.organisation_ids,
        within=within,
        category=filters.category or None,
        organisation=filters.organisation,
        statuses=tuple(str(s) for s in statuses),
        urgent=filters.urgent,
        overdue_at=desk.now if filters.overdue else None,
        created_from=start,
        created_before=end,
        number=parse_id(filters.search),
        search=filters.search,
    )


@dataclass(frozen=True)
class Row:
    ticket: Ticket
    building: Place
    overdue: bool


@dataclass(frozen=True)
class Board:
    filters: Filters
    rows: list[Row]
    total: int
    places: list[Place]
    organisations: list[Organisation]
    more: bool = False
    """The search stopped at SEARCH_LIMIT matches: there are more than `total`."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


async def board(desk: Desk, viewer: Viewer, filters: Filters) -> Board:
    """One page of the tickets the filters show, newest first, and how many there are in all.

    The count and the page's numbers come from the board's index; only a text search reads the tickets' texts, and
    then once: the matching numbers (at most SEARCH_LIMIT) give both the count and the page."""
    query = await ticket_query(desk, viewer, filters)
    offset = filters.page * PAGE_SIZE
    if query.text:
        found = await ticket_numbers(desk.session, query=query, limit=SEARCH_LIMIT + 1)
        total, more = min(len(found), SEARCH_LIMIT), len(found) > SEARCH_LIMIT
        numbers = found[offset : offset + PAGE_SIZE]
    else:
        total, more = await count_tickets(desk.session, query=query), False
        numbers = await ticket_numbers(desk.session, query=query, limit=PAGE_SIZE, offset=offset)
    shown = await tickets_numbered(desk.session, numbers=numbers)
    rows = [Row(t, b, bool(t.is_open and t.due_at is not None and t.due_at < desk.now)) for t, b in shown]
    return Board(
        filters, rows, total, await visible_places(desk, viewer), await visible_organisations(desk, viewer), more
    )


async def visible_places(desk: Desk, viewer: Viewer) -> list[Place]:
    """Every community, grid and building the viewer may filter on, in tree order."""
    found: dict[int, Place] = {}
    for scope in viewer.tree:
        found |= {p.id or 0: p for p in await places_within(desk.session, scope=scope)}
    return sorted(found.values(), key=lambda p: p.path)


async def visible_organisations(desk: Desk, viewer: Viewer) -> list[Organisation]:
    """The organisations the viewer may filter on and see figures of: their own (an organisation's member), or those
    of the communities their scopes are in (the 街道 is above the community, not among them)."""
    if not viewer.scopes:
        return list(viewer.organisations)
    community_ids = sorted({int(p.path.strip("/").split("/")[0]) for p in viewer.scopes})
    found = [o for c in community_ids for o in await organisations_of(desk.session, community_id=c)]
    return [o for o in found if o.kind != OrgKind.STREET]


# ---- one ticket ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    actor: str
    note: str
    to_status: str | None


@dataclass(frozen=True)
class Offered:
    action: DeskAction
    choices: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class TicketPage:
    ticket: Ticket
    place: str
    reporter: str
    assignee: str
    timeline: list[Step]
    affected: list[str]
    revisits: list[Step]
    actions: list[Offered]


async def visible_ticket(desk: Desk, viewer: Viewer, ticket_id: int) -> Ticket | None:
    """The ticket if the board would list it to the viewer (the same query); None otherwise, as if it did not
    exist."""
    query = TicketQuery(scopes=viewer.paths, organisations=viewer.organisation_ids, number=ticket_id)
    if not await count_tickets(desk.session, query=query):
        return None
    return await desk.session.get(Ticket, ticket_id)


async def names(desk: Desk, person_ids: set[int]) -> dict[int, str]:
    found = {}
    for person_id in person_ids:
        person = await desk.session.get(Person, person_id)
        if person is not None:
            found[person_id] = person.display_name
    return found


async def ticket_page(desk: Desk, ticket: Ticket) -> TicketPage:
    events = await events_of(desk.session, ticket_id=ticket.id or 0)
    affected = await affected_people(desk.session, ticket_id=ticket.id or 0)
    people = {e.actor_id for e in events if e.actor_id} | set(affected) | {ticket.reporter_id}
    known = await names(desk, people | ({ticket.assignee_id} if ticket.assignee_id else set()))
    timeline = [Step(e.created_at, e.action, known.get(e.actor_id or 0, ""), e.note or "", e.to_status) for e in events]
    building = await place_by_id(desk.session, place_id=ticket.building_id)
    chain = await ancestors(desk.session, place=building) if building is not None else []
    offered = []
    for action in desk.config.desk_actions:
        if action.offered(ticket) and (action.permitted is None or await action.permitted(desk, ticket)):
            choices = await action.choices(desk, ticket) if action.choices is not None else []
            if action.choices is None or choices:  # an action with nothing to choose from is not offered
                offered.append(Offered(action, choices))
    return TicketPage(
        ticket=ticket,
        place=with_location(" · ".join(p.name for p in chain), ticket.location),
        reporter=known.get(ticket.reporter_id, ""),
        assignee=known.get(ticket.assignee_id or 0, ""),
        timeline=timeline,
        affected=[known.get(p, "") for p in affected],
        revisits=[s for s in timeline if s.action in REVISIT_ACTIONS],
        actions=offered,
    )


async def run_action(desk: Desk, ticket: Ticket, name: str, form: Mapping[str, str]) -> str | None:
    """Run a console action on the ticket (locked and read afresh first, `ticket_for_change`); None when done, else
    the polite reason it was not."""
    locked = await ticket_for_change(desk.session, ticket_id=ticket.id or 0)
    action = next((a for a in desk.config.desk_actions if a.name == name), None)
    if locked is None or action is None or not action.offered(locked):
        return desk.t("console.stale")
    return await action.handler(desk, locked, form)
