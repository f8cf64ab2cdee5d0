"""Which executed statements SQLAlchemy took from its compiled cache: a statement built once must not be compiled
again at every execution."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def cache_hits(engine: Engine, containing: str) -> Iterator[list[bool]]:
    """Per execution of a statement whose SQL contains `containing`, in order: whether its compilation was cached."""
    hits: list[bool] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if containing in statement:
            hits.append(context.cache_hit == context.dialect.CACHE_HIT)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield hits
    finally:
        event.remove(engine, "before_cursor_execute", record)
