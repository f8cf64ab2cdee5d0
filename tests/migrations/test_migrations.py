"""Alembic: upgrade from empty, downgrade to base, and the models never drift from the migrations."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import String, inspect, text
from sqlalchemy.types import TypeEngine

import models
from bot.db import create_engine
from bot.migrate import MIGRATIONS_DIR, downgrade, upgrade
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL


@pytest.fixture
def empty_database(tmp_path: object) -> Iterator[str]:
    """A brand-new database of the kind under test (its own PostgreSQL database, dropped afterwards)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    name = f"linli_mig_{uuid.uuid4().hex[:10]}"
    server = TEST_DATABASE_URL.rsplit("/", 1)[0]

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(f"{server}/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield f"{server}/{name}"
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def table_names(url: str) -> set[str]:
    async def names() -> set[str]:
        engine = create_engine(url)
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return found

    return asyncio.run(names())


def widths_where_enforced(
    context: MigrationContext, _inspected: object, _metadata: object, stored: TypeEngine[Any], model: TypeEngine[Any]
) -> bool | None:
    """Types are compared as Alembic does, except a string's width on SQLite, which never enforces it (a name
    column widened for PostgreSQL keeps its old width there rather than rebuilding a table others refer to)."""
    both_strings = stored._type_affinity is String and model._type_affinity is String
    if context.dialect.name == "sqlite" and both_strings:
        return False
    return None


def drift(url: str) -> list[object]:
    async def compare() -> list[object]:
        engine = create_engine(url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": widths_where_enforced}), models.metadata
                )
            )
        await engine.dispose()
        return list(diff)

    return asyncio.run(compare())


def declared_included_columns() -> dict[str, list[str]]:
    """The indexes the models declare with columns included beyond their key (PostgreSQL's INCLUDE)."""
    declared = {}
    for table in models.metadata.sorted_tables:
        for index in table.indexes:
            if index.dialect_options["postgresql"]["include"]:
                declared[str(index.name)] = list(index.dialect_options["postgresql"]["include"])
    return declared


def included_columns(url: str) -> dict[str, list[str]]:
    """The database's indexes with included columns, as PostgreSQL reports them."""

    def read(connection: Any) -> dict[str, list[str]]:
        inspector = inspect(connection)
        return {
            str(index["name"]): list(index["dialect_options"]["postgresql_include"])
            for table in inspector.get_table_names()
            for index in inspector.get_indexes(table)
            if index.get("dialect_options", {}).get("postgresql_include")
        }

    async def reflect() -> dict[str, list[str]]:
        engine = create_engine(url)
        async with engine.connect() as conn:
            found = await conn.run_sync(read)
        await engine.dispose()
        return found

    return asyncio.run(reflect())


def test_upgrade_from_empty_then_downgrade_to_base(empty_database: str) -> None:
    upgrade(empty_database)
    expected = {t.name for t in models.metadata.sorted_tables}
    assert expected <= table_names(empty_database)
    assert drift(empty_database) == []
    if ON_POSTGRES:  # Alembic's comparison above does not look at the columns an index includes
        assert included_columns(empty_database) == declared_included_columns()
    downgrade(empty_database, "base")
    assert table_names(empty_database) <= {"alembic_version"}
    upgrade(empty_database)
    assert expected <= table_names(empty_database)


def stamp_unknown_revision(url: str, revision: str) -> None:
    """What an older checkout finds in a database a newer one migrated: a revision it has no file for."""

    async def stamp() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision})
        await engine.dispose()

    asyncio.run(stamp())


def test_migrate_exits_with_one_clear_line_on_a_revision_it_does_not_know(empty_database: str) -> None:
    upgrade(empty_database)
    stamp_unknown_revision(empty_database, "9999")
    repo = MIGRATIONS_DIR.parent
    result = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=repo,
        env=os.environ | {"DATABASE_URL": empty_database, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
        timeout=60,  # it used to wait forever on SQLite for the connection's thread after the error
    )
    assert result.returncode == 2, result.stderr
    assert "migration failed" in result.stderr and "'9999'" in result.stderr and "newer version" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
