"""Shared table helpers: naming convention, UTC time, JSON columns, and the session type (handlers/ take it from
here and never import the ORM)."""

from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic._internal import _fields
from sqlalchemy import JSON, DateTime, MetaData, TextualSelect, bindparam, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession as AsyncSession  # the session type handlers name from here

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
SQLModel.model_config["defer_build"] = True  # pydantic builds a table's validator and serializer at first use, not
# for all 55 tables at import (~0.03 s of every start, decision 0027): rows are built without validation, and only a
# few places ever dump one
metadata: MetaData = SQLModel.metadata


def remember_default_factory_signatures() -> None:
    """Building a table row asks, for every field with a default factory (`list`, `utcnow` …), whether the factory
    takes the validated data, and pydantic answers with `inspect.signature` each time: for a builtin that parses its
    text signature. A function's signature does not change, so the answer is kept: a ticket is built in 70 µs instead
    of 180 (decision 0019). Called once by the composition root; a pydantic without this private helper is left as
    it is (rows are then built at the old cost, nothing else changes)."""
    asks = getattr(_fields, "takes_validated_data_argument", None)
    if asks is None or hasattr(asks, "cache_info"):
        return
    _fields.takes_validated_data_argument = cache(asks)  # type: ignore[assignment]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONColumn = JSON


def database_name(session: AsyncSession) -> str:
    """The database's name, "postgresql" or "sqlite": what a statement built once per database is keyed by."""
    return session.get_bind().dialect.name


def on_postgres(session: AsyncSession) -> bool:
    """Whether the session talks to PostgreSQL (else SQLite)."""
    return database_name(session) == "postgresql"


LONG_READ = "/* long read */"
"""Ends a statement that reads much (a batch of an export) on SQLite: there statements run on the event loop's own
thread, but this one runs on the connection's worker thread (bot/db.py, InlineSqlite), where sqlite3 lets go of the
interpreter while it reads, so the process goes on meanwhile (writing out the batch before, answering a chat)."""


def long_read(statement: Any) -> Any:
    """``statement`` marked as a `LONG_READ` (on SQLite; on PostgreSQL it is unchanged)."""
    return statement.suffix_with(LONG_READ, dialect="sqlite")


def upsert_insert(database: str) -> Any:
    """INSERT with ON CONFLICT for the database named "postgresql" or "sqlite"."""
    return postgresql_insert if database == "postgresql" else sqlite_insert


def as_cached_text(statement: Insert, database: str) -> TextualSelect:
    """The statement's SQL for this database as a `text()` with named binds and RETURNING columns typed as the
    statement's: SQLAlchemy caches a `text()`'s compilation, where a dialect's INSERT … ON CONFLICT is compiled anew
    at every execution (decision 0019). The SQL is the database's, without a driver's casts of binds: the driver
    renders the binds at execution, as it does for the statement itself. A bind given a value (a constant) keeps it."""
    dialect = PGDialect(paramstyle="named") if database == "postgresql" else SQLiteDialect(paramstyle="named")
    dialect.bind_typing = BindTyping.NONE  # a `text()`'s binds are rendered with the driver's casts at execution
    compiled = statement.compile(dialect=dialect)
    binds = [
        bindparam(name, bind.value, type_=bind.type, required=bind.required)
        for bind, name in compiled.bind_names.items()
    ]
    return text(compiled.string).bindparams(*binds).columns(*statement.exported_columns)
