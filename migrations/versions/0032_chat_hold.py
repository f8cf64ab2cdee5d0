"""a chat's hold: until when a platform's 429 (retry_after) asked the bot to send nothing more to that chat

Revision ID: 0032
Revises: 0028
Create Date: 2026-12-02 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0032"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("send_window") as batch:
        batch.add_column(sa.Column("held_until", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("send_window") as batch:
        batch.drop_column("held_until")
