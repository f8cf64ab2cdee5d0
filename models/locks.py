"""PostgreSQL advisory locks held by a process on a connection of its own: a leader's (the sweeps, long polling),
a sender's proof that it is alive, and a worker's turn at one chat's updates. A lock goes when its connection does,
so a process that dies lets go of everything it held."""

import zlib
from collections.abc import Sequence
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


async def try_locks(connection: AsyncConnection, kind: LockKind, keys: Sequence[int], *, at_most: int) -> list[int]:
    """Take, in one statement, the free ones of these locks in their order, up to `at_most` of them; returns the keys
    now held. The scan of the array stops at the limit (no sort before it); a lock it took beyond what it returns
    would stay held until `unlock_all`, as every turn ends."""
    if not keys:
        return []
    query = text(
        "SELECT key FROM unnest(CAST(:keys AS integer[])) AS wanted(key)"
        " WHERE pg_try_advisory_lock(:kind, key) LIMIT :at_most"
    )
    result = await connection.execute(query, {"kind": kind, "keys": list(keys), "at_most": at_most})
    return [int(key) for key in result.scalars()]


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
