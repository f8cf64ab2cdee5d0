"""Database engine and sessions: SQLite (WAL, foreign keys on) or PostgreSQL, both async."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import sqlite_path, to_async_url
from models.base import LONG_READ

SessionFactory = async_sessionmaker[AsyncSession]


POSTGRES_POOL_SIZE = 20  # kept open: a sender has 16 deliveries in flight, each with its transactions, plus its
# claims and bookings; with SQLAlchemy's 5, every transaction beyond 5 at once opened (and closed) a connection of its
# own: a PostgreSQL process forked per message in a broadcast
POSTGRES_POOL_OVERFLOW = 5


def create_engine(database_url: str) -> AsyncEngine:
    """An async engine for a plain SQLAlchemy URL; SQLite gets WAL, foreign keys, a busy timeout and one connection.

    One SQLite connection per process: SQLite has one writer anyway, and tasks of this process then queue in the
    pool (asyncio-friendly) instead of in SQLite's busy handler, where writers were seen stalling each other for
    whole busy timeouts. Other processes (the CLI) still meet the busy timeout. Errors never show the statement's
    parameters (residents' names, phones and text): `hide_parameters`.
    """
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if path is None:
        engine = create_async_engine(
            to_async_url(database_url),
            pool_pre_ping=True,
            hide_parameters=True,
            pool_size=POSTGRES_POOL_SIZE,
            max_overflow=POSTGRES_POOL_OVERFLOW,
        )
    else:
        engine = create_async_engine(
            to_async_url(database_url),
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            hide_parameters=True,
            async_creator=partial(connect_inline, path),
        )
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


class InlineSqlite(aiosqlite.Connection):
    """An aiosqlite connection that runs statements on the event loop's own thread, and only what may wait goes to
    its worker thread: BEGIN (another process may hold the write lock: the busy timeout waits there), COMMIT (it
    may checkpoint the WAL, which syncs the file), PRAGMAs, closing, and the statements marked as long reads
    (`models.base.long_read`: an export's batches, tens of milliseconds each, read while the loop goes on).

    A statement on a local SQLite file takes tens of microseconds; handing it to a thread and back (aiosqlite's
    way: for the cursor, the statement, the rows and the close, four hand-overs a query) costs more, and far more on
    a busy machine, where each hand-over waits for the scheduler. So a unit of work costs two hand-overs, whatever
    it does (`docs/decisions/0019-ingest-faster-than-a-naive-bot.md`).
    """

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._may_wait(fn, args):
            return await super()._execute(fn, *args, **kwargs)
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def _may_wait(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
        if args and isinstance(args[0], str):
            return args[0].lstrip()[:6].upper() in MAY_WAIT or LONG_READ in args[0][-LONG_READ_TAIL:]
        return fn in (self._conn.commit, self._conn.close)


MAY_WAIT = ("BEGIN ", "PRAGMA", "COMMIT")
LONG_READ_TAIL = len(LONG_READ) + 4
"""Where a statement marked `models.base.long_read` holds the mark: at its end, before the space SQLAlchemy adds."""


async def connect_inline(path: Path) -> InlineSqlite:
    """A connection for `create_async_engine(async_creator=…)`: used from the loop's thread and from its worker
    thread, one at a time (the pool lends it to one session at a time)."""
    connection = InlineSqlite(partial(sqlite3.connect, str(path), check_same_thread=False), 64)
    await connection
    return connection


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take the write lock at BEGIN so two writers queue instead of failing mid-transaction."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One session and one transaction: commit on success, roll back on error."""
    async with factory() as session, session.begin():
        yield session
