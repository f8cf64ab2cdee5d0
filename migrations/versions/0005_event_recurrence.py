"""events: monthly recurrence and points per check-in

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(
            sa.Column("recurrence", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default="once")
        )
        batch.add_column(sa.Column("points", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE event SET recurrence = 'weekly' WHERE weekly")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("weekly")


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("weekly", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE event SET weekly = (recurrence = 'weekly')")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("points")
        batch.drop_column("recurrence")
