"""Redemptions racing each other from separate sessions (separate connections) can never overspend points or hold
more pieces than are on the shelf. On PostgreSQL the transactions truly overlap; on SQLite BEGIN IMMEDIATE queues
the writers, which must give the same outcome."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.db import SessionFactory, unit_of_work
from models.ledger import InsufficientPoints, balance_of, post_entry, recompute_drift
from models.passbook import EntryKind, LedgerEntry, awarded_since
from models.people import Person, lock_person
from models.places import PlaceKind, add_place
from models.shop import Hold, Redemption, Refusal, RewardItem, hold_item

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
RACERS = 8


async def community_with_item(sessions: SessionFactory, *, cost: int, stock: int) -> tuple[int, int]:
    async with unit_of_work(sessions) as session:
        community = await add_place(session, kind=PlaceKind.COMMUNITY, name="阳光社区", code="阳光社区", parent=None)
        item = RewardItem(community_id=community.id or 0, name="大米", cost=cost, stock=stock)
        session.add(item)
        await session.flush()
        return community.id or 0, item.id or 0


async def person_with_points(sessions: SessionFactory, name: str, points: int) -> int:
    async with unit_of_work(sessions) as session:
        person = Person(display_name=name)
        session.add(person)
        await session.flush()
        assert person.id is not None
        await post_entry(
            session,
            person_id=person.id,
            delta=points,
            kind=EntryKind.AWARD,
            reason="扫雪",
            source="manual",
            source_id=None,
            actor_id=None,
            idempotency_key=f"seed:{person.id}",
            now=NOW,
        )
        return person.id


async def hold_in_own_session(
    sessions: SessionFactory, *, person_id: int, community_id: int, item_id: int, key: str
) -> Hold:
    """One resident pressing 确认兑换: its own session, connection and transaction."""
    async with unit_of_work(sessions) as session:
        return await hold_item(
            session,
            person_id=person_id,
            item_id=item_id,
            community_id=community_id,
            request_key=key,
            now=NOW,
            expires_at=NOW + timedelta(hours=72),
            reason="兑换：大米",
        )


async def test_concurrent_redemptions_by_one_person_cannot_overspend(sessions: SessionFactory) -> None:
    community_id, item_id = await community_with_item(sessions, cost=30, stock=100)
    person_id = await person_with_points(sessions, "王小明", 100)
    holds = await asyncio.gather(
        *(
            hold_in_own_session(sessions, person_id=person_id, community_id=community_id, item_id=item_id, key=f"k{n}")
            for n in range(RACERS)
        )
    )
    assert sum(h.redemption is not None for h in holds) == 3
    assert {h.refusal for h in holds if h.redemption is None} == {Refusal.NOT_ENOUGH}
    async with sessions() as session:
        assert (await balance_of(session, person_id=person_id)).spendable == 10
        assert len((await session.exec(select(Redemption))).all()) == 3
        assert len((await session.exec(select(LedgerEntry))).all()) == 1 + 3
        assert await recompute_drift(session) == []


async def test_concurrent_redemptions_of_the_last_pieces_hold_no_more_than_the_stock(
    sessions: SessionFactory,
) -> None:
    community_id, item_id = await community_with_item(sessions, cost=10, stock=2)
    people = [await person_with_points(sessions, f"居民{n}", 50) for n in range(RACERS)]
    holds = await asyncio.gather(
        *(
            hold_in_own_session(sessions, person_id=p, community_id=community_id, item_id=item_id, key=f"k{p}")
            for p in people
        )
    )
    winners = [h.redemption.person_id for h in holds if h.redemption is not None]
    assert len(winners) == 2
    assert {h.refusal for h in holds if h.redemption is None} == {Refusal.SOLD_OUT}
    async with sessions() as session:
        spendable = {p: (await balance_of(session, person_id=p)).spendable for p in people}
        assert spendable == {p: 40 if p in winners else 50 for p in people}
        assert await recompute_drift(session) == []


async def test_the_same_confirm_pressed_twice_at_once_holds_once(sessions: SessionFactory) -> None:
    community_id, item_id = await community_with_item(sessions, cost=10, stock=5)
    person_id = await person_with_points(sessions, "王小明", 100)
    holds = await asyncio.gather(
        *(
            hold_in_own_session(sessions, person_id=person_id, community_id=community_id, item_id=item_id, key="same")
            for _ in range(RACERS)
        )
    )
    assert sum(h.redemption is not None for h in holds) == 1
    assert {h.refusal for h in holds if h.redemption is None} == {Refusal.DUPLICATE}
    async with sessions() as session:
        assert (await balance_of(session, person_id=person_id)).spendable == 90


async def test_concurrent_ledger_redeems_cannot_overspend(sessions: SessionFactory) -> None:
    """The ledger alone: racing REDEEM entries of 30 against 100 points, each in its own transaction."""
    person_id = await person_with_points(sessions, "王小明", 100)

    async def redeem(n: int) -> bool:
        try:
            async with unit_of_work(sessions) as session:
                entry = await post_entry(
                    session,
                    person_id=person_id,
                    delta=-30,
                    kind=EntryKind.REDEEM,
                    reason="兑换",
                    source="redemption",
                    source_id=None,
                    actor_id=person_id,
                    idempotency_key=f"race:{n}",
                    now=NOW,
                )
                return entry is not None
        except InsufficientPoints:
            return False

    outcomes = await asyncio.gather(*(redeem(n) for n in range(RACERS)))
    assert sum(outcomes) == 3
    async with sessions() as session:
        assert (await balance_of(session, person_id=person_id)).spendable == 10
        assert await recompute_drift(session) == []


async def test_racing_awards_by_one_awarder_stay_under_the_daily_cap(sessions: SessionFactory) -> None:
    """What the /award handler does, in eight transactions at once: lock the awarder's row, read what they gave
    today, post if it still fits. Without the lock, every racer reads 0 on PostgreSQL and all eight fit."""
    awarder = await person_with_points(sessions, "李楼长", 1)
    recipient = await person_with_points(sessions, "王小明", 1)
    since = NOW - timedelta(hours=1)

    async def award(n: int) -> bool:
        async with unit_of_work(sessions) as session:
            await lock_person(session, person_id=awarder)
            given = await awarded_since(session, since=since, source="manual", actor_id=awarder)
            if given + 20 > 50:
                return False
            await post_entry(
                session,
                person_id=recipient,
                delta=20,
                kind=EntryKind.AWARD,
                reason="扫雪",
                source="manual",
                source_id=None,
                actor_id=awarder,
                idempotency_key=f"manual:{n}",
                now=NOW,
            )
            return True

    assert sum(await asyncio.gather(*(award(n) for n in range(RACERS)))) == 2
    async with sessions() as session:
        assert (await balance_of(session, person_id=recipient)).spendable == 1 + 40
