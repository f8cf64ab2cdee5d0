"""Turn neutral effects into outbox rows inside the caller's transaction: each effect becomes its typed payload
(models/payloads.py), the one form every transport reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from handlers.core.types import AnswerCallback, Edit, Effect, Keyboard, Send, SendDocument
from models.base import AsyncSession
from models.outbox import add_outbox_rows, outbox_values, sent_message_ids
from models.payloads import (
    AnswerPayload,
    Attachment,
    EditPayload,
    FallbackPayload,
    SendPayload,
    StoredButton,
    StoredKeyboard,
)


def stored_keyboard(buttons: Keyboard) -> StoredKeyboard:
    return tuple(tuple(StoredButton(b.text, b.data, b.url) for b in row) for row in buttons)


def fallback_payload(fallback: Send | None) -> FallbackPayload | None:
    if fallback is None:
        return None
    buttons = stored_keyboard(fallback.buttons)
    return FallbackPayload(fallback.chat_id, fallback.text, buttons, fallback.reply_to_message_id or None)


Targets = dict[str, tuple[str, str]]
"""The chat and platform of the newest send row of each name an edit may use."""


def outbox_row(effect: Effect, targets: Targets) -> dict[str, Any] | None:
    """The row for one effect (`outbox_values`); an edit of an unknown message yields nothing."""
    if isinstance(effect, Send):
        content = SendPayload(
            effect.text,
            stored_keyboard(effect.buttons),
            effect.reply_to_message_id or None,
            effect.photo or None,
            fallback=fallback_payload(effect.fallback),
        )
        return outbox_values(
            platform=effect.platform,
            chat_id=effect.chat_id,
            content=content,
            ref_key=effect.ref_key,
            dedupe_key=effect.dedupe_key,
            bulk=effect.bulk,
        )
    if isinstance(effect, SendDocument):
        document = SendPayload(effect.caption, document=Attachment(effect.filename, effect.content))
        return outbox_values(
            platform=effect.platform, chat_id=effect.chat_id, content=document, dedupe_key=effect.dedupe_key
        )
    if isinstance(effect, Edit):
        return edit_row(effect, targets)
    assert isinstance(effect, AnswerCallback)
    answer = AnswerPayload(effect.callback_id, effect.text, effect.alert)
    return outbox_values(platform=effect.platform, chat_id=effect.chat_id, content=answer)


def edit_row(edit: Edit, targets: Targets) -> dict[str, Any] | None:
    """An edit by `ref_key` goes to the chat and platform of the send row so named (nothing if there is none)."""
    buttons = stored_keyboard(edit.buttons)
    if edit.ref_key is None:
        assert edit.chat_id is not None
        content = EditPayload(edit.text, buttons, message_id=edit.message_id)
        return outbox_values(platform=edit.platform, chat_id=edit.chat_id, content=content)
    target = targets.get(edit.ref_key)
    if target is None:
        return None
    chat_id, platform = target
    return outbox_values(platform=platform, chat_id=chat_id, content=EditPayload(edit.text, buttons, edit.ref_key))


async def enqueue(session: AsyncSession, effects: Iterable[Effect]) -> int:
    """Write every effect to the outbox, in one statement, in their order; returns how many rows were added. The
    sends the edits name are looked up in one query (rows written before in this transaction included); a send among
    these effects is the newest of its name for the edits after it."""
    effects = list(effects)
    names = {e.ref_key for e in effects if isinstance(e, Edit) and e.ref_key is not None}
    sent = await sent_message_ids(session, ref_keys=names) if names else {}
    targets = {name: (chat_id, platform) for name, (chat_id, _, platform) in sent.items()}
    rows = []
    for effect in effects:
        row = outbox_row(effect, targets)
        if row is None:
            continue
        rows.append(row)
        if isinstance(effect, Send) and effect.ref_key is not None:
            targets[effect.ref_key] = (row["chat_id"], row["platform"])
    await add_outbox_rows(session, rows)
    return len(rows)
