"""Linli's own copies of photos people sent (docs/decisions/0026-photos-kept-in-the-database.md): the bytes in a
table, so every process on every machine reads the same copy from the one database; a ticket keeps `stored:<id>`."""

import json
from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, String, cast, delete, or_, update
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
    # the sweep's look for photos to check reads this index alone, never the rows (SQLite keeps a row's bytes inline,
    # before the columns that follow them)
    __table_args__ = (Index("ix_stored_photo_unchecked", "in_use", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    content_type: str = Field(max_length=32)
    source: str = Field(max_length=16)  # where it came from: "wecom-bot" (an AI bot image url), "wecom-app"
    created_at: datetime = Field(sa_type=UTCDateTime)
    in_use: bool = False  # found on a ticket, an offer or a notice by `drop_unused_photos` (then never looked at again)


def stored_ref(photo_id: int) -> str:
    return f"{STORED_PREFIX}{photo_id}"


async def store_photo(session: AsyncSession, *, content: bytes, content_type: str, source: str, now: datetime) -> str:
    """Keep the bytes in the caller's transaction; returns the reference a ticket keeps."""
    row = StoredPhoto(content=content, content_type=content_type, source=source, created_at=now)
    session.add(row)
    await session.flush()
    assert row.id is not None
    return stored_ref(row.id)


async def stored_photo(session: AsyncSession, *, photo_id: int) -> StoredPhoto | None:
    return await session.get(StoredPhoto, photo_id)


async def photos_in_use(session: AsyncSession, *, refs: list[str]) -> set[str]:
    """Which of these photos a ticket, an intake offer or a notice draft refers to (the places a message's photos go):
    one pass over each table for the whole batch."""
    if not refs:
        return set()
    found: set[str] = set()
    for photos in (Ticket.photos, IntakeOffer.photos):
        text = cast(col(photos), String)
        matching = or_(*(text.like(f'%"{ref}"%') for ref in refs))  # the quotes keep stored:1 from stored:12
        for listed in (await session.exec(select(text).where(matching))).all():
            found |= set(json.loads(listed)) & set(refs)
    notices = select(Announcement.photo).where(col(Announcement.photo).in_(refs))
    found |= {photo for photo in (await session.exec(notices)).all() if photo}
    return found


async def drop_unused_photos(session: AsyncSession, *, created_before: datetime, limit: int) -> int:
    """Photos stored before the cut-off and not yet found in use: those something refers to are marked in use, the
    others (an image no feature took: it reached no ticket) deleted; returns how many were deleted. A photo is stored
    in the transaction of the message that brought it, so once that committed, whatever refers to it already does."""
    query = select(StoredPhoto.id).where(
        col(StoredPhoto.in_use).is_(False), col(StoredPhoto.created_at) < created_before
    )
    ids = [i for i in (await session.exec(query.order_by(col(StoredPhoto.created_at)).limit(limit))).all() if i]
    used = await photos_in_use(session, refs=[stored_ref(i) for i in ids])
    unused = [i for i in ids if stored_ref(i) not in used]
    if used:
        used_ids = [i for i in ids if stored_ref(i) in used]
        await session.exec(update(StoredPhoto).where(col(StoredPhoto.id).in_(used_ids)).values(in_use=True))
    if unused:
        await session.exec(delete(StoredPhoto).where(col(StoredPhoto.id).in_(unused)))
    return len(unused)
