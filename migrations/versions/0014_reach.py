"""reach: what the bot knows of each account's private chat, and private messages held for a deep link

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("platform_account") as batch:
        batch.add_column(sa.Column("private_chat", sa.String(length=8), nullable=True))
    op.create_table(
        "held_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_message")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_held_message_person_id_person")),
        sa.UniqueConstraint("token", name=op.f("uq_held_message_token")),
    )
    op.create_index("ix_held_message_person_id", "held_message", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_held_message_person_id", table_name="held_message")
    op.drop_table("held_message")
    with op.batch_alter_table("platform_account") as batch:
        batch.drop_column("private_chat")
