"""Advisory locks on a connection this process keeps for them (PostgreSQL): leadership with takeover, a sender's
liveness, a worker's turn at a chat. The SQL is in models/locks.py."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models.locks import LockKind, key_of, still_connected, try_lock, try_locks, unlock, unlock_all

log = structlog.get_logger(__name__)


class KeptConnection:
    """An autocommit connection of its own, outside the pool's turns, opened at first use and again after `drop`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.current: AsyncConnection | None = None

    async def connected(self) -> AsyncConnection:
        if self.current is None:
            connection = await self._engine.connect()
            self.current = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return self.current

    async def drop(self) -> None:
        if self.current is not None:
            connection, self.current = self.current, None
            try:
                await connection.close()
            except Exception:
                await connection.invalidate()


class LockHolder:
    """One autocommit connection holding this process's locks of one kind of use; when the connection is lost, so
    are its locks, and the next use connects again."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._kept = KeptConnection(engine)
        self._use = asyncio.Lock()  # one statement at a time on the connection

    async def take(self, kind: LockKind, key: int) -> bool:
        async with self._use:
            connection = await self._kept.connected()
            return await try_lock(connection, kind, key)

    async def take_free(self, kind: LockKind, keys: Sequence[int], *, at_most: int) -> list[int]:
        """Take up to `at_most` of these locks that nobody holds, in their order, in one round trip."""
        async with self._use:
            connection = await self._kept.connected()
            return await try_locks(connection, kind, keys, at_most=at_most)

    async def release(self, kind: LockKind, key: int) -> None:
        async with self._use:
            if self._kept.current is not None:
                await unlock(self._kept.current, kind, key)

    async def release_all(self) -> None:
        async with self._use:
            if self._kept.current is not None:
                await unlock_all(self._kept.current)

    async def still_held(self) -> bool:
        """Whether the connection, and so every lock taken on it, is still there (if not, it is let go)."""
        async with self._use:
            if self._kept.current is None:
                return False
            if await still_connected(self._kept.current):
                return True
            await self._kept.drop()
            return False

    async def close(self) -> None:
        async with self._use:
            await self._kept.drop()


class Leadership:
    """Exactly one process leads `name` (the sweeps, long polling): whoever holds its lock. The others ask again
    each time they would act, so one takes over soon after the leader dies (its connection, and the lock, go)."""

    def __init__(self, engine: AsyncEngine, name: str, key: int) -> None:
        self._holder = LockHolder(engine)
        self._name, self._key = name, key
        self.leading = False

    async def leads(self) -> bool:
        if self.leading and not await self._holder.still_held():
            self.leading = False
            log.warning("leader.lost", role=self._name)
        if not self.leading and await self._holder.take(LockKind.LEADER, self._key):
            self.leading = True
            log.info("leader.took_over", role=self._name)
        return self.leading

    async def stop(self) -> None:
        self.leading = False
        await self._holder.close()


class ChatTurns:
    """Whose turn it is at a chat's updates when several workers share the inbox (PostgreSQL): the worker holding the
    chat's lock, so each chat's updates are processed one after another, in order, while other chats go on
    elsewhere."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._holder = LockHolder(engine)

    async def take_free(self, chat_keys: Sequence[str], *, at_most: int) -> list[str]:
        """The turn at up to `at_most` of these chats that no other worker is at, in their order, in one round trip;
        returns the chats now held."""
        keys = {chat_key: key_of(chat_key) for chat_key in chat_keys}
        held = set(await self._holder.take_free(LockKind.CHAT_TURN, list(keys.values()), at_most=at_most))
        return [chat_key for chat_key, key in keys.items() if key in held]

    async def release_all(self) -> None:
        """Let go of every chat this worker holds (its connection holds no other locks)."""
        await self._holder.release_all()

    async def close(self) -> None:
        await self._holder.close()
