"""Linli's own copies of photos people sent (docs/decisions/0026-photos-kept-in-the-database.md): the bytes in a
table, so every process on every machine reads the same copy from the one database; a ticket keeps `stored:<id>`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, String, cast, delete, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.announcements import Announcement
from models.base import UTCDateTime
from models.tickets import IntakeOffer, Ticket

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
    in_use: bool = False  # found on a ticket, an offer or a notice by `drop_unused_photos` (then never looked at again)


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


async def photo_in_use(session: AsyncSession, *, ref: str) -> bool:
    """Whether a ticket, an intake offer or a notice draft refers to the photo (the places a message's photos go)."""
    pattern = f'%"{ref}"%'  # a JSON list of references: the quotes keep stored:1 from matching stored:12
    queries = (
        select(Ticket.id).where(cast(col(Ticket.photos), String).like(pattern)),
        select(IntakeOffer.id).where(cast(col(IntakeOffer.photos), String).like(pattern)),
        select(Announcement.id).where(col(Announcement.photo) == ref),
    )
    for query in queries:
        if (await session.exec(query.limit(1))).first() is not None:
            return True
    return False


async def drop_unused_photos(session: AsyncSession, *, created_before: datetime, limit: int) -> int:
    """Photos stored before the cut-off and not yet found in use: those something refers to are marked in use, the
    others (an image no feature took: it reached no ticket) deleted; returns how many were deleted. A photo is stored
    in the transaction of the message that brought it, so once that committed, whatever refers to it already does."""
    query = select(StoredPhoto.id).where(
        col(StoredPhoto.created_at) < created_before, col(StoredPhoto.in_use).is_(False)
    )
    ids = [i for i in (await session.exec(query.order_by(col(StoredPhoto.id)).limit(limit))).all() if i is not None]
    used = [i for i in ids if await photo_in_use(session, ref=stored_ref(i))]
    unused = [i for i in ids if i not in used]
    if used:
        await session.exec(update(StoredPhoto).where(col(StoredPhoto.id).in_(used)).values(in_use=True))
    if unused:
        await session.exec(delete(StoredPhoto).where(col(StoredPhoto.id).in_(unused)))
    return len(unused)
