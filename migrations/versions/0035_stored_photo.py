"""Linli's own copies of received photos: WeCom's AI bot gives an image as a link valid five minutes and the app's
media_id lasts three days, so the bytes are kept here and a ticket refers to them as `stored:<id>`

Revision ID: 0035
Revises: 0033
Create Date: 2026-12-03 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from models.base import UTCDateTime

revision: str = "0035"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_photo",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("in_use", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_stored_photo_unchecked", "stored_photo", ["in_use", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_stored_photo_unchecked", table_name="stored_photo")
    op.drop_table("stored_photo")
