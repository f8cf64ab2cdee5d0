"""console: one-time login links, console sessions, monthly rankings, tickets marked urgent, tickets by creation time, people
forgotten (PIPL)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
import models.base

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_console_link_person_id_person"),
        sa.PrimaryKeyConstraint("id", name="pk_console_link"),
        sa.UniqueConstraint("token_hash", name="uq_console_link_token_hash"),
    )
    op.create_index("ix_console_link_person_id", "console_link", ["person_id"])
    op.create_table(
        "console_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("csrf_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_console_session_person_id_person"),
        sa.PrimaryKeyConstraint("id", name="pk_console_session"),
        sa.UniqueConstraint("token_hash", name="uq_console_session_token_hash"),
    )
    op.create_index("ix_console_session_person_id", "console_session", ["person_id"])
    op.create_table(
        "monthly_ranking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["place.id"], name="fk_monthly_ranking_community_id_place"),
        sa.PrimaryKeyConstraint("id", name="pk_monthly_ranking"),
        sa.UniqueConstraint("community_id", "month", name="uq_monthly_ranking_community_id"),
    )
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_ticket_created_at", "ticket", ["created_at"])
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("forgotten_at", models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("forgotten_at")
    op.drop_index("ix_ticket_created_at", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("urgent")
    op.drop_table("monthly_ranking")
    op.drop_index("ix_console_session_person_id", table_name="console_session")
    op.drop_table("console_session")
    op.drop_index("ix_console_link_person_id", table_name="console_link")
    op.drop_table("console_link")
