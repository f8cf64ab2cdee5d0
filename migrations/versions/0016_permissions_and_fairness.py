"""permissions and fairness: the message each outbox row shows is indexed (a button press is checked against the
buttons issued on that very message); edit rows sent before now learn the message they changed

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHOWN = ("sending", "sent", "uncertain")


def upgrade() -> None:
    op.create_index("ix_outbox_shown", "outbox_message", ["platform", "chat_id", "platform_message_id"])
    backfill_edit_targets()


def backfill_edit_targets() -> None:
    """An edit row sent before this revision names the message it changed, as the sender now records."""
    bind = op.get_bind()
    outbox = sa.table(
        "outbox_message",
        sa.column("id", sa.Integer),
        sa.column("platform", sa.String),
        sa.column("action", sa.String),
        sa.column("status", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("ref_key", sa.String),
        sa.column("platform_message_id", sa.String),
    )
    sends = bind.execute(
        sa.select(outbox.c.ref_key, outbox.c.platform_message_id)
        .where(outbox.c.action == "send", outbox.c.ref_key.is_not(None))
        .order_by(outbox.c.id)
    )
    sent_ids = dict(sends.all())  # the newest send of a name wins, as for the sender
    edits = bind.execute(
        sa.select(outbox.c.id, outbox.c.platform, outbox.c.payload).where(
            outbox.c.action == "edit", outbox.c.status.in_(SHOWN), outbox.c.platform_message_id.is_(None)
        )
    )
    for row_id, platform, payload in edits.all():
        target = str(row_id) if platform == "wecom" else payload.get("message_id") or sent_ids.get(payload.get("ref_key"))
        if target:
            bind.execute(sa.update(outbox).where(outbox.c.id == row_id).values(platform_message_id=str(target)))


def downgrade() -> None:
    op.drop_index("ix_outbox_shown", table_name="outbox_message")
