"""Platform updates already processed, so a re-delivered update changes nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

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
