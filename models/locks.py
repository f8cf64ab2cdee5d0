"""PostgreSQL advisory locks held by a process on a connection of its own: a leader's (the sweeps, long polling),
a sender's proof that it is alive, and a worker's turn at one chat's updates. A lock goes when its connection does,
so a process that dies lets go of everything it held."""

from __future__ import annotations

import zlib
from enum import IntEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


class LockKind(IntEnum):
    """The first half of an advisory lock's key: what is locked; the second half says which one."""

    LEADER = 4201
    SENDER = 4202
    CHAT_TURN = 4203


def key_of(name: str) -> int:
    """A stable signed 32-bit number for a name (two names may share one: they then merely take turns)."""
    return zlib.crc32(name.encode()) - 2**31


async def try_lock(connection: AsyncConnection, kind: LockKind, key: int) -> bool:
    """Take the lock for this connection's session if nobody holds it; True if this connection holds it now."""
    result = await connection.execute(text("SELECT pg_try_advisory_lock(:kind, :key)"), {"kind": kind, "key": key})
    return bool(result.scalar())


async def unlock(connection: AsyncConnection, kind: LockKind, key: int) -> None:
    await connection.execute(text("SELECT pg_advisory_unlock(:kind, :key)"), {"kind": kind, "key": key})


async def unlock_all(connection: AsyncConnection) -> None:
    """Let go of every advisory lock this connection's session holds."""
    await connection.execute(text("SELECT pg_advisory_unlock_all()"))


async def still_connected(connection: AsyncConnection) -> bool:
    """Whether the connection (and so every lock it holds) is still there."""
    try:
        await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
