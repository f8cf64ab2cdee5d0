"""console at scale: each ticket keeps its first confirmation and its counts of reopenings and escalations (filled
from the history), and one index holds what the board filters and counts on

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

import models.base
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOARD_COLUMNS = ["building_id", "created_at", "status", "category", "urgent", "due_at"]
FROM_HISTORY = """
UPDATE ticket SET
  confirmed_at = (SELECT min(e.created_at) FROM ticket_event e WHERE e.ticket_id = ticket.id AND e.action = 'confirm'),
  reopens = (SELECT count(*) FROM ticket_event e WHERE e.ticket_id = ticket.id AND e.action = 'reopen'),
  escalations = (SELECT count(*) FROM ticket_event e WHERE e.ticket_id = ticket.id AND e.action = 'escalate')
WHERE EXISTS (SELECT 1 FROM ticket_event e WHERE e.ticket_id = ticket.id AND e.action IN ('confirm', 'reopen', 'escalate'))
"""


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("confirmed_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reopens", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("escalations", sa.Integer(), nullable=False, server_default="0"))
    op.execute(FROM_HISTORY)
    op.create_index("ix_ticket_board", "ticket", BOARD_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_ticket_board", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("escalations")
        batch.drop_column("reopens")
        batch.drop_column("confirmed_at")
