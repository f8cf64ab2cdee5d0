"""shared send limits: the platforms' windows in the database for every sender, each outbox row's lane and claiming
sender, and an index of the rows still queued per chat

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0028"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUED = "status IN ('pending', 'claimed', 'sending')"


def upgrade() -> None:
    op.create_table(
        "send_window",
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("departures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "scope", name="pk_send_window"),
    )
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("lane", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("claimed_by", sa.Integer(), nullable=True))
    op.execute("UPDATE outbox_message SET lane = 0 WHERE action = 'answer'")
    op.create_index(
        "ix_outbox_queue",
        "outbox_message",
        ["platform", "chat_id", "id"],
        postgresql_where=sa.text(QUEUED),
        sqlite_where=sa.text(QUEUED),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_queue", table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("claimed_by")
        batch.drop_column("lane")
    op.drop_table("send_window")
