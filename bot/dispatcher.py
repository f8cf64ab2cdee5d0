"""One incoming item → dedupe, one unit of work, routing, effects into the outbox, commit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import event
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
from models.chats import Chat, chats_with_places, ensure_chat, known_chat
from models.inbox import may_reply_error
from models.people import (
    Person,
    PlatformAccount,
    RoleGrant,
    active_grants,
    active_grants_of,
    ensure_person,
    known_person,
    people_of_accounts,
)
from models.places import Place, place_by_id
from models.reach import PrivateChat, set_private_chat
from models.updates import processed_keys, record_all_processed, record_processed

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

    def now(self) -> datetime:
        return self._clock()

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
        try:
            async with self._sessions() as session, session.begin():
                await self.process_in(session, incoming, prepare)
        except AlreadyProcessed:
            log.info("update.duplicate", platform=incoming.chat.platform, update=incoming.update_key)
            return False
        self._on_outbox()
        return True

    async def process_in(self, session: AsyncSession, incoming: Incoming, prepare: Prepare | None = None) -> None:
        """Process once in the caller's transaction: claim the update (AlreadyProcessed if a committed one did), run
        the adapter's steps and the router, write the effects to the outbox. The caller commits, then calls
        `outbox_written`."""
        platform = incoming.chat.platform
        self.last_update_at = self._clock()
        await claim_update(session, platform=platform, update_key=incoming.update_key)
        await self._route(session, await prepare(session) if prepare is not None else incoming)

    @asynccontextmanager
    async def batch(self, session: AsyncSession, items: Sequence[Incoming]) -> AsyncIterator[Batch]:
        """Process several items, one after the other, in the caller's transaction (see `Batch`)."""
        batch = Batch(self, session)
        await batch.open(items)
        try:
            yield batch
        finally:
            batch.close()
        await batch.claim()

    def outbox_written(self) -> None:
        """The caller committed items processed with `process_in` or a `batch`: wake the sender."""
        self._on_outbox()

    async def _route(self, session: AsyncSession, item: Incoming, known: Acquaintances | None = None) -> None:
        platform = item.chat.platform
        ctx = await self._context(session, item, known)
        news = private_chat_news(item)
        if news is not None:
            await set_private_chat(
                session, platform=platform, platform_user_id=sender_of(item).platform_user_id, state=news
            )
        if not isinstance(item, BotMembership) or item.chat.kind != ChatKind.PRIVATE:
            await self._router.route(ctx)
        await enqueue(session, ctx.effects.items)

    async def _context(self, session: AsyncSession, incoming: Incoming, known: Acquaintances | None) -> Context:
        acquainted = known.of(incoming) if known is not None else None
        if acquainted is not None:
            person, chat, place, grants = acquainted
        else:
            person, chat, place, grants = await self._look_up(session, incoming)
        return Context(
            session=session,
            config=self._config,
            now=self._clock(),
            incoming=incoming,
            person=person,
            chat=chat,
            place=place,
            grants=grants,
        )

    @staticmethod
    async def _look_up(session: AsyncSession, incoming: Incoming) -> Acquainted:
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
        return person, chat, place, await active_grants(session, person_id=person.id)

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


Acquainted = tuple[Person, Chat, Place | None, list[RoleGrant]]
WATCHED = (
    *(f"{verb} {table}" for table in ("platform_account", "chat", "place") for verb in ("UPDATE", "DELETE FROM")),
    "INSERT INTO role_grant",
    "UPDATE role_grant",
    "DELETE FROM role_grant",
    "DELETE FROM person",
)
"""Writes that may change what `Acquaintances` found (a new account or chat cannot: it was not found)."""


