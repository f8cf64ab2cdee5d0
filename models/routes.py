"""How the bot reaches chats that an id alone does not reach: send-only routes and one-shot reply addresses.

Some platforms deliver into a group only through a separate address (WeCom: the group robot's webhook, or an
app-created group chat), and some hand over, with an incoming message, an address that may be used for one reply
within a time limit (WeCom's AI bot `response_url`). These rows keep them; platform code reads them.
"""

from datetime import datetime

from sqlalchemy import UniqueConstraint, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, utcnow
from models.chats import Chat


class ChatRoute(SQLModel, table=True):
    """The address a group's messages are sent to, e.g. kind 'robot_webhook' or 'appchat'."""

    __tablename__ = "chat_route"
    __table_args__ = (UniqueConstraint("chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chat.id")
    kind: str = Field(max_length=24)
    address: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReplyChannel(SQLModel, table=True):
    """A one-shot reply address that came with an incoming message; used for the next send to that chat only."""

    __tablename__ = "reply_channel"

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    platform_chat_id: str = Field(max_length=64, index=True)
    url: str = Field(max_length=512)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


async def set_route(session: AsyncSession, *, chat: Chat, kind: str, address: str) -> ChatRoute:
    """Give a chat its send route, replacing an older one."""
    route = (await session.exec(select(ChatRoute).where(ChatRoute.chat_id == chat.id))).first()
    if route is None:
        route = ChatRoute(chat_id=chat.id or 0, kind=kind, address=address)
        session.add(route)
    else:
        route.kind, route.address = kind, address
    await session.flush()
    return route


async def route_for(session: AsyncSession, *, platform: str, platform_chat_id: str) -> ChatRoute | None:
    query = (
        select(ChatRoute)
        .join(Chat, col(Chat.id) == col(ChatRoute.chat_id))
        .where(Chat.platform == platform, Chat.platform_chat_id == platform_chat_id)
    )
    return (await session.exec(query)).first()


def remember_reply_channel(
    session: AsyncSession, *, platform: str, platform_chat_id: str, url: str, expires_at: datetime
) -> None:
    session.add(ReplyChannel(platform=platform, platform_chat_id=platform_chat_id, url=url, expires_at=expires_at))


async def take_reply_channel(
    session: AsyncSession, *, platform: str, platform_chat_id: str, now: datetime
) -> str | None:
    """The newest unused, unexpired reply address of a chat, marked used (so it serves one send only)."""
    query = (
        select(ReplyChannel)
        .where(
            ReplyChannel.platform == platform,
            ReplyChannel.platform_chat_id == platform_chat_id,
            col(ReplyChannel.used_at).is_(None),
            col(ReplyChannel.expires_at) > now,
        )
        .order_by(col(ReplyChannel.id).desc())
        .with_for_update(skip_locked=True)
    )
    channel = (await session.exec(query)).first()
    if channel is None:
        return None
    claimed = await session.exec(
        update(ReplyChannel)
        .where(col(ReplyChannel.id) == channel.id, col(ReplyChannel.used_at).is_(None))
        .values(used_at=now)
    )
    return channel.url if claimed.rowcount == 1 else None
