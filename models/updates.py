"""Platform updates already processed, so a re-delivered update changes nothing twice."""

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, insert
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import UTCDateTime, utcnow


class ProcessedUpdate(SQLModel, table=True):
    __tablename__ = "processed_update"

    platform: str = Field(primary_key=True, max_length=16)
    update_key: str = Field(primary_key=True, max_length=128)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def record_processed(session: AsyncSession, *, platform: str, update_key: str) -> None:
    session.add(ProcessedUpdate(platform=platform, update_key=update_key))


async def last_processed_at(session: AsyncSession) -> datetime | None:
    query = select(ProcessedUpdate.processed_at).order_by(col(ProcessedUpdate.processed_at).desc()).limit(1)
    return (await session.exec(query)).first()


async def processed_keys(session: AsyncSession, *, platform: str, update_keys: Sequence[str]) -> set[str]:
    """Those of these update keys already processed (one query for a whole batch)."""
    if not update_keys:
        return set()
    params = {"platform": platform, "update_keys": list(update_keys)}
    return set((await session.exec(processed_keys_query(), params=params)).all())


@cache
def processed_keys_query() -> SelectOfScalar[str]:
    """`processed_keys`'s statement, built once: the values are bound."""
    return select(ProcessedUpdate.update_key).where(
        ProcessedUpdate.platform == bindparam("platform"),
        col(ProcessedUpdate.update_key).in_(bindparam("update_keys", expanding=True)),
    )


async def record_all_processed(
    session: AsyncSession, *, platform: str, update_keys: Sequence[str], now: datetime
) -> None:
    """Record a batch of updates as processed in one statement (a key already there fails the transaction)."""
    if update_keys:
        rows = [{"platform": platform, "update_key": key, "processed_at": now} for key in update_keys]
        await (await session.connection()).execute(insert(ProcessedUpdate), rows)  # one statement, many rows
