"""What the outbox sender is told to do about each kind of error Telegram (through PTB) answers."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.outbox_sender import DeliveryError, Failure, NotModified
from bot.telegram import classify_error


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
