"""the tickets' time index also holds their building: counting a period's tickets inside a viewer's scopes (the
statistics' twelve months, an export's numbers) is then read from the index alone, without visiting the tickets

Revision ID: 0033
Revises: 0034
Create Date: 2026-12-02 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ticket_created_at_building", "ticket", ["created_at", "building_id"])
    op.drop_index("ix_ticket_created_at", table_name="ticket")


def downgrade() -> None:
    op.create_index("ix_ticket_created_at", "ticket", ["created_at"])
    op.drop_index("ix_ticket_created_at_building", table_name="ticket")
