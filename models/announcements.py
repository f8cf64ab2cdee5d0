"""Announcements (通知) staff compose in private and the bot delivers to every bound group in scope."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, utcnow
from models.outbox import OutboxMessage


class AnnouncementStatus(StrEnum):
    CHOOSING = "choosing"  # picking the scope
    WRITING = "writing"  # waiting for the text (and photo)
    PREVIEW = "preview"  # shown back to the author
    TIMING = "timing"  # waiting for the time to send
    SCHEDULED = "scheduled"
    SENT = "sent"  # handed to the outbox; the report follows
    REPORTED = "reported"  # the author has the delivery report
    CANCELLED = "cancelled"


class Announcement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id", index=True)
    author_platform: str = Field(max_length=16)
    author_chat_id: str = Field(max_length=64)
    scope_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    text: str = Field(default="", max_length=4000)
    photo: str | None = Field(default=None, max_length=255)
    status: str = Field(default=AnnouncementStatus.CHOOSING, max_length=16, index=True)
    send_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    targets: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def delivery_key(announcement_id: int, chat_id: int) -> str:
    """The outbox dedupe key of one group's copy: the same announcement never reaches a group twice."""
    return f"ann:{announcement_id}:{chat_id}"


async def draft_of(session: AsyncSession, *, author_id: int, statuses: tuple[str, ...]) -> Announcement | None:
    """The author's newest announcement in one of `statuses` (the one a private message continues)."""
    query = (
        select(Announcement)
        .where(Announcement.author_id == author_id, col(Announcement.status).in_(statuses))
        .order_by(col(Announcement.id).desc())
    )
    return (await session.exec(query)).first()


async def due_announcements(session: AsyncSession, *, now: datetime) -> list[Announcement]:
    query = select(Announcement).where(
        Announcement.status == AnnouncementStatus.SCHEDULED, col(Announcement.send_at) <= now
    )
    return list((await session.exec(query.order_by(col(Announcement.id)))).all())


async def awaiting_report(session: AsyncSession) -> list[Announcement]:
    query = select(Announcement).where(Announcement.status == AnnouncementStatus.SENT)
    return list((await session.exec(query.order_by(col(Announcement.id)))).all())


async def delivery_rows(session: AsyncSession, *, announcement_id: int) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(col(OutboxMessage.dedupe_key).startswith(f"ann:{announcement_id}:"))
    return list((await session.exec(query.order_by(col(OutboxMessage.id)))).all())
