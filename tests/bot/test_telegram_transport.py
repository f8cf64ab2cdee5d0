"""What the outbox sender is told to do about each kind of error Telegram (through PTB) answers, and how a card with a
photo is sent: by Telegram's file id, as an upload of Linli's own copy, or as text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.outbox_sender import Delivery, DeliveryError, Failure, NotModified
from bot.telegram import TelegramTransport, classify_error
from models.payloads import SendPayload
from sandbox.server import LocalBotApi
from sandbox.state import UploadedFile


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


# ---- Linli's own copies of photos (`stored:<id>`), uploaded to the local Bot API ------------------------------------

TOKEN = "123456:transport-photo-token"
GROUP_ID = -1001987650000
JPEG = b"\xff\xd8\xff\xe0" + "楼道照片".encode()


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(token=TOKEN) as server:
        server.group(GROUP_ID, "1号楼业主群")
        yield server


@pytest.fixture
async def ptb_bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


class StoredPhotos:
    """Stands in for the database's copies: their bytes by id, and which ids were read."""

    def __init__(self, photos: dict[int, bytes]) -> None:
        self.photos = photos
        self.read: list[int] = []

    async def __call__(self, photo_id: int) -> bytes | None:
        self.read.append(photo_id)
        return self.photos.get(photo_id)


def card(photo: str) -> Delivery:
    return Delivery("send", str(GROUP_ID), SendPayload(text="📋 工单 #1 · 报修\n📷 1 张照片", photo=photo), None)


async def test_a_stored_photo_is_uploaded_once_and_then_sent_by_the_file_id_telegram_gave(
    api: LocalBotApi, ptb_bot: Bot
) -> None:
    stored = StoredPhotos({12: JPEG})
    transport = TelegramTransport(ptb_bot, stored_photos=stored)
    first, second = await transport.deliver(card("stored:12")), await transport.deliver(card("stored:12"))
    sent = [api.message(GROUP_ID, int(m)).message for m in (first or "", second or "")]
    assert all(m["caption"].startswith("📋 工单 #1") for m in sent)
    assert sent[0]["photo"][-1]["file_id"] == sent[1]["photo"][-1]["file_id"]
    uploads = [c.params["photo"] for c in api.calls_of("sendPhoto")]
    assert isinstance(uploads[0], UploadedFile) and uploads[0].data == JPEG
    assert uploads[1] == sent[0]["photo"][-1]["file_id"]  # by file id: not uploaded again
    assert stored.read == [12]


@pytest.mark.parametrize(
    "photos", [{}, {12: JPEG + bytes(10 * 1024 * 1024)}], ids=["the copy is gone", "over sendPhoto's 10 MB"]
)
async def test_a_stored_photo_telegram_cannot_be_given_leaves_the_card_as_text(
    api: LocalBotApi, ptb_bot: Bot, photos: dict[int, bytes]
) -> None:
    stored = StoredPhotos(photos)
    transport = TelegramTransport(ptb_bot, stored_photos=stored)
    sent = await transport.deliver(card("stored:12"))
    assert api.message(GROUP_ID, int(sent or "")).text == "📋 工单 #1 · 报修\n📷 1 张照片"
    assert api.calls_of("sendPhoto") == []
    again = await transport.deliver(card("stored:12"))  # the next group of a notice: not read again
    assert api.message(GROUP_ID, int(again or "")).text == "📋 工单 #1 · 报修\n📷 1 张照片"
    assert stored.read == [12]


async def test_an_upload_telegram_refuses_as_an_image_goes_as_text_and_another_refusal_stays_a_failure(
    api: LocalBotApi, ptb_bot: Bot
) -> None:
    transport = TelegramTransport(ptb_bot, stored_photos=StoredPhotos({12: b"%PDF-1.7 not an image", 13: JPEG}))
    sent = await transport.deliver(card("stored:12"))
    assert [c.ok for c in api.calls_of("sendPhoto")] == [False]
    assert api.message(GROUP_ID, int(sent or "")).text.startswith("📋 工单 #1")
    again = await transport.deliver(card("stored:12"))  # refused once: not uploaded to be refused again
    assert [c.ok for c in api.calls_of("sendPhoto")] == [False]
    assert api.message(GROUP_ID, int(again or "")).text.startswith("📋 工单 #1")

    gone = Delivery("send", "-1009999999999", card("stored:13").payload, None)  # a chat Telegram does not know
    with pytest.raises(DeliveryError) as failed:
        await transport.deliver(gone)
    assert failed.value.failure is Failure.PERMANENT
    assert api.sent_texts(-1009999999999) == []
