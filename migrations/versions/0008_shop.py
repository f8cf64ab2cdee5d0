"""爱心超市: reward items and redemptions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import models.base
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reward_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cost > 0", name=op.f("ck_reward_item_cost_positive")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_reward_item_stock_not_negative")),
        sa.ForeignKeyConstraint(["community_id"], ["place.id"], name=op.f("fk_reward_item_community_id_place")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_item")),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_reward_item_community_id")),
    )
    with op.batch_alter_table("reward_item") as batch:
        batch.create_index(batch.f("ix_reward_item_community_id"), ["community_id"], unique=False)

    op.create_table(
        "redemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("item_name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("held_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["closed_by_id"], ["person.id"], name=op.f("fk_redemption_closed_by_id_person")),
        sa.ForeignKeyConstraint(["community_id"], ["place.id"], name=op.f("fk_redemption_community_id_place")),
        sa.ForeignKeyConstraint(["item_id"], ["reward_item.id"], name=op.f("fk_redemption_item_id_reward_item")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_redemption_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption")),
        sa.UniqueConstraint("code", name=op.f("uq_redemption_code")),
        sa.UniqueConstraint("request_key", name=op.f("uq_redemption_request_key")),
    )
    with op.batch_alter_table("redemption") as batch:
        batch.create_index(batch.f("ix_redemption_community_id"), ["community_id"], unique=False)
        batch.create_index(batch.f("ix_redemption_expires_at"), ["expires_at"], unique=False)
        batch.create_index(batch.f("ix_redemption_item_id"), ["item_id"], unique=False)
        batch.create_index(batch.f("ix_redemption_person_id"), ["person_id"], unique=False)
        batch.create_index(batch.f("ix_redemption_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("redemption")
    op.drop_table("reward_item")
