"""events last a given time (their end shown with the start); a community's 爱心超市 has an address and opening hours;
ledger entries keep a system reason's text key and values (shown in the reader's language)

Revision ID: 0024
Revises: 0021
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
import models.base

revision: str = "0024"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration_minutes", sa.Integer(), nullable=True))
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column("reason_values", sa.JSON(), nullable=True))
    op.create_table(
        "shop_desk",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("hours", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["place.id"], name="fk_shop_desk_community_id_place"),
        sa.PrimaryKeyConstraint("community_id", name="pk_shop_desk"),
    )


def downgrade() -> None:
    op.drop_table("shop_desk")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_column("reason_values")
        batch_op.drop_column("reason_key")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("duration_minutes")
