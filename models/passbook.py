"""爱心存折: the append-only points ledger and each person's balances (spendable, lifetime) kept beside it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class EntryKind(StrEnum):
    AWARD = "award"  # points earned: spendable and lifetime grow
    REDEEM = "redeem"  # points held or spent in the 爱心超市: spendable shrinks
    REVERSAL = "reversal"  # undoes an award (both shrink) or a redemption (spendable comes back)
    ADJUSTMENT = "adjustment"  # an office correction of spendable points


class LedgerEntry(SQLModel, table=True):
    """One movement of points; never updated or deleted, a mistake is answered by a REVERSAL entry."""

    __tablename__ = "ledger_entry"
    __table_args__ = (UniqueConstraint("idempotency_key"), CheckConstraint("delta <> 0", name="delta_not_zero"))

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    delta: int
    kind: str = Field(max_length=12)
    reason: str = Field(max_length=200)
    source: str = Field(max_length=24)  # manual, event, ticket, report, entry (a reversal), redemption …
    source_id: int | None = None
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    community_id: int | None = Field(default=None, foreign_key="place.id", index=True)
    idempotency_key: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Balance(SQLModel, table=True):
    """A person's balances, moved in the same transaction as every entry; recomputable from the ledger."""

    __table_args__ = (
        CheckConstraint("spendable >= 0", name="spendable_not_negative"),
        CheckConstraint("lifetime >= 0", name="lifetime_not_negative"),
    )

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    spendable: int = 0
    lifetime: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
