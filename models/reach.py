"""Whether the bot may write to someone privately, and the private messages held for people it may not reach yet.

Telegram lets a bot write privately only to someone who opened the chat with it (and has not blocked it since);
WeCom's app reaches only members of the corp. Each account keeps what the bot last learnt (`PrivateChat`): open when
the person wrote privately or a private send went through, closed on a refusal or a block, unknown before either.
A message that could not go privately is held under a token; the deep link `?start=<token>` brings it into the
private chat once the person opens it (docs/reach.md)."""

import secrets
from collections import Counter
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint, tuple_, update
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime
from models.outbox import OutboxAction, OutboxMessage, OutboxStatus
from models.payloads import SendPayload
from models.people import PlatformAccount

HELD_PREFIX = "h"


class PrivateChat(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class HeldMessage(SQLModel, table=True):
    """A private message kept for someone the bot could not reach privately, until they open the chat."""

    __tablename__ = "held_message"
    __table_args__ = (UniqueConstraint("token"),)

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=32)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=16)
    text: str
    buttons: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


async def set_private_chat(session: AsyncSession, *, platform: str, platform_user_id: str, state: PrivateChat) -> None:
    """Record what the bot learnt about the account's private chat (a no-op for an account it does not know)."""
    await session.exec(
        update(PlatformAccount)
        .where(
            col(PlatformAccount.platform) == platform,
            col(PlatformAccount.platform_user_id) == platform_user_id,
            col(PlatformAccount.private_chat).is_distinct_from(state.value),
        )
        .values(private_chat=state.value)
    )


def is_closed(account: PlatformAccount) -> bool:
    """The bot knows it cannot write to this account privately."""
    return account.private_chat == PrivateChat.CLOSED


def hold_message(
    session: AsyncSession, *, person_id: int, platform: str, text: str, buttons: list[Any], now: datetime
) -> HeldMessage:
    """Keep a private message for later; its token goes into the deep link that brings it."""
    held = HeldMessage(
        token=HELD_PREFIX + secrets.token_hex(10),
        person_id=person_id,
        platform=platform,
        text=text,
        buttons=buttons,
        created_at=now,
    )
    session.add(held)
    return held


async def held_message(session: AsyncSession, *, token: str) -> HeldMessage | None:
    """The message held under a deep link's token, if any."""
    if not token.startswith(HELD_PREFIX):
        return None
    return (await session.exec(select(HeldMessage).where(HeldMessage.token == token))).first()


async def refused_privately(session: AsyncSession, *, row: OutboxMessage) -> OutboxMessage | None:
    """The platform refused a private send (never started, blocked, not a member): the account is closed and the
    row's group fallback, if it has one, is queued in its place (once: its dedupe key names the row)."""
    await set_private_chat(session, platform=row.platform, platform_user_id=row.chat_id, state=PrivateChat.CLOSED)
    return queue_fallback(session, row=row)


def queue_fallback(session: AsyncSession, *, row: OutboxMessage) -> OutboxMessage | None:
    """The group route of a private send that cannot go, queued in its place (once: its dedupe key names the row)."""
    content = row.content
    if not isinstance(content, SendPayload) or content.fallback is None:
        return None
    fallback = OutboxMessage.of(
        platform=row.platform,
        chat_id=content.fallback.chat_id,
        content=content.fallback.as_send(),
        dedupe_key=f"fallback:{row.id}",
    )
    session.add(fallback)
    return fallback


async def refuse_closed_chats(
    session: AsyncSession, *, chats: set[tuple[str, str]], lock: bool
) -> dict[tuple[str, str], int]:
    """Of these private chats (platform, chat id), those whose account is known closed: every queued send to them
    fails at once without a request, its group fallback queued in its place, in order — a refusal must not cost a
    slot of the bot's budget per row. Read in one statement with the accounts, so a row written with the person's
    opening of the chat is never among them. Returns how many rows each such chat had."""
    if not chats:
        return {}
    query = (
        select(OutboxMessage)
        .join(
            PlatformAccount,
            (col(PlatformAccount.platform) == col(OutboxMessage.platform))
            & (col(PlatformAccount.platform_user_id) == col(OutboxMessage.chat_id)),
        )
        .where(
            tuple_(col(OutboxMessage.platform), col(OutboxMessage.chat_id)).in_(sorted(chats)),
            col(OutboxMessage.action) == OutboxAction.SEND,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(PlatformAccount.private_chat) == PrivateChat.CLOSED,
        )
        .order_by(col(OutboxMessage.id))
    )
    if lock:
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    refused: Counter[tuple[str, str]] = Counter()
    for row in (await session.exec(query)).all():
        row.status, row.last_error = (
            OutboxStatus.FAILED,
            "not sent: the person's private chat is closed (refused before)",
        )
        queue_fallback(session, row=row)
        refused[(row.platform, row.chat_id)] += 1
    return dict(refused)
