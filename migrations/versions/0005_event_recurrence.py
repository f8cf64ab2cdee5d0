"""events: monthly recurrence, points per check-in, organisers' edits

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import models.base

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
        batch.add_column(sa.Column("pending_edit", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch.add_column(sa.Column("pending_editor_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_event_pending_editor_id"), ["pending_editor_id"], unique=False)
        batch.create_foreign_key("fk_event_pending_editor_id_person", "person", ["pending_editor_id"], ["id"])
    with op.batch_alter_table("event_occurrence") as batch:
        batch.add_column(sa.Column("slot_at", models.base.UTCDateTime(), nullable=True))
    op.execute("UPDATE event SET recurrence = 'weekly' WHERE weekly")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("weekly")


def downgrade() -> None:
    with op.batch_alter_table("event_occurrence") as batch:
        batch.drop_column("slot_at")
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("weekly", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE event SET weekly = (recurrence = 'weekly')")
    with op.batch_alter_table("event") as batch:
        batch.drop_constraint("fk_event_pending_editor_id_person", type_="foreignkey")
        batch.drop_index(batch.f("ix_event_pending_editor_id"))
        batch.drop_column("pending_editor_id")
        batch.drop_column("pending_edit")
        batch.drop_column("points")
        batch.drop_column("recurrence")
