"""Sending a notice: one copy per group in scope through the outbox, then a delivery report for its author."""

from __future__ import annotations

from handlers.announce.texts import translate
from handlers.common.scopes import chats_in_scope
from handlers.core.context import Work
from handlers.core.types import Send
from models.announcements import (
    Announcement,
    AnnouncementStatus,
    awaiting_report,
    delivery_key,
    delivery_rows,
    due_announcements,
)
from models.chats import Chat
from models.outbox import UNFINISHED, OutboxStatus

S = AnnouncementStatus


async def dispatch(work: Work, draft: Announcement) -> int:
    """Hand one copy per group to the outbox (dedupe keys: never twice), and remember how many."""
    chats = await chats_in_scope(work.session, draft.scope_ids)
    text = f"{translate(work.locale, 'announce.header')}\n{draft.text}"
    for chat in chats:
        work.effects.add(
            Send(
                platform=chat.platform,
                chat_id=chat.platform_chat_id,
                text=text,
                photo=draft.photo,
                dedupe_key=delivery_key(draft.id or 0, chat.id or 0),
                bulk=True,
            )
        )
    draft.status, draft.sent_at, draft.targets = S.SENT, work.now, len(chats)
    return len(chats)


async def sweep_announcements(work: Work) -> int:
    """Send what is due; report deliveries once every copy has a final outcome."""
    handled = 0
    for draft in await due_announcements(work.session, now=work.now):
        await dispatch(work, draft)
        handled += 1
    for draft in await awaiting_report(work.session):
        if await report(work, draft):
            handled += 1
    return handled


async def report(work: Work, draft: Announcement) -> bool:
    rows = await delivery_rows(work.session, announcement_id=draft.id or 0)
    if len(rows) < draft.targets or any(r.status in UNFINISHED for r in rows):
        return False
    delivered = sum(r.status == OutboxStatus.SENT for r in rows)
    lines = [translate(work.locale, "announce.report", number=draft.id, delivered=delivered, total=draft.targets)]
    for row in rows:
        if row.status != OutboxStatus.SENT:
            chat_id = int((row.dedupe_key or "::0").rsplit(":", 1)[1])
            chat = await work.session.get(Chat, chat_id)
            lines.append(
                translate(
                    work.locale,
                    "announce.report_failure",
                    chat=chat.title if chat else row.chat_id,
                    reason=row.last_error or row.status,
                )
            )
    work.effects.add(Send(platform=draft.author_platform, chat_id=draft.author_chat_id, text="\n".join(lines)))
    draft.status = S.REPORTED
    return True
