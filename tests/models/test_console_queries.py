"""The console's fast queries give exactly what a straightforward recomputation from the tickets and their history
gives: the board's counts and pages for many filters, a month's statistics (from the summary each ticket keeps),
the openings per month, and the migration that fills the summary of tickets recorded before it."""

from __future__ import annotations

import importlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.console.stats import figures, figures_by, grid_path
from models.base import on_postgres
from models.console import (
    TicketQuery,
    count_tickets,
    export_batch,
    export_events,
    export_lines,
    in_order,
    listed,
    opened_per_period,
    ticket_facts,
    ticket_numbers,
)
from models.people import Person
from models.places import Place, PlaceKind, add_place
from models.tickets import OPEN_STATUSES, Ticket, add_event, events_of

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
NOVEMBER = (datetime(2026, 10, 31, 16, 0, tzinfo=UTC), datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
TEXTS = ("3单元电梯坏了", "楼道灯不亮", "门口垃圾没人扫", "楼上漏水到我家", "地库积水")
STEPS = ("confirm", "assign", "escalate", "resolve", "reopen", "confirm", "escalate", "resolve", "verify")


@dataclass
class World:
    community: Place
    grids: list[Place]
    buildings: list[Place]
    tickets: list[Ticket]


async def world(session: AsyncSession, *, tickets: int = 240) -> World:
    """Two communities (the second out of every scope), three grids, six buildings; tickets over four months, each
    with a random walk of events recorded the way the features record them (`add_event`)."""
    rng = random.Random(25)
    community = await add_place(session, kind=PlaceKind.COMMUNITY, name="阳光社区", code="c", parent=None)
    other = await add_place(session, kind=PlaceKind.COMMUNITY, name="月光社区", code="o", parent=None)
    grids = [await add_place(session, kind=PlaceKind.GRID, name=f"第{i}网格", code=f"c/{i}", parent=community)
             for i in (1, 2)]  # fmt: skip
    grids.append(await add_place(session, kind=PlaceKind.GRID, name="外网格", code="o/1", parent=other))
    buildings = [await add_place(session, kind=PlaceKind.BUILDING, name=f"{g.code}-{n}号楼", code=f"{g.code}/{n}",
                                 parent=g) for g in grids for n in (1, 2)]  # fmt: skip
    person = Person(display_name="居民", created_at=NOW)
    session.add(person)
    await session.flush()
    found = []
    for _ in range(tickets):
        created = NOW - timedelta(minutes=rng.randrange(120 * 24 * 60))
        ticket = Ticket(
            category=rng.choice(("repair", "sanitation", "dispute")),
            building_id=rng.choice(buildings).id or 0,
            text=rng.choice(TEXTS),
            reporter_id=person.id or 0,
            urgent=rng.random() < 0.2,
            due_at=created + timedelta(hours=rng.choice((2, 24, 24 * 40))),
            rating=rng.choice((None, 3, 5)),
            created_at=created,
        )
        session.add(ticket)
        await session.flush()
        at = created
        for action in STEPS[: rng.randrange(len(STEPS) + 1)]:
            at += timedelta(minutes=rng.choice((15, 75, 180, 1501)), microseconds=rng.randrange(10**6))
            status = {"confirm": "confirmed", "assign": "assigned", "resolve": "resolved", "reopen": "reopened",
                      "verify": "verified"}.get(action)  # fmt: skip
            add_event(session, ticket=ticket, actor_id=None, action=action, to_status=status, now=at)
            if action == "resolve":
                ticket.resolved_at = at
        found.append(ticket)
    await session.flush()
    return World(community, grids, buildings, found)


# ---- the straightforward way --------------------------------------------------------------------------------------


async def facts_from_history(session: AsyncSession, w: World, scope: Place) -> list[tuple[str, str, dict[str, object]]]:
    """(building path, category, what the figures need) of November's tickets in scope, read from their events."""
    paths = {b.id: b.path for b in w.buildings}
    found = []
    for t in w.tickets:
        if not (NOVEMBER[0] <= t.created_at < NOVEMBER[1]) or not paths[t.building_id].startswith(scope.path):
            continue
        events = await events_of(session, ticket_id=t.id or 0)
        confirms = [e.created_at for e in events if e.action == "confirm"]
        escalations = sum(e.action == "escalate" for e in events)
        late = escalations > 0 or (t.status in OPEN_STATUSES and t.due_at is not None and t.due_at < NOW)
        found.append((paths[t.building_id], t.category, {
            "confirm": (min(confirms) - t.created_at).total_seconds() / 3600 if confirms else None,
            "resolve": (t.resolved_at - t.created_at).total_seconds() / 3600 if t.resolved_at else None,
            "overdue": late, "rating": t.rating, "reopened": any(e.action == "reopen" for e in events),
            "escalations": escalations,
        }))  # fmt: skip
    return found


def nearest_rank(values: list[float], share: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[math.ceil(share * len(ordered)) - 1], 1) if ordered else None


def plain_figures(rows: list[dict[str, object]]) -> tuple[object, ...]:
    confirm = [float(r["confirm"]) for r in rows if r["confirm"] is not None]  # type: ignore[arg-type]
    resolve = [float(r["resolve"]) for r in rows if r["resolve"] is not None]  # type: ignore[arg-type]
    rated = [int(r["rating"]) for r in rows if r["rating"]]  # type: ignore[call-overload]
    return (
        len(rows),
        nearest_rank(confirm, 0.5), nearest_rank(confirm, 0.9), nearest_rank(resolve, 0.5), nearest_rank(resolve, 0.9),
        round(sum(bool(r["overdue"]) for r in rows) / len(rows), 3),
        round(sum(bool(r["reopened"]) for r in rows) / len(rows), 3),
        round(sum(rated) / len(rated), 2) if rated else None,
        sum(int(r["escalations"]) for r in rows),  # type: ignore[call-overload]
    )  # fmt: skip


def as_tuple(f: object) -> tuple[object, ...]:
    names = ("opened", "confirm_median", "confirm_p90", "resolve_median", "resolve_p90", "overdue_share",
             "reopen_rate", "stars", "escalations")  # fmt: skip
    return tuple(getattr(f, n) for n in names)


# ---- the tests ----------------------------------------------------------------------------------------------------


async def test_a_months_statistics_match_a_recomputation_from_the_history(session: AsyncSession) -> None:
    w = await world(session)
    for scope in (w.community, w.grids[1]):
        facts = await ticket_facts(session, scopes=(scope.path,), start=NOVEMBER[0], end=NOVEMBER[1], now=NOW)
        plain = await facts_from_history(session, w, scope)
        assert len(facts) == len(plain) > 10
        assert as_tuple(figures("", facts)) == plain_figures([r for _, _, r in plain])
        keys: list[tuple[Callable[[object], str], Callable[[tuple[str, str, dict[str, object]]], str]]] = [
            (lambda f: f.path, lambda r: r[0]),  # type: ignore[attr-defined]
            (lambda f: grid_path(f.path), lambda r: grid_path(r[0])),  # type: ignore[attr-defined]
            (lambda f: f.category, lambda r: r[1]),  # type: ignore[attr-defined]
        ]
        for fast_key, plain_key in keys:
            fast = {k: as_tuple(f) for k, f in figures_by(facts, fast_key).items()}  # type: ignore[arg-type]
            groups: dict[str, list[dict[str, object]]] = {}
            for row in plain:
                groups.setdefault(plain_key(row), []).append(row[2])
            assert fast == {k: plain_figures(v) for k, v in groups.items()}


async def test_openings_per_month_match_a_count_of_the_tickets(session: AsyncSession) -> None:
    w = await world(session)
    bounds = [datetime(2026, m, 1, tzinfo=UTC) - timedelta(hours=8) for m in range(8, 13)]
    got = await opened_per_period(session, scopes=(w.grids[0].path,), bounds=bounds)
    inside = {b.id for b in w.buildings if b.path.startswith(w.grids[0].path)}
    expected = [sum(t.building_id in inside and start <= t.created_at < end for t in w.tickets)
                for start, end in pairwise(bounds)]  # fmt: skip
    assert got == expected and sum(got) > 20


async def test_the_boards_counts_and_pages_match_a_filter_over_every_ticket(session: AsyncSession) -> None:
    w = await world(session)
    paths = {b.id: b.path for b in w.buildings}
    scopes = (w.community.path,)
    queries = [
        TicketQuery(scopes=scopes),
        TicketQuery(scopes=scopes, within=w.grids[1].path, category="repair"),
        TicketQuery(scopes=scopes, statuses=tuple(OPEN_STATUSES), urgent=True),
        TicketQuery(scopes=scopes, overdue_at=NOW, created_from=NOVEMBER[0], created_before=NOVEMBER[1]),
        TicketQuery(scopes=scopes, search="漏水"),
        TicketQuery(scopes=scopes, number=w.tickets[3].id),
        TicketQuery(scopes=(w.grids[2].path,), search="电梯"),
    ]

    def matches(q: TicketQuery, t: Ticket) -> bool:
        path = paths[t.building_id]
        return (
            any(path.startswith(s) for s in q.scopes) and (not q.within or path.startswith(q.within))
            and (not q.category or t.category == q.category) and (not q.statuses or t.status in q.statuses)
            and (not q.urgent or t.urgent)
            and (q.overdue_at is None or (t.is_open and t.due_at is not None and t.due_at < q.overdue_at))
            and (q.created_from is None or t.created_at >= q.created_from)
            and (q.created_before is None or t.created_at < q.created_before)
            and (q.number is None or t.id == q.number) and (not q.text or q.text in t.text)
        )  # fmt: skip

    for q in queries:
        expected = sorted((t.id or 0 for t in w.tickets if matches(q, t)), reverse=True)
        assert await count_tickets(session, query=q) == len(expected), q
        assert await ticket_numbers(session, query=q, limit=7, offset=3) == expected[3:10], q
        assert await ticket_numbers(session, query=q, limit=10_000) == expected, q


async def test_the_migration_fills_the_summary_of_tickets_recorded_before_it(session: AsyncSession) -> None:
    w = await world(session, tickets=60)
    kept = {t.id: (t.confirmed_at, t.reopens, t.escalations) for t in w.tickets}
    assert any(r for _, r, _ in kept.values()) and any(e for _, _, e in kept.values())
    await session.exec(text("UPDATE ticket SET confirmed_at = NULL, reopens = 0, escalations = 0"))  # type: ignore[call-overload]
    migration = importlib.import_module("migrations.versions.0025_console_at_scale")
    await session.exec(text(migration.FROM_HISTORY))  # type: ignore[call-overload]
    rows = await session.exec(text("SELECT id, confirmed_at, reopens, escalations FROM ticket"))  # type: ignore[call-overload]
    filled = {i: (as_instant(c), r, e) for i, c, r, e in rows.all()}
    assert filled == kept


def as_instant(value: object) -> datetime | None:
    """A time read back by plain SQL: SQLite gives text, PostgreSQL an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value.astimezone(UTC) if isinstance(value, datetime) else None
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


async def test_an_exports_batch_holds_the_rows_of_its_selects_and_the_names_of_the_people_in_them(
    session: AsyncSession,
) -> None:
    """The columns read as one JSON value hold what the same selects' plain rows hold, in order, nulls included,
    and the names of every reporter, assignee and actor among them; no events and unknown numbers give empty
    columns."""
    w = await world(session, tickets=60)
    numbers = [*sorted((t.id or 0 for t in w.tickets), reverse=True)[5:45], 10**9]
    worker, actor = Person(display_name="张社工", created_at=NOW), Person(display_name="李网格", created_at=NOW)
    session.add_all([worker, actor])
    await session.flush()
    w.tickets[20].assignee_id = worker.id
    add_event(session, ticket=w.tickets[30], actor_id=actor.id, action="note", to_status=None, now=NOW)
    await session.flush()
    postgres = on_postgres(session)
    batch = await export_batch(session, numbers=numbers)
    for select_of, columns in ((export_lines, batch.tickets), (export_events, batch.events)):
        rows = await plain_rows_of(session, select_of(postgres), numbers)
        assert rows, select_of
        assert [list(row) for row in rows] == [list(row) for row in zip(*columns, strict=True)], select_of
    people = {*batch.tickets[8], *batch.tickets[9], *batch.events[4]} - {None}
    assert len(people) == 3 and batch.names == {p.id: p.display_name for p in await people_numbered(session, people)}
    quiet = [t.id or 0 for t in w.tickets if not await events_of(session, ticket_id=t.id or 0)]
    assert quiet and (await export_batch(session, numbers=quiet[:1])).events == [[] for _ in range(7)]
    assert await export_batch(session, numbers=[10**9]) == ([[] for _ in range(15)], [[] for _ in range(7)], {})


async def people_numbered(session: AsyncSession, numbers: set[int]) -> list[Person]:
    return list((await session.exec(select(Person).where(col(Person.id).in_(numbers)))).all())


async def plain_rows_of(session: AsyncSession, statement: object, numbers: list[int]) -> list[object]:
    connection = await session.connection()
    return list((await connection.execute(statement, {"numbers": listed(on_postgres(session), numbers)})).all())  # type: ignore[call-overload]


def test_columns_out_of_order_are_put_in_order_together() -> None:
    columns = [[3, 1, 2], ["c", "a", "b"], [None, 10, 20]]
    assert in_order(columns, descending=False) == [[1, 2, 3], ["a", "b", "c"], [10, 20, None]]
    assert in_order(columns, descending=True) == [[3, 2, 1], ["c", "b", "a"], [None, 20, 10]]
    ordered = [[1, 2, 3], ["a", "b", "c"]]
    assert in_order(ordered, descending=False) is ordered
    assert in_order([[], []], descending=True) == [[], []]


async def test_an_exports_times_are_whole_seconds_since_1970(session: AsyncSession) -> None:
    """Rounded down, even 0.4 ms before the next second, here the next month (SQLite's time functions round to the
    millisecond); None for none."""
    w = await world(session, tickets=3)
    moments = [datetime(2026, 11, 30, 23, 59, 59, 999_600, tzinfo=UTC), datetime(2038, 1, 19, 3, 14, 8, 1, tzinfo=UTC)]
    for ticket, moment in zip(w.tickets, moments, strict=False):
        ticket.created_at, ticket.closed_at = moment, None
    await session.flush()
    numbers = sorted((t.id or 0 for t in w.tickets[:2]), reverse=True)
    _, _, _, _, _, _, _, _, _, _, created, _, _, closed, _ = (await export_batch(session, numbers=numbers)).tickets
    assert created == [int(moment.timestamp()) for moment in reversed(moments)] and closed == [None, None]
