"""爱心存折: ledger entries and balances

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import models.base
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("delta <> 0", name=op.f("ck_ledger_entry_delta_not_zero")),
        sa.ForeignKeyConstraint(["actor_id"], ["person.id"], name=op.f("fk_ledger_entry_actor_id_person")),
        sa.ForeignKeyConstraint(["community_id"], ["place.id"], name=op.f("fk_ledger_entry_community_id_place")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_ledger_entry_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_entry_idempotency_key")),
    )
    with op.batch_alter_table("ledger_entry") as batch:
        batch.create_index(batch.f("ix_ledger_entry_community_id"), ["community_id"], unique=False)
        batch.create_index(batch.f("ix_ledger_entry_created_at"), ["created_at"], unique=False)
        batch.create_index(batch.f("ix_ledger_entry_person_id"), ["person_id"], unique=False)

    op.create_table(
        "balance",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("spendable", sa.Integer(), nullable=False),
        sa.Column("lifetime", sa.Integer(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lifetime >= 0", name=op.f("ck_balance_lifetime_not_negative")),
        sa.CheckConstraint("spendable >= 0", name=op.f("ck_balance_spendable_not_negative")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_balance_person_id_person")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_balance")),
    )
    op.create_table(
        "award_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("awarder_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["awarder_id"], ["person.id"], name=op.f("fk_award_draft_awarder_id_person")),
        sa.ForeignKeyConstraint(["recipient_id"], ["person.id"], name=op.f("fk_award_draft_recipient_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_draft")),
        sa.UniqueConstraint("awarder_id", name=op.f("uq_award_draft_awarder_id")),
    )


def downgrade() -> None:
    op.drop_table("award_draft")
    op.drop_table("balance")
    op.drop_table("ledger_entry")
