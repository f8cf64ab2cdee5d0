"""Ledger arithmetic: awards, redemptions and reversals move the right balances, never below zero, at most once per
idempotency key, and a tampered balance row is reported as drift."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import SessionFactory
from models.ledger import (
    Drift,
    InsufficientPoints,
    Posting,
    balance_of,
    lifetime_effect,
    post_entry,
    recompute_drift,
)
from models.passbook import Balance, EntryKind, LedgerEntry
from models.people import Person
from tests.conftest import ON_POSTGRES
from tests.support.compiled_cache import cache_hits

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def new_person(session: AsyncSession, name: str = "王阿姨") -> int:
    person = Person(display_name=name)
    session.add(person)
    await session.flush()
    assert person.id is not None
    return person.id


async def post(
    session: AsyncSession, person_id: int, delta: int, kind: EntryKind, key: str, source: str = "manual"
) -> Posting | None:
    return await post_entry(
        session,
        person_id=person_id,
        delta=delta,
        kind=kind,
        reason="扫雪",
        source=source,
        source_id=None,
        actor_id=None,
        idempotency_key=key,
        now=NOW,
    )


async def balances(session: AsyncSession, person_id: int) -> tuple[int, int]:
    balance = await balance_of(session, person_id=person_id)
    return balance.spendable, balance.lifetime


async def entry_count(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(LedgerEntry))).one()


@pytest.mark.parametrize(
    ("kind", "delta", "effect"),
    [
        (EntryKind.AWARD, 10, 10),
        (EntryKind.REDEEM, -10, 0),
        (EntryKind.REVERSAL, -10, -10),
        (EntryKind.REVERSAL, 10, 0),
        (EntryKind.ADJUSTMENT, 5, 0),
        (EntryKind.ADJUSTMENT, -5, 0),
    ],
)
def test_only_awards_and_their_reversals_move_lifetime(kind: EntryKind, delta: int, effect: int) -> None:
    assert lifetime_effect(kind, delta) == effect


async def test_a_person_without_entries_has_zero_balances(session: AsyncSession) -> None:
    person = await new_person(session)
    assert await balances(session, person) == (0, 0)


async def test_award_redeem_and_both_reversals(session: AsyncSession) -> None:
    person = await new_person(session)
    await post(session, person, 30, EntryKind.AWARD, "a1")
    assert await balances(session, person) == (30, 30)
    await post(session, person, -12, EntryKind.REDEEM, "hold1")
    assert await balances(session, person) == (18, 30)
    await post(session, person, 12, EntryKind.REVERSAL, "hold1:back")
    assert await balances(session, person) == (30, 30)
    await post(session, person, -10, EntryKind.REVERSAL, "a1:revoke")
    assert await balances(session, person) == (20, 20)
    await post(session, person, 3, EntryKind.ADJUSTMENT, "fix1")
    assert await balances(session, person) == (23, 20)
    assert await entry_count(session) == 5


async def test_the_same_key_moves_points_once_and_leaves_the_session_usable(session: AsyncSession) -> None:
    person = await new_person(session)
    first = await post(session, person, 10, EntryKind.AWARD, "event:7:person")
    again = await post(session, person, 10, EntryKind.AWARD, "event:7:person")
    assert first is not None and first.entry.id is not None and again is None
    assert await balances(session, person) == (10, 10)
    assert await post(session, person, 5, EntryKind.AWARD, "event:8:person") is not None
    assert await balances(session, person) == (15, 15)


async def test_spending_more_than_spendable_is_refused_and_changes_nothing(session: AsyncSession) -> None:
    person = await new_person(session)
    await post(session, person, 10, EntryKind.AWARD, "a1")
    with pytest.raises(InsufficientPoints):
        await post(session, person, -11, EntryKind.REDEEM, "hold1")
    assert await balances(session, person) == (10, 10)
    assert await entry_count(session) == 1
    assert await post(session, person, -10, EntryKind.REDEEM, "hold1") is not None
    assert await balances(session, person) == (0, 10)


async def test_an_award_already_spent_cannot_be_reversed(session: AsyncSession) -> None:
    person = await new_person(session)
    await post(session, person, 10, EntryKind.AWARD, "a1")
    await post(session, person, -8, EntryKind.REDEEM, "hold1")
    with pytest.raises(InsufficientPoints):
        await post(session, person, -10, EntryKind.REVERSAL, "a1:revoke")
    assert await balances(session, person) == (2, 10)


async def test_a_first_entry_below_zero_is_refused(session: AsyncSession) -> None:
    person = await new_person(session)
    with pytest.raises(InsufficientPoints):
        await post(session, person, -1, EntryKind.ADJUSTMENT, "fix1")
    assert await entry_count(session) == 0


@pytest.mark.parametrize(("kind", "delta"), [(EntryKind.AWARD, -5), (EntryKind.REDEEM, 5), (EntryKind.AWARD, 0)])
async def test_entries_of_the_wrong_sign_are_programming_errors(
    session: AsyncSession, kind: EntryKind, delta: int
) -> None:
    person = await new_person(session)
    with pytest.raises(ValueError, match="point"):
        await post(session, person, delta, kind, "bad")


async def test_drift_is_reported_for_a_tampered_balance_only(session: AsyncSession) -> None:
    alice, bob = await new_person(session, "阿丽"), await new_person(session, "阿波")
    await post(session, alice, 20, EntryKind.AWARD, "a1")
    await post(session, alice, -5, EntryKind.REDEEM, "r1")
    await post(session, bob, 7, EntryKind.AWARD, "b1")
    assert await recompute_drift(session) == []
    tamper = update(Balance).where(col(Balance.person_id) == alice).values(spendable=99)
    await session.exec(tamper)
    assert await recompute_drift(session) == [Drift(alice, 99, 20, 15, 20)]


async def test_a_balance_row_without_entries_is_drift(session: AsyncSession) -> None:
    person = await new_person(session)
    session.add(Balance(person_id=person, spendable=4, lifetime=4))
    await session.flush()
    assert await recompute_drift(session) == [Drift(person, 4, 4, 0, 0)]


async def test_racing_posts_of_one_key_land_once(sessions: SessionFactory) -> None:
    """Two transactions post the same key at once: one entry, one move, and neither transaction breaks."""
    async with sessions() as setup, setup.begin():
        person = await new_person(setup)
        await post(setup, person, 1, EntryKind.AWARD, "seed")

    async def attempt() -> bool:
        async with sessions() as session, session.begin():
            posted = await post(session, person, 10, EntryKind.AWARD, "ticket:3:volunteer")
            await asyncio.sleep(0.05 if ON_POSTGRES else 0)
            return posted is not None

    outcomes = await asyncio.gather(attempt(), attempt())
    assert sorted(outcomes) == [False, True]
    async with sessions() as check:
        assert await balances(check, person) == (11, 11)
        assert await recompute_drift(check) == []


async def test_the_entry_insert_and_the_balance_upsert_are_compiled_once(session: AsyncSession) -> None:
    person_id = await new_person(session)
    with cache_hits(session.get_bind(), "ON CONFLICT") as hits:
        for n in range(3):
            await post(session, person_id, 5, EntryKind.AWARD, key=f"cached-{n}")
    assert len(hits) == 6 and hits[2:] == [True] * 4
