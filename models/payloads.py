"""What an outbox row carries, typed: one codec between the payload a transport delivers and the JSON the row
stores. Effects become payloads in handlers/core/outbox.py; every transport and query reads them through here, never
the stored dict.

The stored JSON is the same as before the codec (rows queued by an older version deliver unchanged):
send `{"text", "buttons"[, "reply_to"][, "photo"]}` or `{"text", "document": {"filename", "base64"}}`,
edit `{"text", "buttons", "ref_key" | "message_id"}`, answer `{"callback_id", "text", "alert"}`."""

import base64
from dataclasses import dataclass
from typing import Any

SEND, EDIT, ANSWER = "send", "edit", "answer"


@dataclass(frozen=True)
class StoredButton:
    """A button as a row keeps it: a label and either callback data or a link."""

    text: str
    data: str = ""
    url: str = ""


StoredKeyboard = tuple[tuple[StoredButton, ...], ...]


@dataclass(frozen=True)
class Attachment:
    """A file (an export) small enough to ride in the row."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class FallbackPayload:
    """Where a private send goes when the platform refuses it (the person never opened the chat): a group message."""

    chat_id: str
    text: str
    buttons: StoredKeyboard = ()
    reply_to: str | None = None

    def as_send(self) -> "SendPayload":
        return SendPayload(self.text, self.buttons, self.reply_to)


@dataclass(frozen=True)
class SendPayload:
    text: str
    buttons: StoredKeyboard = ()
    reply_to: str | None = None
    photo: str | None = None
    document: Attachment | None = None
    fallback: FallbackPayload | None = None


@dataclass(frozen=True)
class EditPayload:
    """New text and buttons for a message named by `ref_key` (a send row's name) or by its platform `message_id`."""

    text: str
    buttons: StoredKeyboard = ()
    ref_key: str | None = None
    message_id: str | None = None

    @property
    def target(self) -> str:
        return str(self.ref_key or self.message_id)


@dataclass(frozen=True)
class AnswerPayload:
    callback_id: str
    text: str = ""
    alert: bool = False


Payload = SendPayload | EditPayload | AnswerPayload


def action_of(payload: Payload) -> str:
    if isinstance(payload, SendPayload):
        return SEND
    return EDIT if isinstance(payload, EditPayload) else ANSWER


def encode(payload: Payload) -> dict[str, Any]:
    """The JSON a row stores for this payload."""
    if isinstance(payload, AnswerPayload):
        return {"callback_id": payload.callback_id, "text": payload.text, "alert": payload.alert}
    if isinstance(payload, SendPayload) and payload.document is not None:
        return {"text": payload.text, "document": document_json(payload.document)}
    stored: dict[str, Any] = {"text": payload.text, "buttons": keyboard_json(payload.buttons)}
    if isinstance(payload, SendPayload):
        stored |= {k: v for k, v in (("reply_to", payload.reply_to), ("photo", payload.photo)) if v}
        if payload.fallback is not None:
            stored["fallback"] = fallback_json(payload.fallback)
    elif payload.ref_key is not None:
        stored["ref_key"] = payload.ref_key
    else:
        stored["message_id"] = payload.message_id
    return stored


def decode(action: str, stored: dict[str, Any]) -> Payload:
    """The payload a row of this action stores."""
    if action == ANSWER:
        return AnswerPayload(str(stored["callback_id"]), str(stored.get("text") or ""), bool(stored.get("alert")))
    buttons = keyboard_of(stored.get("buttons") or [])
    if action == EDIT:
        ref_key, message_id = stored.get("ref_key"), stored.get("message_id")
        return EditPayload(
            str(stored.get("text", "")),
            buttons,
            str(ref_key) if ref_key is not None else None,
            str(message_id) if message_id is not None else None,
        )
    document, fallback = stored.get("document"), stored.get("fallback")
    return SendPayload(
        str(stored.get("text", "")),
        buttons,
        str(stored["reply_to"]) if stored.get("reply_to") else None,
        str(stored["photo"]) if stored.get("photo") else None,
        Attachment(str(document["filename"]), base64.b64decode(document["base64"])) if document else None,
        fallback_of(fallback) if fallback else None,
    )


def fallback_json(fallback: FallbackPayload) -> dict[str, Any]:
    stored: dict[str, Any] = {
        "chat_id": fallback.chat_id,
        "text": fallback.text,
        "buttons": keyboard_json(fallback.buttons),
    }
    return stored | ({"reply_to": fallback.reply_to} if fallback.reply_to else {})


def fallback_of(stored: dict[str, Any]) -> FallbackPayload:
    return FallbackPayload(
        str(stored["chat_id"]),
        str(stored.get("text", "")),
        keyboard_of(stored.get("buttons") or []),
        str(stored["reply_to"]) if stored.get("reply_to") else None,
    )


def keyboard_json(buttons: StoredKeyboard) -> list[list[dict[str, str]]]:
    return [
        [{k: v for k, v in (("text", b.text), ("data", b.data), ("url", b.url)) if v} for b in row] for row in buttons
    ]


def keyboard_of(rows: list[list[dict[str, str]]]) -> StoredKeyboard:
    return tuple(
        tuple(StoredButton(str(b.get("text", "")), str(b.get("data", "")), str(b.get("url", ""))) for b in row)
        for row in rows
    )


def document_json(document: Attachment) -> dict[str, str]:
    return {"filename": document.filename, "base64": base64.b64encode(document.content).decode("ascii")}
