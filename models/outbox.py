"""The durable outbox: every message the bot sends, edits or answers, written with the state change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint, func, or_, update
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, utcnow
from models.payloads import EditPayload, Payload, SendPayload, StoredKeyboard, action_of, decode, encode


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # taken by a sender, waiting for its turn under the rate limits; not on the wire
    SENDING = "sending"  # the request is on the wire
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


UNFINISHED = (OutboxStatus.PENDING, OutboxStatus.CLAIMED, OutboxStatus.SENDING)
SHOWN = (OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.UNCERTAIN)  # may be on the user's screen


class OutboxAction(StrEnum):
    SEND = "send"
    EDIT = "edit"
    ANSWER = "answer"


class OutboxMessage(SQLModel, table=True):
    """One delivery; `ref_key` names a sent message so later rows can edit it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_shown", "platform", "chat_id", "platform_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    action: str = Field(max_length=8)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ref_key: str | None = Field(default=None, max_length=80, index=True)
    dedupe_key: str | None = Field(default=None, max_length=120)
    status: str = Field(default=OutboxStatus.PENDING, max_length=12)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: as soon as possible
    last_error: str | None = Field(default=None, max_length=500)
    platform_message_id: str | None = Field(default=None, max_length=64)
    """The message the row put on the screen: the one it sent, or (an edit) the one it changed."""
    parts_sent: int = 0  # how many parts of the row the platform already has (WeCom splits long texts, files)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @classmethod
    def of(
        cls, *, platform: str, chat_id: str, content: Payload, ref_key: str | None = None, dedupe_key: str | None = None
    ) -> OutboxMessage:
        """The row that delivers `content` (its action follows from the payload's kind)."""
        return cls(
            platform=platform,
            chat_id=chat_id,
            action=action_of(content),
            payload=encode(content),
            ref_key=ref_key,
            dedupe_key=dedupe_key,
        )

    @property
    def content(self) -> Payload:
        """The typed payload (the one reading of the stored JSON)."""
        return decode(self.action, self.payload)


async def due_rows(session: AsyncSession, *, now: datetime, limit: int, lock: bool) -> list[OutboxMessage]:
    """Oldest pending rows whose time has come; locked SKIP LOCKED on PostgreSQL."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= now),
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list((await session.exec(query)).all())


async def sent_message_id(session: AsyncSession, *, ref_key: str) -> tuple[str, str | None, str] | None:
    """(chat id, platform message id, platform) of the newest send row named `ref_key`, if it exists."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.ref_key == ref_key, OutboxMessage.action == OutboxAction.SEND)
        .order_by(col(OutboxMessage.id).desc())
    )
    row = (await session.exec(query)).first()
    return None if row is None else (row.chat_id, row.platform_message_id, row.platform)


def edit_target(row: OutboxMessage) -> tuple[str, str] | None:
    """What an edit row changes: the named message or the chat's message id (None for other rows)."""
    content = row.content
    return (row.chat_id, content.target) if isinstance(content, EditPayload) else None


async def superseded(session: AsyncSession, *, row: OutboxMessage) -> bool:
    """True if a newer edit of the same message is queued: this one need not be sent (debounces bursts)."""
    target = edit_target(row)
    if target is None:
        return False
    query = select(OutboxMessage).where(
        OutboxMessage.platform == row.platform,
        OutboxMessage.chat_id == row.chat_id,
        OutboxMessage.action == OutboxAction.EDIT,
        col(OutboxMessage.id) > (row.id or 0),
        col(OutboxMessage.status).in_(UNFINISHED),
    )
    return any(edit_target(newer) == target for newer in (await session.exec(query)).all())


async def recover_interrupted(session: AsyncSession) -> int:
    """After a crash: claimed rows never left, so they go back to the queue; rows left 'sending' may or may
    not have arrived, so they are never resent. Returns how many were uncertain."""
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.CLAIMED)
        .values(status=OutboxStatus.PENDING)
    )
    result = await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.SENDING)
        .values(status=OutboxStatus.UNCERTAIN, last_error="interrupted while sending; not retried")
    )
    return int(result.rowcount or 0)


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    return dict((await session.exec(query)).all())


async def sent_buttons(session: AsyncSession, *, row_id: int, platform: str, chat_id: str) -> StoredKeyboard | None:
    """The buttons of a message delivered to this chat (send or edit row), or None if there is no such message.

    A row still marked sending counts: the platform may show the message before the sender records it as sent.
    """
    row = await session.get(OutboxMessage, row_id)
    if row is None or (row.platform, row.chat_id) != (platform, chat_id) or row.status not in SHOWN:
        return None
    content = row.content
    buttons = content.buttons if isinstance(content, SendPayload | EditPayload) else ()
    return buttons or None


async def issued_callback_data(session: AsyncSession, *, platform: str, chat_id: str, message_id: str) -> set[str]:
    """Every callback data the bot put on this message in this chat (its send and edits), plus the buttons of rows
    on the wire there (the platform may show them before the sender records the message id). A press carrying any
    other data was not issued here: forged, or replayed from another message."""
    query = select(OutboxMessage).where(
        OutboxMessage.platform == platform,
        OutboxMessage.chat_id == chat_id,
        or_(
            (col(OutboxMessage.platform_message_id) == message_id) & col(OutboxMessage.status).in_(SHOWN),
            col(OutboxMessage.status) == OutboxStatus.SENDING,
        ),
    )
    issued: set[str] = set()
    for row in (await session.exec(query)).all():
        content = row.content
        if isinstance(content, SendPayload | EditPayload):
            issued |= {b.data for line in content.buttons for b in line if b.data}
    return issued


async def parts_sent_of(session: AsyncSession, *, row_id: int) -> int:
    """How many parts of this row a platform was already given (0 for a row it never saw)."""
    row = await session.get(OutboxMessage, row_id)
    return row.parts_sent if row is not None else 0


async def record_parts_sent(session: AsyncSession, *, row_id: int, parts: int) -> None:
    """Remember, before the next part is tried, that `parts` parts of this row went out: a retry after a crash or
    on another worker goes on from there instead of repeating them."""
    await session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == row_id).values(parts_sent=parts))
