"""Turn neutral effects into outbox rows inside the caller's transaction."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from handlers.core.types import AnswerCallback, Edit, Effect, Keyboard, Send, SendDocument
from models.base import AsyncSession
from models.outbox import OutboxAction, OutboxMessage, sent_message_id


def keyboard_payload(buttons: Keyboard) -> list[list[dict[str, str]]]:
    return [
        [{k: v for k, v in (("text", b.text), ("data", b.data), ("url", b.url)) if v} for b in row] for row in buttons
    ]


def document_payload(filename: str, content: bytes) -> dict[str, str]:
    return {"filename": filename, "base64": base64.b64encode(content).decode("ascii")}


async def outbox_row(session: AsyncSession, effect: Effect) -> OutboxMessage | None:
    """The row for one effect; an edit of an unknown message yields nothing."""
    payload: dict[str, Any]
    if isinstance(effect, Send):
        payload = {"text": effect.text, "buttons": keyboard_payload(effect.buttons)}
        if effect.reply_to_message_id:
            payload["reply_to"] = effect.reply_to_message_id
        if effect.photo:
            payload["photo"] = effect.photo
        return OutboxMessage(
            platform=effect.platform,
            chat_id=effect.chat_id,
            action=OutboxAction.SEND,
            payload=payload,
            ref_key=effect.ref_key,
            dedupe_key=effect.dedupe_key,
        )
    if isinstance(effect, SendDocument):
        return OutboxMessage(
            platform=effect.platform,
            chat_id=effect.chat_id,
            action=OutboxAction.SEND,
            payload={"text": effect.caption, "document": document_payload(effect.filename, effect.content)},
            dedupe_key=effect.dedupe_key,
        )
    if isinstance(effect, Edit):
        payload = {"text": effect.text, "buttons": keyboard_payload(effect.buttons)}
        chat_id, platform = effect.chat_id, effect.platform
        if effect.ref_key is not None:
            target = await sent_message_id(session, ref_key=effect.ref_key)
            if target is None:
                return None
            chat_id, platform, payload["ref_key"] = target[0], target[2], effect.ref_key
        else:
            payload["message_id"] = effect.message_id
        assert chat_id is not None
        return OutboxMessage(platform=platform, chat_id=chat_id, action=OutboxAction.EDIT, payload=payload)
    assert isinstance(effect, AnswerCallback)
    payload = {"callback_id": effect.callback_id, "text": effect.text, "alert": effect.alert}
    return OutboxMessage(
        platform=effect.platform,
        chat_id=effect.chat_id,
        action=OutboxAction.ANSWER,
        payload=payload,
    )


async def enqueue(session: AsyncSession, effects: Iterable[Effect]) -> int:
    """Write every effect to the outbox; returns how many rows were added."""
    added = 0
    for effect in effects:
        row = await outbox_row(session, effect)
        if row is not None:
            session.add(row)  # autoflush makes it visible to a later edit's ref_key lookup
            added += 1
    return added
