"""Database fixtures: a fresh SQLite file per test, or a migrated PostgreSQL database (TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

import models
from bot.db import SessionFactory, create_engine, session_factory
from bot.migrate import upgrade

pytest_plugins = ["tests.support.browser"]  # the `browser` fixture for the web pages

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgres")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to test a compiled module (mypyc, at install: setup.py) older than its source: the edit would go
    untested until `make venv` compiles it again."""
    root = Path(__file__).resolve().parent.parent
    for compiled in root.glob("*/*.so"):
        source = compiled.with_name(compiled.name.partition(".")[0] + ".py")
        if source.is_file() and source.stat().st_mtime > compiled.stat().st_mtime:
            pytest.exit(f"{source.relative_to(root)} changed after it was compiled: run `make venv`", returncode=2)


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """The throwaway PostgreSQL test database, emptied and migrated to the newest schema for the session."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # requested from inside a running event loop
        pool.submit(asyncio.run, empty_postgres(TEST_DATABASE_URL)).result()
    upgrade(TEST_DATABASE_URL)
    yield TEST_DATABASE_URL


async def empty_postgres(url: str) -> None:
    """TEST_DATABASE_URL must name a database the suite may wipe: everything in its public schema goes."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in models.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


async def create_sqlite(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(models.metadata.create_all)
    await engine.dispose()


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database at the newest schema."""
    if ON_POSTGRES:
        url = request.getfixturevalue("migrated_postgres")
        await reset_postgres(url)
        return url
    url = f"sqlite:///{tmp_path}/linli.db"
    await create_sqlite(url)
    return url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def session(sessions: SessionFactory) -> AsyncIterator[AsyncSession]:
    async with sessions() as s, s.begin():
        yield s
