"""Run Alembic from code: `python -m bot migrate` and the test suite use this."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def _off_loop(fn: Callable[[Config, str], None], database_url: str, revision: str) -> None:
    """env.py runs its own event loop, so Alembic always runs in a thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn, alembic_config(database_url), revision).result()


def upgrade(database_url: str, revision: str = "head") -> None:
    _off_loop(command.upgrade, database_url, revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    _off_loop(command.downgrade, database_url, revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)


async def downgrade_async(database_url: str, revision: str = "base") -> None:
    await asyncio.to_thread(downgrade, database_url, revision)
