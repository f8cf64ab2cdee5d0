"""The console's data-scale benchmark at a CI size (the full one is `benchmarks/console.py`: 100,000 tickets and
1,000,000 ledger entries): the generated data answers every page and export it times, and what they show agrees
with plain counts of the generated rows."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

import benchmarks.console as bench
from bot.db import create_engine
from models.tickets import Ticket


async def november_tickets(url: str) -> int:
    engine = create_engine(url)
    start, end = bench.Month(2026, 11).bounds(bench.SHANGHAI)
    query = select(func.count()).select_from(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end)  # type: ignore[arg-type]
    async with engine.connect() as conn:
        found = (await conn.execute(query)).scalar()
    await engine.dispose()
    return int(found or 0)


async def test_the_benchmark_at_a_small_size(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "REPEATS", 2)
    await bench.generate(database_url, 600, 2_000)
    figures = {name.split(" (")[0]: p95 for name, _, p95, _ in await bench.measure(database_url)}
    assert set(figures) == {
        "board", "board filtered", "board search", "search, no match", "ticket page", "statistics",
        "month CSV, first bytes", "month CSV, whole", "month Excel, first bytes", "month Excel, whole",
    }  # fmt: skip
    shown = await bench.month_views(database_url)
    expected = await november_tickets(database_url)
    assert expected > 20 and shown.statistics.total.opened == expected
    assert len(list(csv.reader(io.StringIO(shown.csv.decode("utf-8-sig"))))) == expected + 1
