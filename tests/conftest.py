"""Database fixtures: a fresh SQLite file per test, or a migrated PostgreSQL database (TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

import models
from bot.db import SessionFactory, create_engine, session_factory
from bot.migrate import downgrade, upgrade

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgres")


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """The CI's throwaway PostgreSQL database, at the newest schema for the whole session."""
    downgrade(TEST_DATABASE_URL, "base")
    upgrade(TEST_DATABASE_URL)
    yield TEST_DATABASE_URL


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
