"""The ledger's rules: every movement of points is one appended entry, and the person's balances move with it in the
same transaction through one conditional UPDATE, so nothing can overspend even when two redemptions race."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.passbook import Balance, EntryKind, LedgerEntry, earned, lifetime_effect


class InsufficientPoints(Exception):
    """Spendable points would go below zero; nothing was written."""


@dataclass(frozen=True)
class Drift:
    """A person whose stored balances differ from what the ledger adds up to."""

    person_id: int
    stored_spendable: int
    stored_lifetime: int
    ledger_spendable: int
    ledger_lifetime: int


def check_entry_shape(kind: EntryKind, delta: int) -> None:
    """An award adds, a redemption takes, and no entry is zero."""
    if delta == 0:
        raise ValueError("a ledger entry moves at least one point")
    if kind == EntryKind.AWARD and delta < 0:
        raise ValueError("an award adds points; take them back with a reversal")
    if kind == EntryKind.REDEEM and delta > 0:
        raise ValueError("a redemption takes points; give them back with a reversal")


async def entry_by_key(session: AsyncSession, *, idempotency_key: str) -> LedgerEntry | None:
    query = select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key)
    return (await session.exec(query)).first()


async def post_entry(
    session: AsyncSession,
    *,
    person_id: int,
    delta: int,
    kind: EntryKind,
    reason: str,
    source: str,
    source_id: int | None,
    actor_id: int | None,
    idempotency_key: str,
    now: datetime,
    community_id: int | None = None,
    reason_key: str | None = None,
    reason_values: dict[str, str | int] | None = None,
) -> LedgerEntry | None:
    """Append one entry and move the person's balances in the same transaction; None when the idempotency key was
    already used (nothing changes). Raises InsufficientPoints (nothing changes) if spendable would go negative.
    A system reason also keeps its text key and values (`reason` is its text in the bot's default language)."""
    check_entry_shape(kind, delta)
    if await entry_by_key(session, idempotency_key=idempotency_key) is not None:
        return None
    await ensure_balance_row(session, person_id=person_id, now=now)
    entry = LedgerEntry(
        person_id=person_id,
        delta=delta,
        kind=kind,
        reason=reason[:200],
        reason_key=reason_key,
        reason_values=reason_values,
        source=source,
        source_id=source_id,
        actor_id=actor_id,
        community_id=community_id,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
            await move_balance(
                session, person_id=person_id, delta=delta, lifetime=lifetime_effect(kind, delta), now=now
            )
    except IntegrityError:
        if await entry_by_key(session, idempotency_key=idempotency_key) is not None:
            return None  # a concurrent transaction posted the same key first
        raise
    return entry


async def ensure_balance_row(session: AsyncSession, *, person_id: int, now: datetime) -> None:
    """Create the person's zero balance row the first time points move (a concurrent creator may win)."""
    if await session.get(Balance, person_id) is not None:
        return
    try:
        async with session.begin_nested():
            session.add(Balance(person_id=person_id, updated_at=now))
    except IntegrityError:
        pass  # created by a concurrent transaction in the meantime


async def move_balance(session: AsyncSession, *, person_id: int, delta: int, lifetime: int, now: datetime) -> None:
    """One conditional UPDATE: the database refuses a move that would make a balance negative, even under races."""
    statement = (
        update(Balance)
        .where(
            col(Balance.person_id) == person_id,
            col(Balance.spendable) + delta >= 0,
            col(Balance.lifetime) + lifetime >= 0,
        )
        .values(spendable=col(Balance.spendable) + delta, lifetime=col(Balance.lifetime) + lifetime, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result: CursorResult[tuple[()]] = await session.exec(statement)
    if result.rowcount != 1:
        raise InsufficientPoints(f"person {person_id} cannot move {delta} points")


async def merge_balances(session: AsyncSession, keep_id: int, drop_id: int) -> None:
    """关联账号 merge step: the dropped person's balances are added to the kept person's (their entries follow)."""
    dropped = await session.get(Balance, drop_id)
    if dropped is None:
        return
    await ensure_balance_row(session, person_id=keep_id, now=dropped.updated_at)
    await move_balance(
        session, person_id=keep_id, delta=dropped.spendable, lifetime=dropped.lifetime, now=dropped.updated_at
    )
    await session.delete(dropped)
    await session.flush()


async def balance_of(session: AsyncSession, *, person_id: int) -> Balance:
    """The person's balances as stored now (a zero row, not saved, for someone who never had points)."""
    query = select(Balance).where(Balance.person_id == person_id).execution_options(populate_existing=True)
    return (await session.exec(query)).first() or Balance(person_id=person_id)


async def ledger_totals(session: AsyncSession) -> dict[int, tuple[int, int]]:
    """Spendable and lifetime points per person, added up from the ledger alone."""
    query = select(LedgerEntry.person_id, func.sum(LedgerEntry.delta), func.sum(earned())).group_by(
        col(LedgerEntry.person_id)
    )
    return {
        person_id: (int(spendable), int(lifetime)) for person_id, spendable, lifetime in (await session.exec(query))
    }


async def recompute_drift(session: AsyncSession) -> list[Drift]:
    """Persons whose stored balances differ from the ledger, by person id."""
    totals = await ledger_totals(session)
    balances = select(Balance).execution_options(populate_existing=True)
    stored = {b.person_id: b for b in (await session.exec(balances)).all()}
    drifts = []
    for person_id in sorted(totals.keys() | stored.keys()):
        spendable, lifetime = totals.get(person_id, (0, 0))
        balance = stored.get(person_id) or Balance(person_id=person_id)
        if (balance.spendable, balance.lifetime) != (spendable, lifetime):
            drifts.append(Drift(person_id, balance.spendable, balance.lifetime, spendable, lifetime))
    return drifts
