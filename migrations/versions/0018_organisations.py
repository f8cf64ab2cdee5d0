"""organisations: 物业, 维保单位, utilities, departments and the 街道, their members and invites, routing rules,
the dispatches of tickets to them, 挂账 holds, 吹哨报到 whistles and the 物业满意度 surveys

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02 03:46:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import models.base
from alembic import op


revision: str = '0018'
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('duty_phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('working_hours', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('serves', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['place.id'], name=op.f('fk_organisation_community_id_place')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('code', name=op.f('uq_organisation_code'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_community_id'), ['community_id'], unique=False)

    op.create_table('org_invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_org_invite_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_invite')),
    sa.UniqueConstraint('code', name=op.f('uq_org_invite_code'))
    )
    op.create_table('org_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('joined_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_org_member_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_org_member_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_member')),
    sa.UniqueConstraint('organisation_id', 'person_id', name=op.f('uq_org_member_organisation_id'))
    )
    with op.batch_alter_table('org_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_member_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_member_person_id'), ['person_id'], unique=False)

    op.create_table('routing_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subkind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['place.id'], name=op.f('fk_routing_rule_building_id_place')),
    sa.ForeignKeyConstraint(['community_id'], ['place.id'], name=op.f('fk_routing_rule_community_id_place')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_routing_rule_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rule'))
    )
    with op.batch_alter_table('routing_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rule_community_id'), ['community_id'], unique=False)

    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('chat_ids', sa.JSON(), nullable=False),
    sa.Column('deadline', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('remind_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reminded', sa.Boolean(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_survey_created_by_id_person')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_survey_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey'))
    )
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('survey_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_answer_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answer'))
    )
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answer_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_voter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('draft', sa.JSON(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_survey_voter_person_id_person')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_voter_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_voter')),
    sa.UniqueConstraint('survey_id', 'person_id', name=op.f('uq_survey_voter_survey_id'))
    )
    with op.batch_alter_table('survey_voter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_voter_survey_id'), ['survey_id'], unique=False)

    op.create_table('ticket_dispatch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('dispatched_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('awaiting_id', sa.Integer(), nullable=True),
    sa.Column('awaiting', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['person.id'], name=op.f('fk_ticket_dispatch_accepted_by_id_person')),
    sa.ForeignKeyConstraint(['awaiting_id'], ['person.id'], name=op.f('fk_ticket_dispatch_awaiting_id_person')),
    sa.ForeignKeyConstraint(['dispatched_by_id'], ['person.id'], name=op.f('fk_ticket_dispatch_dispatched_by_id_person')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_ticket_dispatch_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_dispatch_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_dispatch'))
    )
    with op.batch_alter_table('ticket_dispatch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_dispatch_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_dispatch_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('expected_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['person.id'], name=op.f('fk_ticket_hold_approved_by_id_person')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_ticket_hold_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['person.id'], name=op.f('fk_ticket_hold_requested_by_id_person')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_hold_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_hold'))
    )
    with op.batch_alter_table('ticket_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_hold_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_hold_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('whistle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reminded', sa.Boolean(), nullable=False),
    sa.Column('reported_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_whistle_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['person.id'], name=op.f('fk_whistle_reported_by_id_person')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_whistle_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whistle')),
    sa.UniqueConstraint('ticket_id', 'organisation_id', name=op.f('uq_whistle_ticket_id'))
    )
    with op.batch_alter_table('whistle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whistle_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_whistle_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('whistle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whistle_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_whistle_due_at'))

    op.drop_table('whistle')
    with op.batch_alter_table('ticket_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_hold_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_hold_started_at'))

    op.drop_table('ticket_hold')
    with op.batch_alter_table('ticket_dispatch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_dispatch_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_dispatch_organisation_id'))

    op.drop_table('ticket_dispatch')
    with op.batch_alter_table('survey_voter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_voter_survey_id'))

    op.drop_table('survey_voter')
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answer_survey_id'))

    op.drop_table('survey_answer')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_survey_deadline'))

    op.drop_table('survey')
    with op.batch_alter_table('routing_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rule_community_id'))

    op.drop_table('routing_rule')
    with op.batch_alter_table('org_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_member_person_id'))
        batch_op.drop_index(batch_op.f('ix_org_member_organisation_id'))

    op.drop_table('org_member')
    op.drop_table('org_invite')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_community_id'))

    op.drop_table('organisation')
