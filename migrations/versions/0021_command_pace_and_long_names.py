"""command pace and long names: how fast one member sends commands in one group (a flood is paused); a person's
name holds Telegram's 64 + 64 characters

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from models.base import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_BEFORE, NAME_NOW = 120, 200


def upgrade() -> None:
    op.create_table(
        "command_pace",
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("window_started_at", UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("quiet_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("platform", "chat_id", "user_id", name=op.f("pk_command_pace")),
    )
    widen_name(NAME_NOW)


def widen_name(length: int) -> None:
    """PostgreSQL enforces the width; SQLite keeps whatever length it is given (the column is left as it is)."""
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("person", "display_name", type_=sqlmodel.sql.sqltypes.AutoString(length=length))


def downgrade() -> None:
    widen_name(NAME_BEFORE)
    op.drop_table("command_pace")
