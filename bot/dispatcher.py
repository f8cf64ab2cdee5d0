"""One incoming item → dedupe, one unit of work, routing, effects into the outbox, commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import SessionFactory
from bot.logs import failure
from handlers.core.context import Context, FeatureConfig
from handlers.core.outbox import enqueue
from handlers.core.router import Router
from handlers.core.texts import translate
from handlers.core.types import (
    BotMembership,
    ChatKind,
    Incoming,
    IncomingCallback,
    MembershipStatus,
    Send,
    sender_of,
)
from models.chats import ensure_chat
from models.inbox import may_reply_error
from models.people import active_grants, ensure_person
from models.places import place_by_id
from models.reach import PrivateChat, set_private_chat
from models.updates import record_processed

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
Prepare = Callable[[AsyncSession], Awaitable[Incoming]]
"""An adapter's own steps for one update, run in the dispatcher's transaction before routing; they return the item
to route (WeCom keeps the reply channel and reads a typed choice as a button press)."""
PreparedSink = Callable[[Incoming, Prepare], Awaitable[bool]]


class AlreadyProcessed(Exception):
    """This platform update was handled before (Telegram re-delivers; PTB does not deduplicate)."""


async def claim_update(session: AsyncSession, *, platform: str, update_key: str) -> None:
    """Record the update as processed in this transaction, or raise if a committed one already did."""
    record_processed(session, platform=platform, update_key=update_key)
    try:
        await session.flush()
    except IntegrityError:
        raise AlreadyProcessed from None


def private_chat_news(incoming: Incoming) -> PrivateChat | None:
    """What an item tells about the sender's private chat with the bot: open when they write or press there,
    closed when they block the bot (nothing for a group item)."""
    if incoming.chat.kind != ChatKind.PRIVATE:
        return None
    if isinstance(incoming, BotMembership) and incoming.status == MembershipStatus.REMOVED:
        return PrivateChat.CLOSED
    return PrivateChat.OPEN


class Dispatcher:
    """Platform-neutral core every adapter hands its neutral items to."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        router: Router,
        config: FeatureConfig,
        clock: Clock,
        on_outbox: Callable[[], None],
    ) -> None:
        self._sessions, self._router, self._config = sessions, router, config
        self._clock, self._on_outbox = clock, on_outbox
        self.last_update_at: datetime | None = None

    async def handle(self, incoming: Incoming, prepare: Prepare | None = None) -> bool:
        """Process once (see `process`); a failure is logged by kind, the update is given up and the sender told."""
        try:
            return await self.process(incoming, prepare)
        except Exception as error:
            log.error("update.failed", platform=incoming.chat.platform, update=incoming.update_key, **failure(error))
            await self.give_up(incoming, prepare)
            return True

    async def process(self, incoming: Incoming, prepare: Prepare | None = None) -> bool:
        """Process once, in one transaction (with the adapter's `prepare` steps); False when this update was already
        processed. What a feature raises rolls everything back and reaches the caller."""
        platform = incoming.chat.platform
        self.last_update_at = self._clock()
        try:
            async with self._sessions() as session, session.begin():
                await claim_update(session, platform=platform, update_key=incoming.update_key)
                item = await prepare(session) if prepare is not None else incoming
                ctx = await self._context(session, item)
                news = private_chat_news(item)
                if news is not None:
                    await set_private_chat(
                        session, platform=platform, platform_user_id=sender_of(item).platform_user_id, state=news
                    )
                if not isinstance(item, BotMembership) or item.chat.kind != ChatKind.PRIVATE:
                    await self._router.route(ctx)
                await enqueue(session, ctx.effects.items)
        except AlreadyProcessed:
            log.info("update.duplicate", platform=platform, update=incoming.update_key)
            return False
        self._on_outbox()
        return True

    async def _context(self, session: AsyncSession, incoming: Incoming) -> Context:
        sender = sender_of(incoming)
        person = await ensure_person(
            session,
            platform=incoming.chat.platform,
            platform_user_id=sender.platform_user_id,
            display_name=sender.display_name,
            username=sender.username,
        )
        chat = await ensure_chat(
            session,
            platform=incoming.chat.platform,
            platform_chat_id=incoming.chat.platform_chat_id,
            kind=incoming.chat.kind,
            title=incoming.chat.title,
        )
        assert person.id is not None
        place = await place_by_id(session, place_id=chat.place_id) if chat.place_id else None
        return Context(
            session=session,
            config=self._config,
            now=self._clock(),
            incoming=incoming,
            person=person,
            chat=chat,
            place=place,
            grants=await active_grants(session, person_id=person.id),
        )

    async def give_up(self, incoming: Incoming, prepare: Prepare | None = None, *, record: bool = True) -> None:
        """Tell the sender of a failing update politely, at most once a minute per chat, and (with `record`) mark it
        processed so a redelivery is not tried again; the inbox keeps its own record instead, so an operator can
        retry it after a fix. The adapter's steps run again: the apology may need the reply channel they keep."""
        platform = incoming.chat.platform
        try:
            async with self._sessions() as session, session.begin():
                if record:
                    record_processed(session, platform=platform, update_key=incoming.update_key)
                if prepare is not None:
                    incoming = await prepare(session)
                if await self._may_apologise(session, incoming):
                    text = translate(self._config.default_locale, "error.generic")
                    apology = Send(platform=platform, chat_id=incoming.chat.platform_chat_id, text=text)
                    await enqueue(session, [apology])
        except IntegrityError:
            return
        self._on_outbox()

    async def _may_apologise(self, session: AsyncSession, incoming: Incoming) -> bool:
        if incoming.chat.kind != ChatKind.PRIVATE and isinstance(incoming, IncomingCallback):
            return False  # a button pressed in a group: the apology would go to everyone
        chat_id = incoming.chat.platform_chat_id
        return await may_reply_error(session, platform=incoming.chat.platform, chat_id=chat_id, now=self._clock())
