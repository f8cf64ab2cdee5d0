"""the tickets' time index also holds their building: counting a period's tickets inside a viewer's scopes (the
statistics' twelve months, an export's numbers) is then read from the index alone, without visiting the tickets;
it also joins the two lines that both followed 0029 (the outbox's turns, the help hint) into one head

Revision ID: 0033
Revises: 0030, 0034
Create Date: 2026-12-02 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | tuple[str, ...] | None = ("0030", "0034")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ticket_created_at_building", "ticket", ["created_at", "building_id"])
    op.drop_index("ix_ticket_created_at", table_name="ticket")


def downgrade() -> None:
    op.create_index("ix_ticket_created_at", "ticket", ["created_at"])
    op.drop_index("ix_ticket_created_at_building", table_name="ticket")
