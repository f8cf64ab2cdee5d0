"""on PostgreSQL the tickets' time index also carries their number: a month's export reads its ticket numbers
from the index alone (an index-only scan) instead of visiting every ticket of the month on the heap; SQLite's
index already holds the number (the rowid), so nothing changes there

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX, COLUMNS = "ix_ticket_created_at_building", ["created_at", "building_id"]


def rebuild(include: list[str]) -> None:
    """The same index, rebuilt carrying `include` as well (PostgreSQL only)."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="ticket")
        op.create_index(INDEX, "ticket", COLUMNS, postgresql_include=include)


def upgrade() -> None:
    rebuild(["id"])


def downgrade() -> None:
    rebuild([])
