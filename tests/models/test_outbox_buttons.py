"""Which button data a press on a message may carry: what the bot put on that message (its send and edits, an edit
on the wire included); the buttons of a message on the wire count only for a message not known yet (the platform
may show it before the sender records its id), never for a known one."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from models.outbox import OutboxMessage, OutboxStatus, issued_callback_data
from models.payloads import EditPayload, Payload, SendPayload, StoredButton

GROUP = "-100"


async def row(
    session: AsyncSession,
    content: Payload,
    status: OutboxStatus,
    *,
    message_id: str | None = None,
    ref_key: str | None = None,
    chat_id: str = GROUP,
) -> None:
    stored = OutboxMessage.of(platform="telegram", chat_id=chat_id, content=content, ref_key=ref_key)
    stored.status, stored.platform_message_id = status, message_id
    session.add(stored)
    await session.flush()


def card(text: str, *data: str) -> SendPayload:
    return SendPayload(text, buttons=tuple((StoredButton(d, d),) for d in data))


async def issued(session: AsyncSession, message_id: str) -> set[str]:
    return await issued_callback_data(session, platform="telegram", chat_id=GROUP, message_id=message_id)


async def test_a_known_message_carries_only_its_own_buttons_not_those_of_a_message_on_the_wire(
    session: AsyncSession,
) -> None:
    await row(session, card("#1", "t:confirm:1"), OutboxStatus.SENT, message_id="10", ref_key="ticket:1")
    await row(session, card("#2", "t:confirm:2"), OutboxStatus.SENDING, ref_key="ticket:2")
    assert await issued(session, "10") == {"t:confirm:1"}


async def test_an_unknown_message_may_be_the_one_on_the_wire(session: AsyncSession) -> None:
    await row(session, card("#1", "t:confirm:1"), OutboxStatus.SENT, message_id="10", ref_key="ticket:1")
    await row(session, card("#2", "t:confirm:2"), OutboxStatus.SENDING, ref_key="ticket:2")
    await row(session, card("#3", "t:confirm:3"), OutboxStatus.SENDING, chat_id="-200")  # another chat's
    assert await issued(session, "11") == {"t:confirm:2"}


async def test_a_known_message_carries_its_send_and_its_edits_sent_or_on_the_wire(session: AsyncSession) -> None:
    await row(session, card("#1", "t:confirm:1"), OutboxStatus.SENT, message_id="10", ref_key="ticket:1")
    await row(
        session,
        EditPayload("#1 ✓", card("", "t:assign:1").buttons, ref_key="ticket:1"),
        OutboxStatus.SENT,
        message_id="10",
    )
    await row(session, EditPayload("#1 →", card("", "t:take:1").buttons, ref_key="ticket:1"), OutboxStatus.SENDING)
    await row(session, EditPayload("#1 …", card("", "t:done:1").buttons, message_id="10"), OutboxStatus.SENDING)
    await row(session, card("#2", "t:confirm:2"), OutboxStatus.SENT, message_id="12", ref_key="ticket:2")
    await row(session, EditPayload("#2 ✓", card("", "t:assign:2").buttons, ref_key="ticket:2"), OutboxStatus.SENDING)
    await row(session, EditPayload("#1 ?", card("", "t:reopen:1").buttons, message_id="10"), OutboxStatus.PENDING)
    assert await issued(session, "10") == {"t:confirm:1", "t:assign:1", "t:take:1", "t:done:1"}
    assert await issued(session, "12") == {"t:confirm:2", "t:assign:2"}
