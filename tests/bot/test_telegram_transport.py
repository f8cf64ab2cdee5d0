"""What the outbox sender is told to do about each kind of error Telegram (through PTB) answers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.outbox_sender import Delivery, DeliveryError, Failure, NotModified
from bot.telegram import TelegramTransport, classify_error
from models.payloads import SendPayload


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (Forbidden("Forbidden: bot was kicked from the group chat"), Failure.CHAT_GONE),
        (ChatMigrated(-100123), Failure.CHAT_GONE),
        (BadRequest("Bad Request: chat not found"), Failure.PERMANENT),
        (TimedOut(), Failure.UNCERTAIN),
        (NetworkError("connection reset"), Failure.TRANSIENT),
        (TelegramError("something else"), Failure.PERMANENT),
    ],
)
def test_each_error_maps_to_what_the_sender_does(error: TelegramError, failure: Failure) -> None:
    mapped = classify_error(error)
    assert isinstance(mapped, DeliveryError) and mapped.failure is failure and mapped.retry_after == 0.0


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_a_429_carries_how_long_to_wait() -> None:
    mapped = classify_error(RetryAfter(7))
    assert isinstance(mapped, DeliveryError) and mapped.failure is Failure.RETRY_AFTER and mapped.retry_after == 7.0


def test_an_edit_to_what_the_message_already_shows_is_not_a_failure() -> None:
    not_modified = (
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same"
    )
    assert isinstance(classify_error(BadRequest(not_modified)), NotModified)


class RecordingBot:
    """Stands in for PTB's bot: what the transport asked it to send."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    async def send_photo(self, chat_id: int, photo: str, **_: object) -> SimpleNamespace:
        self.calls.append(("send_photo", photo))
        return SimpleNamespace(message_id=7)

    async def send_message(self, chat_id: int, text: str, **_: object) -> SimpleNamespace:
        self.calls.append(("send_message", text))
        return SimpleNamespace(message_id=8)


@pytest.mark.parametrize(
    ("photo", "call"),
    [("AgACAgIAAxkBAAIB", "send_photo"), ("stored:12", "send_message"), ("wecom:media-1", "send_message")],
)
async def test_a_card_with_a_photo_telegram_cannot_send_by_id_goes_as_text(photo: str, call: str) -> None:
    bot = RecordingBot()
    transport = TelegramTransport(bot)  # type: ignore[arg-type]
    payload = SendPayload(text="📋 工单 #1 · 报修\n📷 1 张照片", photo=photo)
    sent = await transport.deliver(Delivery("send", "-1001", payload, None))
    assert [name for name, _ in bot.calls] == [call] and sent == ("7" if call == "send_photo" else "8")
