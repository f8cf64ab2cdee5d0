"""The pace of one member's commands in one group: ten a minute, then one pause and five quiet minutes; counts of
long-gone minutes are forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.db import SessionFactory, unit_of_work
from models.pace import CommandPace, Pace, forget_paces, pace_command
from tests.support.compiled_cache import cache_hits

START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
QUIET = timedelta(minutes=5)


async def paces(sessions: SessionFactory, user: str, at: list[datetime]) -> list[Pace]:
    found = []
    for now in at:
        async with unit_of_work(sessions) as session:
            pace = await pace_command(
                session, platform="telegram", chat_id="-100", user_id=user, now=now, per_minute=3, quiet=QUIET
            )
            found.append(pace)
    return found


async def test_three_a_minute_then_one_pause_then_quiet_then_a_new_minute(sessions: SessionFactory) -> None:
    seconds = [START + timedelta(seconds=s) for s in (0, 10, 20, 30, 40)]
    assert await paces(sessions, "1", seconds) == [Pace.GO, Pace.GO, Pace.GO, Pace.PAUSE, Pace.QUIET]
    assert await paces(sessions, "2", seconds[:1]) == [Pace.GO]  # another member has their own count
    later = [START + timedelta(seconds=30) + QUIET - timedelta(seconds=1), START + timedelta(seconds=30) + QUIET]
    assert await paces(sessions, "1", later) == [Pace.QUIET, Pace.GO]


async def test_a_quiet_member_who_waits_a_minute_between_commands_is_never_paused(sessions: SessionFactory) -> None:
    minutes = [START + timedelta(minutes=m) for m in range(10)]
    assert await paces(sessions, "1", minutes) == [Pace.GO] * 10


async def test_counts_of_minutes_long_past_are_forgotten(sessions: SessionFactory) -> None:
    await paces(sessions, "1", [START])
    await paces(sessions, "2", [START + timedelta(days=1)])
    async with unit_of_work(sessions) as session:
        await forget_paces(session, before=START + timedelta(hours=1))
    async with sessions() as session:
        assert [row.user_id for row in (await session.exec(select(CommandPace))).all()] == ["2"]


async def test_a_flood_in_one_instant_is_paused_once(sessions: SessionFactory) -> None:
    """A batch may carry a flood with one clock reading: the pause is still said once (decided from the row, not
    from the time)."""
    assert await paces(sessions, "1", [START] * 6) == [Pace.GO] * 3 + [Pace.PAUSE, Pace.QUIET, Pace.QUIET]


async def test_the_pace_upsert_is_compiled_once(sessions: SessionFactory) -> None:
    engine = sessions.kw["bind"].sync_engine
    with cache_hits(engine, "ON CONFLICT") as hits:
        await paces(sessions, "1", [START, START + timedelta(seconds=1), START + timedelta(seconds=2)])
    assert hits[1:] == [True, True]
