"""Database engine and sessions: SQLite (WAL, foreign keys on) or PostgreSQL, both async."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import sqlite_path, to_async_url

SessionFactory = async_sessionmaker[AsyncSession]


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
        engine = create_async_engine(to_async_url(database_url), pool_pre_ping=True, hide_parameters=True)
    else:
        engine = create_async_engine(
            to_async_url(database_url), pool_size=1, max_overflow=0, pool_timeout=60, hide_parameters=True
        )
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


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
