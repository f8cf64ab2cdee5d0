"""Linli's own copies of photos people sent (docs/decisions/0026-photos-kept-in-the-database.md): the bytes in a
table, so every process on every machine reads the same copy from the one database; a ticket keeps `stored:<id>`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime

STORED_PREFIX = "stored:"  # platform file ids never contain ':' (Telegram) or start with this (WeCom's `wecom:`)


class StoredPhoto(SQLModel, table=True):
    """One photo's bytes as received: who sent it is the ticket's business (its reporter or its events), not the
    photo's, so forgetting a person leaves a photo on a ticket as it leaves the ticket's text."""

    __tablename__ = "stored_photo"

    id: int | None = Field(default=None, primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    content_type: str = Field(max_length=32)
    source: str = Field(max_length=16)  # where it came from: "wecom-bot" (an AI bot image url), "wecom-app"
    created_at: datetime = Field(sa_type=UTCDateTime)


def stored_ref(photo_id: int) -> str:
    return f"{STORED_PREFIX}{photo_id}"


def stored_id_of(photo: str) -> int | None:
    """The id of a `stored:<id>` reference; None for any platform's photo (or a malformed reference)."""
    rest = photo.removeprefix(STORED_PREFIX)
    return int(rest) if photo.startswith(STORED_PREFIX) and rest.isascii() and rest.isdigit() else None


async def store_photo(session: AsyncSession, *, content: bytes, content_type: str, source: str, now: datetime) -> str:
    """Keep the bytes in the caller's transaction; returns the reference a ticket keeps."""
    row = StoredPhoto(content=content, content_type=content_type, source=source, created_at=now)
    session.add(row)
    await session.flush()
    assert row.id is not None
    return stored_ref(row.id)


async def stored_photo(session: AsyncSession, *, photo_id: int) -> StoredPhoto | None:
    return await session.get(StoredPhoto, photo_id)
