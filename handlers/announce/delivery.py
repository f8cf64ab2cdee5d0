"""Sending a notice: one copy per group in scope through the outbox, then a delivery report for its author."""

from __future__ import annotations

from datetime import timedelta

from handlers.announce.texts import translate
from handlers.common.scopes import chats_in_scope
from handlers.core.context import Work
from handlers.core.hooks import AwaitingAnswer
from handlers.core.types import Send
from models.announcements import (
    Announcement,
    AnnouncementStatus,
    awaiting_report,
    delivery_key,
    delivery_rows,
    draft_of,
    due_announcements,
)
from models.chats import Chat
from models.outbox import UNFINISHED, OutboxStatus

S = AnnouncementStatus
REPORT_HOLD = timedelta(minutes=30)
"""How long a delivery report waits for its author to finish a wizard before it is sent anyway."""
WRITING = (S.CHOOSING, S.WRITING, S.PREVIEW, S.TIMING)
"""A notice the author is still composing: the wizard waits for their next message or press."""


def short(text: str, limit: int = 20) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


async def answering_a_wizard(work: Work, person_id: int) -> bool:
    """True if some feature's wizard waits for this person's next message (AwaitingAnswer)."""
    asked = AwaitingAnswer(person_id)
    await work.emit(asked)
    return any(asked.waiting)


async def composing_a_notice(work: Work, hook: AwaitingAnswer) -> None:
    """This feature's answer to AwaitingAnswer: a notice of theirs still being composed."""
    if await draft_of(work.session, author_id=hook.person_id, statuses=WRITING) is not None:
        hook.waiting.append(True)


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
    """The delivery report, once every copy has a final outcome — held while the author is answering a wizard (so
    it does not land between its questions), for at most `REPORT_HOLD`; it names the notice it belongs to."""
    rows = await delivery_rows(work.session, announcement_id=draft.id or 0)
    if len(rows) < draft.targets or any(r.status in UNFINISHED for r in rows):
        return False
    if await answering_a_wizard(work, draft.author_id) and work.now - (draft.sent_at or work.now) < REPORT_HOLD:
        return False
    delivered = sum(r.status == OutboxStatus.SENT for r in rows)
    lines = [
        translate(
            work.locale,
            "announce.report",
            number=draft.id,
            text=short(draft.text),
            delivered=delivered,
            total=draft.targets,
        )
    ]
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
