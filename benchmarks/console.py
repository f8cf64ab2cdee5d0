"""The console at data scale: tickets (with their events) and ledger entries generated, then the board (first page,
no filter; filtered; a text search that matches often and one that matches nothing, which reads every ticket), a
ticket page, the statistics page and a month's exports, each timed through the code the web routes call
(handlers/console), with p50/p95 in ms; and the database's size. BENCH_REPEATS (20) sets how many timed runs each
figure has.

Exports are streamed, so each has two figures: "first bytes" is the time from the call until the export hands its
first bytes to the web server (CSV: the header and the first 100 tickets; Excel: the zip's first bytes once the
first 100 tickets are written into it), "whole" until its last byte (the whole file of the month, 1 November to
30 November, about 1/12 of the tickets).

Usage: python benchmarks/console.py [TICKETS] [LEDGER_ENTRIES] [DATABASE_URL]
       (default 100000 and 1000000 on a temporary SQLite file; a PostgreSQL URL must name an empty database, or one
       this script filled before: a database that already holds tickets is measured as it is, not generated again)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings
from bot.db import create_engine, session_factory
from bot.migrate import upgrade_async
from handlers.console.board import board, read_filters, ticket_page, visible_ticket
from handlers.console.exports import Export, export_tickets
from handlers.console.pages import page_words
from handlers.console.scope import viewer_of
from handlers.console.stats import Month, Statistics
from handlers.console.stats import statistics as month_statistics
from handlers.core.assembly import assemble
from handlers.core.context import FeatureConfig
from handlers.core.desk import Desk
from handlers.features import FEATURES
from models.passbook import LedgerEntry
from models.people import Person, RoleGrant
from models.places import Place
from models.tickets import Ticket, TicketEvent

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
GRIDS, BUILDINGS_PER_GRID, PEOPLE = 8, 10, 20_000
CHUNK = 20_000
REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))
STATUSES = ("reported", "confirmed", "assigned", "in_progress", "resolved", "verified", "verified", "verified")
TEXTS = ("3单元电梯坏了", "楼道灯不亮", "门口垃圾没人扫", "楼上漏水到我家", "地库积水", "单元门禁坏了")


async def chunked(conn: object, table: object, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await conn.execute(insert(table), rows[start : start + CHUNK])  # type: ignore[attr-defined]


async def generate(url: str, tickets: int, entries: int) -> None:
    """One community, 8 grids, 80 buildings, 20,000 people; tickets over the last 12 months with 2–4 events each,
    numbered in the order they were reported."""
    rng = random.Random(16)
    engine = create_engine(url)
    async with engine.begin() as conn:
        places = [{"id": 1, "kind": "community", "parent_id": None, "name": "阳光社区", "code": "c", "path": "/1/"}]
        buildings = []
        for g in range(GRIDS):
            gid = 2 + g
            places.append({"id": gid, "kind": "grid", "parent_id": 1, "name": f"第{g + 1}网格", "code": f"g{g}",
                           "path": f"/1/{gid}/"})  # fmt: skip
        for g in range(GRIDS):
            for b in range(BUILDINGS_PER_GRID):
                bid = 100 + g * BUILDINGS_PER_GRID + b
                buildings.append(bid)
                places.append({"id": bid, "kind": "building", "parent_id": 2 + g, "name": f"{bid}号楼",
                               "code": f"b{bid}", "path": f"/1/{2 + g}/{bid}/"})  # fmt: skip
        for p in places:
            p |= {"units": 3, "created_at": NOW}
        await chunked(conn, Place, places)
        people = [{"id": i, "display_name": f"居民{i}", "rank_hidden": False, "created_at": NOW} for i in
                  range(1, PEOPLE + 1)]  # fmt: skip
        await chunked(conn, Person, people)
        grants = [{"person_id": 1, "role": "staff", "place_id": 1, "granted_at": NOW}]
        grants += [{"person_id": 2 + i, "role": "volunteer", "place_id": b, "granted_at": NOW}
                   for i, b in enumerate(buildings)]  # fmt: skip
        await chunked(conn, RoleGrant, grants)
        ticket_rows, event_rows = [], []
        # numbered in the order they were reported, as the bot numbers them
        minutes_ago = sorted((rng.randrange(365 * 24 * 60) for _ in range(tickets)), reverse=True)
        for n, ago in enumerate(minutes_ago, start=1):
            escalated = rng.random() < 0.05
            created = NOW - timedelta(minutes=ago)
            status = rng.choice(STATUSES)
            resolved = created + timedelta(hours=rng.uniform(2, 72)) if status in ("resolved", "verified") else None
            ticket_rows.append({
                "id": n, "category": rng.choice(("repair", "repair", "sanitation", "dispute")),
                "building_id": rng.choice(buildings), "text": rng.choice(TEXTS), "photos": [],
                "reporter_id": rng.randrange(100, PEOPLE), "status": status, "tier": "building",
                "private": False, "urgent": rng.random() < 0.05, "stage_started_at": created,
                "due_at": created + timedelta(hours=24), "reminded": False, "card_refs": [],
                "resolved_at": resolved, "closed_at": resolved if status == "verified" else None,
                "rating": rng.randint(3, 5) if status == "verified" else None,
                "confirmed_at": None, "reopens": 0, "escalations": int(escalated),
                "created_at": created, "updated_at": created,
            })  # fmt: skip
            event_rows.append({"ticket_id": n, "actor_id": None, "action": "reported", "created_at": created})
            if status != "reported":
                confirmed = created + timedelta(minutes=rng.randrange(5, 240))
                ticket_rows[-1]["confirmed_at"] = confirmed
                event_rows.append({"ticket_id": n, "actor_id": 1, "action": "confirm", "to_status": "confirmed",
                                   "created_at": confirmed})  # fmt: skip
            if resolved is not None:
                event_rows.append({"ticket_id": n, "actor_id": 2, "action": "resolve", "to_status": "resolved",
                                   "created_at": resolved})  # fmt: skip
            if escalated:
                event_rows.append({"ticket_id": n, "actor_id": None, "action": "escalate", "note": "grid",
                                   "created_at": created + timedelta(hours=25)})  # fmt: skip
        await chunked(conn, Ticket, ticket_rows)
        await chunked(conn, TicketEvent, [{"to_status": None, "note": None} | e for e in event_rows])
        ledger = [
            {"person_id": rng.randrange(1, PEOPLE), "delta": rng.randint(1, 10), "kind": "award", "reason": "志愿服务",
             "source": "manual", "community_id": 1, "idempotency_key": f"bench:{i}",
             "created_at": NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))}
            for i in range(entries)
        ]  # fmt: skip
        await chunked(conn, LedgerEntry, ledger)
        if engine.dialect.name == "postgresql":
            for table in ("ticket", "ticket_event", "ledger_entry", "place", "person", "role_grant"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))  # fmt: skip
        else:
            await conn.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load: statistics, visibility
        async with engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM ANALYZE"))
    await engine.dispose()


Figure = tuple[str, float, float, float]
"""What, p50 and p95 of the wall-clock time, and the median processor time (this process and its threads, so
SQLite's own work counts): on a busy machine the wall clock waits for the processor, the processor time does not."""


def figure(name: str, took: list[float], cpu: list[float]) -> Figure:
    took = sorted(took)
    return name, statistics.median(took), took[max(0, math.ceil(0.95 * len(took)) - 1)], statistics.median(cpu)


async def timed(name: str, run: Callable[[], Awaitable[object]]) -> list[Figure]:
    await run()  # warm
    took, cpu = [], []
    for _ in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        await run()
        took.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return [figure(name, took, cpu)]


async def streamed(name: str, run: Callable[[], Awaitable[Export]]) -> list[Figure]:
    """An export's time to its first bytes and to its last, and the file's size."""
    first, whole, first_cpu, whole_cpu, size = [], [], [], [], 0
    for repeat in range(REPEATS + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        made, size, started, started_cpu = await run(), 0, 0.0, 0.0
        async for chunk in made.chunks:
            if chunk and not started:
                started, started_cpu = time.perf_counter(), time.process_time()
            size += len(chunk)
        if repeat:  # the first run warms
            first.append((started - start) * 1000)
            first_cpu.append((started_cpu - start_cpu) * 1000)
            whole.append((time.perf_counter() - start) * 1000)
            whole_cpu.append((time.process_time() - start_cpu) * 1000)
    return [
        figure(f"{name}, first bytes", first, first_cpu),
        figure(f"{name}, whole ({size / 1e6:.1f} MB)", whole, whole_cpu),
    ]


async def measure(url: str) -> list[Figure]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    config = assemble(FEATURES, base=FeatureConfig(bot_username="bench"), env=Settings(_env_file=None)).config  # type: ignore[call-arg]
    words = page_words("zh")
    results: list[Figure] = []
    gc.collect()
    gc.freeze()  # as a bot process does once it has started (bot/app.py, freeze_start_up_heap)
    async with sessions() as session:
        viewer = await viewer_of(session, person_id=1)
        assert viewer is not None
        desk = Desk(session=session, config=config, now=NOW, person=viewer.person, grants=viewer.grants)

        async def first_page() -> object:
            return await board(desk, viewer, read_filters({}))

        async def filtered() -> object:
            return await board(desk, viewer, read_filters({"place": "3", "category": "repair", "status": "open",
                                                            "from": "2026-06-01", "to": "2026-08-31"}))  # fmt: skip

        async def searched() -> object:
            return await board(desk, viewer, read_filters({"q": "漏水", "page": "3"}))

        async def searched_in_vain() -> object:
            return await board(desk, viewer, read_filters({"q": "没有这种事"}))

        async def one_ticket() -> object:
            ticket = await visible_ticket(desk, viewer, 54321 % max(1, await count(session)) or 1)
            assert ticket is not None
            return await ticket_page(desk, ticket)

        async def month_stats() -> object:
            return await month_statistics(desk, viewer, Month(2026, 11), {})

        async def month_csv() -> Export:
            filters = read_filters({"from": "2026-11-01", "to": "2026-11-30"})
            return await export_tickets(desk, viewer, filters, words, "csv")

        async def month_xlsx() -> Export:
            filters = read_filters({"from": "2026-11-01", "to": "2026-11-30"})
            return await export_tickets(desk, viewer, filters, words, "xlsx")

        for name, run in (
            ("board", first_page),
            ("board filtered", filtered),
            ("board search", searched),
            ("search, no match", searched_in_vain),
            ("ticket page", one_ticket),
            ("statistics", month_stats),
        ):
            results += await timed(name, run)
        results += await streamed("month CSV", month_csv)
        results += await streamed("month Excel", month_xlsx)
    await engine.dispose()
    return results


async def tickets_in(url: str) -> int:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        found = await count(session)
    await engine.dispose()
    return found


async def count(session: object) -> int:
    return int((await session.exec(text("SELECT count(*) FROM ticket"))).scalar())  # type: ignore[attr-defined]


def file_size(url: str) -> str:
    return f"{os.path.getsize(url.split(':///', 1)[1]) / 1e6:.0f} MB"


async def database_size(url: str) -> str:
    if url.startswith("sqlite"):
        return file_size(url)
    engine = create_engine(url)
    async with engine.connect() as conn:
        size = (await conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))).scalar()
    await engine.dispose()
    return str(size)


