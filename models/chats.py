"""Platform chats the bot is in, and the place each group is bound to."""

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from sqlalchemy import UniqueConstraint, bindparam
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from models.base import UTCDateTime, utcnow
from models.places import Place


class Chat(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "platform_chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    platform_chat_id: str = Field(max_length=64)
    kind: str = Field(default="group", max_length=16)
    title: str = Field(default="", max_length=255)
    place_id: int | None = Field(default=None, foreign_key="place.id", index=True)
    active: bool = True
    can_read_all: bool | None = None
    bound_by_id: int | None = Field(default=None, foreign_key="person.id")
    bound_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def chat_for(session: AsyncSession, *, platform: str, platform_chat_id: str) -> Chat | None:
    query = select(Chat).where(Chat.platform == platform, Chat.platform_chat_id == platform_chat_id)
    return (await session.exec(query)).first()


async def chats_with_places(
    session: AsyncSession, *, platform: str, platform_chat_ids: Iterable[str]
) -> dict[str, tuple[Chat, Place | None]]:
    """The known chats among these (by platform chat id), each with the place it is bound to: one query."""
    params = {"platform": platform, "chat_ids": list(set(platform_chat_ids))}
    found = (await session.exec(chats_with_places_query(), params=params)).all()
    return {chat.platform_chat_id: (chat, place) for chat, place in found}


@cache
def chats_with_places_query() -> Select[Chat, Place | None]:
    """`chats_with_places`'s statement, built once: the values are bound."""
    return (
        select(Chat, Place)
        .join(Place, col(Place.id) == col(Chat.place_id), isouter=True)
        .where(
            Chat.platform == bindparam("platform"),
            col(Chat.platform_chat_id).in_(bindparam("chat_ids", expanding=True)),
        )
    )


async def ensure_chat(session: AsyncSession, *, platform: str, platform_chat_id: str, kind: str, title: str) -> Chat:
    """The chat row, created on first sight; a returning group becomes active again."""
    chat = await chat_for(session, platform=platform, platform_chat_id=platform_chat_id)
    if chat is None:
        chat = Chat(platform=platform, platform_chat_id=platform_chat_id, kind=kind, title=title)
        session.add(chat)
        await session.flush()
    return known_chat(chat, title=title)


def known_chat(chat: Chat, *, title: str) -> Chat:
    """A known chat with the title the platform shows now."""
    if title and chat.title != title:
        chat.title = title
    return chat


async def move_chat(session: AsyncSession, *, chat: Chat, new_platform_chat_id: str) -> Chat:
    """Carry a group's binding over to its new id; the old id is retired."""
    existing = await chat_for(session, platform=chat.platform, platform_chat_id=new_platform_chat_id)
    if existing is None:
        chat.platform_chat_id = new_platform_chat_id
        return chat
    existing.place_id = existing.place_id or chat.place_id
    existing.bound_by_id, existing.bound_at = (
        existing.bound_by_id or chat.bound_by_id,
        existing.bound_at or chat.bound_at,
    )
    existing.can_read_all = existing.can_read_all or chat.can_read_all
    chat.active = False
    return existing


def bind_chat(chat: Chat, *, place: Place, person_id: int | None, now: datetime) -> None:
    chat.place_id, chat.bound_by_id, chat.bound_at, chat.active = place.id, person_id, now, True


async def deactivate_chat(session: AsyncSession, *, platform: str, platform_chat_id: str) -> Chat | None:
    chat = await chat_for(session, platform=platform, platform_chat_id=platform_chat_id)
    if chat is not None:
        chat.active = False
    return chat


async def active_chats_in(session: AsyncSession, *, places: list[Place]) -> list[Chat]:
    """Bound, active group chats for any of the given places."""
    ids = [p.id for p in places]
    query = select(Chat).where(col(Chat.place_id).in_(ids), col(Chat.active).is_(True), Chat.kind == "group")
    return list((await session.exec(query.order_by(col(Chat.id)))).all())
