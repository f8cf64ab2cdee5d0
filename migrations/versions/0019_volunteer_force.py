"""volunteer force: role changes, handover invites, 报到 profiles, teams, 点单, households, polls, 需求清单

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import models.base
from alembic import op


revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("door", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["place.id"], name=op.f("fk_household_building_id_place")),
        sa.ForeignKeyConstraint(["community_id"], ["place.id"], name=op.f("fk_household_community_id_place")),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"], name=op.f("fk_household_created_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("building_id", "door", name=op.f("uq_household_building_id")),
        sa.UniqueConstraint("code", name=op.f("uq_household_code")),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_community_id"), ["community_id"], unique=False)

    op.create_table(
        "poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("per_household", sa.Boolean(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("scope_ids", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("card_refs", sa.JSON(), nullable=False),
        sa.Column("closes_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.Column("next_timer_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["person.id"], name=op.f("fk_poll_author_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll")),
    )
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_next_timer_at"), ["next_timer_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_poll_status"), ["status"], unique=False)

    op.create_table(
        "volunteer_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("party_member", sa.Boolean(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("availability", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("home_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["place.id"], name=op.f("fk_volunteer_profile_area_id_place")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["person.id"], name=op.f("fk_volunteer_profile_decided_by_id_person")
        ),
        sa.ForeignKeyConstraint(["home_id"], ["place.id"], name=op.f("fk_volunteer_profile_home_id_place")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_volunteer_profile_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_profile")),
        sa.UniqueConstraint("person_id", name=op.f("uq_volunteer_profile_person_id")),
    )
    op.create_table(
        "household_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_household_member_household_id_household")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_household_member_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_member")),
        sa.UniqueConstraint("person_id", name=op.f("uq_household_member_person_id")),
    )
    with op.batch_alter_table("household_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_member_household_id"), ["household_id"], unique=False)

    op.create_table(
        "need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=True),
        sa.Column("card_refs", sa.JSON(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["person.id"], name=op.f("fk_need_author_id_person")),
        sa.ForeignKeyConstraint(["chat_id"], ["chat.id"], name=op.f("fk_need_chat_id_chat")),
        sa.ForeignKeyConstraint(["community_id"], ["place.id"], name=op.f("fk_need_community_id_place")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need")),
    )
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_community_id"), ["community_id"], unique=False)

    op.create_table(
        "poll_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("voter", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_poll_vote_person_id_person")),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], name=op.f("fk_poll_vote_poll_id_poll")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_vote")),
        sa.UniqueConstraint("poll_id", "voter", "option", name=op.f("uq_poll_vote_poll_id")),
    )
    with op.batch_alter_table("poll_vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_vote_poll_id"), ["poll_id"], unique=False)

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

    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("skill", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chat.id"], name=op.f("fk_team_chat_id_chat")),
        sa.ForeignKeyConstraint(["community_id"], ["place.id"], name=op.f("fk_team_community_id_place")),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"], name=op.f("fk_team_created_by_id_person")),
        sa.ForeignKeyConstraint(["leader_id"], ["person.id"], name=op.f("fk_team_leader_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_team_community_id")),
    )
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_community_id"), ["community_id"], unique=False)

    op.create_table(
        "help_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("skill", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("when", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.Integer(), nullable=True),
        sa.Column("card_refs", sa.JSON(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("next_timer_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["building_id"], ["place.id"], name=op.f("fk_help_request_building_id_place")),
        sa.ForeignKeyConstraint(["chat_id"], ["chat.id"], name=op.f("fk_help_request_chat_id_chat")),
        sa.ForeignKeyConstraint(["community_id"], ["place.id"], name=op.f("fk_help_request_community_id_place")),
        sa.ForeignKeyConstraint(["requester_id"], ["person.id"], name=op.f("fk_help_request_requester_id_person")),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_help_request_team_id_team")),
        sa.ForeignKeyConstraint(["volunteer_id"], ["person.id"], name=op.f("fk_help_request_volunteer_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_request")),
    )
    with op.batch_alter_table("help_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_request_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_help_request_next_timer_at"), ["next_timer_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_help_request_requester_id"), ["requester_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_help_request_status"), ["status"], unique=False)

    op.create_table(
        "need_support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"], name=op.f("fk_need_support_need_id_need")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_need_support_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_support")),
        sa.UniqueConstraint("need_id", "person_id", name=op.f("uq_need_support_need_id")),
    )
    with op.batch_alter_table("need_support", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_support_need_id"), ["need_id"], unique=False)

    op.create_table(
        "team_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_team_member_person_id_person")),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_team_member_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_member")),
        sa.UniqueConstraint("team_id", "person_id", name=op.f("uq_team_member_team_id")),
    )
    with op.batch_alter_table("team_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_member_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_team_member_team_id"), ["team_id"], unique=False)

    op.create_table(
        "help_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["person.id"], name=op.f("fk_help_event_actor_id_person")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["help_request.id"], name=op.f("fk_help_event_request_id_help_request")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_event")),
    )
    with op.batch_alter_table("help_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_event_request_id"), ["request_id"], unique=False)

    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handover_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invite_handover_of_id_role_grant"), "role_grant", ["handover_of_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invite_handover_of_id_role_grant"), type_="foreignkey")
        batch_op.drop_column("handover_of_id")

    with op.batch_alter_table("help_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_event_request_id"))

    op.drop_table("help_event")
    with op.batch_alter_table("team_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_member_team_id"))
        batch_op.drop_index(batch_op.f("ix_team_member_person_id"))

    op.drop_table("team_member")
    with op.batch_alter_table("need_support", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_support_need_id"))

    op.drop_table("need_support")
    with op.batch_alter_table("help_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_request_status"))
        batch_op.drop_index(batch_op.f("ix_help_request_requester_id"))
        batch_op.drop_index(batch_op.f("ix_help_request_next_timer_at"))
        batch_op.drop_index(batch_op.f("ix_help_request_community_id"))

    op.drop_table("help_request")
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_community_id"))

    op.drop_table("team")
    with op.batch_alter_table("role_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_audit_place_id"))
        batch_op.drop_index(batch_op.f("ix_role_audit_person_id"))
        batch_op.drop_index(batch_op.f("ix_role_audit_grant_id"))

    op.drop_table("role_audit")
    with op.batch_alter_table("poll_vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_vote_poll_id"))

    op.drop_table("poll_vote")
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_community_id"))

    op.drop_table("need")
    with op.batch_alter_table("household_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_member_household_id"))

    op.drop_table("household_member")
    op.drop_table("volunteer_profile")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_status"))
        batch_op.drop_index(batch_op.f("ix_poll_next_timer_at"))

    op.drop_table("poll")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_community_id"))

    op.drop_table("household")
