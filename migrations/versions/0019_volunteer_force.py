"""volunteer force: the record of role changes (role_audit), handover invites

Revision ID: 0019
Revises: 0012
Create Date: 2026-12-02 03:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import models.base
from alembic import op


revision: str = "0019"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "role_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("change", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["person.id"], name=op.f("fk_role_audit_actor_id_person")),
        sa.ForeignKeyConstraint(["grant_id"], ["role_grant.id"], name=op.f("fk_role_audit_grant_id_role_grant")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_role_audit_person_id_person")),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"], name=op.f("fk_role_audit_place_id_place")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_audit")),
    )
    with op.batch_alter_table("role_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_audit_grant_id"), ["grant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_role_audit_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_role_audit_place_id"), ["place_id"], unique=False)

    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handover_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invite_handover_of_id_role_grant"), "role_grant", ["handover_of_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invite_handover_of_id_role_grant"), type_="foreignkey")
        batch_op.drop_column("handover_of_id")

    with op.batch_alter_table("role_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_audit_place_id"))
        batch_op.drop_index(batch_op.f("ix_role_audit_person_id"))
        batch_op.drop_index(batch_op.f("ix_role_audit_grant_id"))

    op.drop_table("role_audit")
