"""a ticket's place inside its building as the report names it (2单元501, 5楼, 东门, 地库), not only the unit

Revision ID: 0029
Revises: 0032
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlmodel

from alembic import op

revision: str = "0029"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("ticket", "intake_offer")
UNIT_LENGTH, LOCATION_LENGTH = 16, 40


def upgrade() -> None:
    """The unit column becomes the location: 3 is now written 3单元."""
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN unit TO location")
        widen(table, LOCATION_LENGTH)
        op.execute(f"UPDATE {table} SET location = location || '单元' WHERE location IS NOT NULL")


def widen(table: str, length: int) -> None:
    """PostgreSQL enforces the width; SQLite keeps whatever length it is given (the column is left as it is)."""
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(table, "location", type_=sqlmodel.sql.sqltypes.AutoString(length=length))


def downgrade() -> None:
    """Back to the unit alone: the places are forgotten (they stay readable in the tickets' texts)."""
    for table in TABLES:
        op.execute(f"UPDATE {table} SET location = NULL")
        widen(table, UNIT_LENGTH)
        op.execute(f"ALTER TABLE {table} RENAME COLUMN location TO unit")