class Acquaintances:
    """Who sends a batch's items, from which chats and places, with which roles: read in three queries before the
    batch instead of four per item. The rows are the session's own objects, so what an item changes through them
    is what the next item sees; a statement that may change what was found (`WATCHED`, seen on the connection, ORM
    or not) makes the batch look everything up afresh from then on."""

    def __init__(
        self,
        people: dict[tuple[str, str], tuple[PlatformAccount, Person]],
        chats: dict[tuple[str, str], tuple[Chat, Place | None]],
        grants: dict[int, list[RoleGrant]],
    ) -> None:
        self._people, self._chats, self._grants = people, chats, grants
        self.valid = True

    @classmethod
    async def read(cls, session: AsyncSession, items: Sequence[Incoming]) -> Acquaintances:
        people: dict[tuple[str, str], tuple[PlatformAccount, Person]] = {}
        chats: dict[tuple[str, str], tuple[Chat, Place | None]] = {}
        for platform in {item.chat.platform for item in items}:
            mine = [item for item in items if item.chat.platform == platform]
            found = await people_of_accounts(
                session, platform=platform, platform_user_ids=[sender_of(i).platform_user_id for i in mine]
            )
            people |= {(platform, user_id): pair for user_id, pair in found.items()}
            where = await chats_with_places(
                session, platform=platform, platform_chat_ids=[i.chat.platform_chat_id for i in mine]
            )
            chats |= {(platform, chat_id): pair for chat_id, pair in where.items()}
        grants = await active_grants_of(session, person_ids=[person.id or 0 for _, person in people.values()])
        return cls(people, chats, grants)

    def of(self, item: Incoming) -> Acquainted | None:
        """The item's person, chat, place and active grants, or None when they must be looked up."""
        sender = sender_of(item)
        account = self._people.get((item.chat.platform, sender.platform_user_id))
        where = self._chats.get((item.chat.platform, item.chat.platform_chat_id))
        if not self.valid or account is None or where is None:
            return None
        person = known_person(*account, display_name=sender.display_name, username=sender.username)
        chat, place = where
        known_chat(chat, title=item.chat.title)
        grants = [g for g in self._grants.get(person.id or 0, []) if g.revoked_at is None]
        return person, chat, place, grants

    def notice(self, _conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        """after_cursor_execute: a statement that changed accounts, grants, chats or places, or removed people."""
        if statement.startswith(WATCHED) and cursor.rowcount != 0:
            self.valid = False


class Batch:
    """Items processed one after the other in one transaction, each exactly as `process_in` would, with three
    differences that save round trips: the batch reads whether its items were processed already in one query, who
    and where they come from in three (`Acquaintances`), and records them as processed in one statement at the end
    (a key another worker recorded meanwhile fails the whole transaction, as a duplicate would)."""

    def __init__(self, dispatcher: Dispatcher, session: AsyncSession) -> None:
        self._dispatcher, self._session = dispatcher, session
        self._seen: set[tuple[str, str]] = set()
        self._claimed: list[tuple[str, str]] = []
        self._known = Acquaintances({}, {}, {})
        self._connection: Any = None

    async def open(self, items: Sequence[Incoming]) -> None:
        for platform in {item.chat.platform for item in items}:
            keys = [item.update_key for item in items if item.chat.platform == platform]
            found = await processed_keys(self._session, platform=platform, update_keys=keys)
            self._seen |= {(platform, key) for key in found}
        self._known = await Acquaintances.read(self._session, items)
        self._connection = (await self._session.connection()).sync_connection
        event.listen(self._connection, "after_cursor_execute", self._known.notice)

    async def process(self, incoming: Incoming) -> bool:
        """Process the item (its changes flushed), or False when it was processed before."""
        key = (incoming.chat.platform, incoming.update_key)
        if key in self._seen:
            log.info("update.duplicate", platform=key[0], update=key[1])
            return False
        self._seen.add(key)
        self._claimed.append(key)
        self._dispatcher.last_update_at = self._dispatcher.now()
        await self._dispatcher._route(self._session, incoming, self._known)
        if self._session.new or self._session.dirty or self._session.deleted:  # most chatter changes nothing
            await self._session.flush()
        return True

    def close(self) -> None:
        if self._connection is not None:
            event.remove(self._connection, "after_cursor_execute", self._known.notice)

    async def claim(self) -> None:
        now = self._dispatcher.now()
        for platform in {platform for platform, _ in self._claimed}:
            keys = [key for p, key in self._claimed if p == platform]
            await record_all_processed(self._session, platform=platform, update_keys=keys, now=now)