@dataclass(frozen=True)
class MonthViews:
    """What the staff member sees of November: its statistics and its CSV export (to check they agree)."""

    statistics: Statistics
    csv: bytes


async def month_views(url: str) -> MonthViews:
    engine = create_engine(url)
    config = assemble(FEATURES, base=FeatureConfig(bot_username="bench"), env=Settings(_env_file=None)).config  # type: ignore[call-arg]
    async with session_factory(engine)() as session:
        viewer = await viewer_of(session, person_id=1)
        assert viewer is not None
        desk = Desk(session=session, config=config, now=NOW, person=viewer.person, grants=viewer.grants)
        shown = await month_statistics(desk, viewer, Month(2026, 11), {})
        filters = read_filters({"from": "2026-11-01", "to": "2026-11-30"})
        made = await export_tickets(desk, viewer, filters, page_words("zh"), "csv")
        content = b"".join([chunk async for chunk in made.chunks])
    await engine.dispose()
    return MonthViews(shown, content)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickets", nargs="?", type=int, default=100_000)
    parser.add_argument("ledger_entries", nargs="?", type=int, default=1_000_000)
    parser.add_argument("database_url", nargs="?", default="", help="default: a temporary SQLite file")
    return parser.parse_args()


async def main() -> None:
    args = arguments()
    tickets, entries = args.tickets, args.ledger_entries
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/console-bench.db"
    await upgrade_async(url)
    start = time.perf_counter()
    if await tickets_in(url):
        print(f"reusing the database's {await tickets_in(url)} tickets; database {await database_size(url)}")
    else:
        await generate(url, tickets, entries)
        print(f"{tickets} tickets, {entries} ledger entries generated in {time.perf_counter() - start:.0f} s; "
              f"database {await database_size(url)} ({url.split(':', 1)[0]})")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} processors")
    print(f"{'what':<34}{'p50 ms':>10}{'p95 ms':>10}{'cpu ms':>10}")
    for name, p50, p95, cpu in await measure(url):
        print(f"{name:<34}{p50:>10.1f}{p95:>10.1f}{cpu:>10.1f}{'' if p95 <= 300 else '  over 300 ms'}")
    november = await month_views(url)
    rows = november.csv.count(b"\r\n") - 1
    print(f"November: {november.statistics.total.opened} tickets in the statistics, {rows} rows in its CSV export")


if __name__ == "__main__":
    asyncio.run(main())
