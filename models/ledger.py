"""The ledger's rules: every movement of points is one appended entry, and the person's balances move with it in the
same transaction through one conditional UPDATE, so nothing can overspend even when two redemptions race."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import TextualSelect, bindparam, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.selectable import ExecutableReturnsRows
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import as_cached_text, database_name, upsert_insert
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
) -> "Posting | None":
    """Append one entry and move the person's balances in the same transaction; None when the idempotency key was
    already used (nothing changes). Raises InsufficientPoints (nothing changes) if spendable would go negative.
    A system reason also keeps its text key and values (`reason` is its text in the bot's default language).

    A move that only adds (an award, points given back) cannot be refused: two statements, the entry inserted unless
    its key is taken and the balances added to (the row created if it is the first), no savepoint and no read. A move
    that takes may be refused, so the entry and the move share a savepoint that the refusal rolls back."""
    check_entry_shape(kind, delta)
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
    lifetime = lifetime_effect(kind, delta)
    if delta > 0 and lifetime >= 0:
        return await post_addition(session, entry, lifetime)
    async with session.begin_nested():
        posted = await insert_once(session, entry)
        if posted is None:
            return None
        spendable, lifetime_after = await move_balance(
            session, person_id=person_id, delta=delta, lifetime=lifetime, now=now
        )
    return Posting(posted, spendable, lifetime_after)


@dataclass(frozen=True)
class Posting:
    """An entry just appended, with the person's balances after it."""

    entry: LedgerEntry
    spendable: int
    lifetime: int

    @property
    def lifetime_before(self) -> int:
        return self.lifetime - lifetime_effect(self.entry.kind, self.entry.delta)


async def post_addition(session: AsyncSession, entry: LedgerEntry, lifetime: int) -> Posting | None:
    posted = await insert_once(session, entry)
    if posted is None:
        return None
    spendable, lifetime_after = await add_to_balance(
        session, person_id=entry.person_id, delta=entry.delta, lifetime=lifetime, now=entry.created_at
    )
    return Posting(posted, spendable, lifetime_after)


ENTRY_FIELDS = tuple(column.key for column in LedgerEntry.__table__.columns if column.key != "id")  # type: ignore[attr-defined]


@cache
def insert_once_statement(database: str) -> ExecutableReturnsRows:
    """`insert_once`'s statement for this database, built and compiled once (decision 0019): every value is bound."""
    statement = (
        upsert_insert(database)(LedgerEntry)
        .values({field: bindparam(field) for field in ENTRY_FIELDS})
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(LedgerEntry)
    )
    return select(LedgerEntry).from_statement(as_cached_text(statement, database))


async def insert_once(session: AsyncSession, entry: LedgerEntry) -> LedgerEntry | None:
    """Insert the entry unless its idempotency key is taken (by a committed entry, or by one a concurrent transaction
    commits meanwhile: PostgreSQL waits for it); the stored entry, or None."""
    values = {field: getattr(entry, field) for field in ENTRY_FIELDS}
    statement = insert_once_statement(database_name(session))
    return (await session.exec(statement, params=values)).scalars().first()  # type: ignore[call-overload]


@cache
def add_to_balance_statement(database: str) -> TextualSelect:
    """`add_to_balance`'s statement for this database, built and compiled once (decision 0019)."""
    insert = upsert_insert(database)
    excluded = insert(Balance).excluded
    statement = (
        insert(Balance)
        .values(
            person_id=bindparam("person_id"),
            spendable=bindparam("spendable"),
            lifetime=bindparam("lifetime"),
            updated_at=bindparam("updated_at"),
        )
        .on_conflict_do_update(
            index_elements=["person_id"],
            set_={
                "spendable": col(Balance.spendable) + excluded.spendable,
                "lifetime": col(Balance.lifetime) + excluded.lifetime,
                "updated_at": excluded.updated_at,
            },
        )
        .returning(col(Balance.spendable), col(Balance.lifetime))
    )
    return as_cached_text(statement, database)


async def add_to_balance(
    session: AsyncSession, *, person_id: int, delta: int, lifetime: int, now: datetime
) -> tuple[int, int]:
    """Add to the person's balances in one statement, creating the row the first time; (spendable, lifetime) after."""
    values = {"person_id": person_id, "spendable": delta, "lifetime": lifetime, "updated_at": now}
    statement = add_to_balance_statement(database_name(session))
    spendable, lifetime_after = (await session.exec(statement, params=values)).one()  # type: ignore[call-overload]
    return int(spendable), int(lifetime_after)


async def ensure_balance_row(session: AsyncSession, *, person_id: int, now: datetime) -> None:
    """Create the person's zero balance row the first time points move (a concurrent creator may win)."""
    if await session.get(Balance, person_id) is not None:
        return
    try:
        async with session.begin_nested():
            session.add(Balance(person_id=person_id, updated_at=now))
    except IntegrityError:
        pass  # created by a concurrent transaction in the meantime


async def move_balance(
    session: AsyncSession, *, person_id: int, delta: int, lifetime: int, now: datetime
) -> tuple[int, int]:
    """One conditional UPDATE: the database refuses a move that would make a balance negative, even under races
    (a person with no balance row has nothing to take); (spendable, lifetime) after."""
    statement = (
        update(Balance)
        .where(
            col(Balance.person_id) == person_id,
            col(Balance.spendable) + delta >= 0,
            col(Balance.lifetime) + lifetime >= 0,
        )
        .values(spendable=col(Balance.spendable) + delta, lifetime=col(Balance.lifetime) + lifetime, updated_at=now)
        .returning(col(Balance.spendable), col(Balance.lifetime))
        .execution_options(synchronize_session=False)
    )
    after = (await session.exec(statement)).first()
    if after is None:
        raise InsufficientPoints(f"person {person_id} cannot move {delta} points")
    return int(after[0]), int(after[1])


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
