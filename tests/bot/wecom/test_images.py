"""Keeping WeCom images, against the local fake WeCom over HTTP: an AI bot image link's encrypted file decrypted with
the bot's EncodingAESKey (checked against an independent AES-256-CBC encryption too), a link past its five minutes,
a link not as issued, a file too big or not an image, an app image copied from media/get; and through the real
callback route, the photo stored with the message and a lost one told to the sender, the text going on."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlmodel import select

from bot.db import SessionFactory
from bot.wecom.api import WeComApi
from bot.wecom.callbacks import APP_CALLBACK_PATH, BOT_CALLBACK_PATH
from bot.wecom.images import FROM_APP, FROM_BOT, Fetched, ImageKeeper, Photos
from bot.wecom.mapping import photo_ref
from bot.wecom_crypto import WeComCrypto, WeComCryptoError
from handlers.common.photos import stored_id_of
from handlers.core.types import IncomingMessage
from models.outbox import OutboxMessage
from models.payloads import SendPayload
from models.photos import StoredPhoto
from sandbox.wecom import APP_CRYPTO, BOT_AES_KEY, BOT_CRYPTO, CORP_ID, IMAGE_LINK_TTL, FakeWeCom, signed_query
from tests.bot.wecom.test_callbacks import Server, json_body, serve

JPEG = b"\xff\xd8\xff\xe0" + "楼道里堆满了纸箱".encode() * 50
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
LIMIT = 4096


class Clock:
    """The fake's clock, moved by the test (five minutes are never slept)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeWeCom]:
    server = FakeWeCom(clock=clock)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def keeper(api: WeComApi) -> ImageKeeper:
    return ImageKeeper(api, BOT_CRYPTO, max_bytes=LIMIT)


def independent_encryption(content: bytes) -> bytes:
    """AES-256-CBC as the official sample describes it, written apart from bot/wecom_crypto.py: key =
    base64(EncodingAESKey + "="), IV = its first 16 bytes, PKCS#7 padding to a multiple of 32."""
    key = base64.b64decode(BOT_AES_KEY + "=")
    pad = 32 - len(content) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return encryptor.update(content + bytes([pad]) * pad) + encryptor.finalize()


def test_a_file_decrypts_as_the_official_rule_encrypts_it_and_a_wrong_size_is_refused() -> None:
    assert BOT_CRYPTO.decrypt_file(independent_encryption(JPEG)) == JPEG
    assert BOT_CRYPTO.encrypt_file(PNG) == independent_encryption(PNG)
    assert len(BOT_CRYPTO.encrypt_file(b"\x00" * 32)) == 64  # a whole block of padding, as PKCS#7 wants
    with pytest.raises(WeComCryptoError, match="multiple of the AES block"):
        BOT_CRYPTO.decrypt_file(independent_encryption(JPEG)[:-1])
    with pytest.raises(WeComCryptoError, match="32 bytes"):
        BOT_CRYPTO.decrypt_file(independent_encryption(JPEG)[:-16])
    other = WeComCrypto("token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "")
    with pytest.raises(WeComCryptoError):
        other.decrypt_file(independent_encryption(JPEG))


async def test_an_image_link_round_trips_through_the_real_crypto_within_its_five_minutes(
    fake: FakeWeCom, keeper: ImageKeeper, clock: Clock
) -> None:
    first, second = fake.image_link(JPEG), fake.image_link(PNG)
    clock.now += IMAGE_LINK_TTL
    photos = await keeper.photos((), (first, second))
    assert photos == Photos((Fetched(JPEG, "image/jpeg", FROM_BOT), Fetched(PNG, "image/png", FROM_BOT)), 0)
    [served] = [c for c in fake.calls if c.query.get("sign") and c.path.endswith(first.split("/")[-1].split("?")[0])]
    assert served.ok


async def test_an_expired_link_a_link_not_as_issued_too_big_or_not_an_image_is_lost_alone(
    fake: FakeWeCom, keeper: ImageKeeper, clock: Clock
) -> None:
    old = fake.image_link(JPEG)
    clock.now += IMAGE_LINK_TTL + 1
    fresh = fake.image_link(JPEG)
    forged = fresh.replace("sign=", "sign=0")
    too_big = fake.image_link(b"\xff\xd8\xff" + b"\x00" * LIMIT)
    not_image = fake.image_link(b"%PDF-1.7 " + b"x" * 100)
    photos = await keeper.photos((), (old, forged, too_big, not_image, fresh))
    assert photos == Photos((Fetched(JPEG, "image/jpeg", FROM_BOT),), 4)
    assert [c.errcode for c in fake.calls] == [403, 403, 0, 0, 0]  # the too big one is refused by its size


async def test_an_app_image_is_copied_from_media_get_and_kept_as_wecoms_when_the_copy_fails(
    fake: FakeWeCom, keeper: ImageKeeper
) -> None:
    media_id = fake.image_received(JPEG)
    photos = await keeper.photos((photo_ref(media_id), photo_ref("media-unknown"), "AgACAgIAAxkBAAIB"), ())
    assert photos == Photos((Fetched(JPEG, "image/jpeg", FROM_APP), photo_ref("media-unknown"), "AgACAgIAAxkBAAIB"), 0)


async def test_a_link_that_does_not_answer_is_lost_without_holding_the_message(fake: FakeWeCom, api: WeComApi) -> None:
    link = fake.image_link(JPEG)
    await fake.stop()
    keeper = ImageKeeper(api, BOT_CRYPTO, max_bytes=LIMIT, timeout=0.5)
    assert await keeper.photos((), (link,)) == Photos((), 1)


@pytest.fixture
async def routes(sessions: SessionFactory, fake: FakeWeCom) -> AsyncIterator[Server]:
    async for running in serve(sessions, APP_CRYPTO, BOT_CRYPTO, fake.base_url):
        yield running


def mixed(text: str, *urls: str) -> dict[str, object]:
    """A group @mention with images, as the AI bot delivers it (图文混排: the text and image items in order)."""
    items = [{"msgtype": "text", "text": {"content": text}}, *({"msgtype": "image", "image": {"url": u}} for u in urls)]
    return {
        "msgid": f"m-{len(urls)}-{text}",
        "aibotid": "aib",
        "chatid": "wrChat",
        "chattype": "group",
        "from": {"userid": "zhangsan"},
        "response_url": "http://127.0.0.1:9/cgi-bin/aibot/response?response_code=abc",
        "msgtype": "mixed",
        "mixed": {"msg_item": items},
    }


async def test_a_group_image_is_stored_with_the_message_and_a_lost_one_told_to_the_sender_once(
    routes: Server, fake: FakeWeCom, sessions: SessionFactory, clock: Clock
) -> None:
    good = fake.image_link(JPEG)
    assert await routes.post(BOT_CALLBACK_PATH, *json_body(BOT_CRYPTO, mixed("@邻里 3单元楼道堆满纸箱", good))) == 200
    [item] = routes.received
    assert isinstance(item, IncomingMessage) and item.text == "3单元楼道堆满纸箱"
    [ref] = item.photos
    async with sessions() as session:
        stored = await session.get(StoredPhoto, stored_id_of(ref))
        assert stored is not None and stored.content == JPEG and stored.content_type == "image/jpeg"
        assert (await session.exec(select(OutboxMessage))).all() == []

    clock.now += IMAGE_LINK_TTL + 1
    for text in ("@邻里 2单元灯坏了", "@邻里 还有1单元"):
        assert await routes.post(BOT_CALLBACK_PATH, *json_body(BOT_CRYPTO, mixed(text, good))) == 200
    assert [(i.text, i.photos) for i in routes.received[1:]] == [("2单元灯坏了", ()), ("还有1单元", ())]  # type: ignore[union-attr]
    async with sessions() as session:
        [notice] = (await session.exec(select(OutboxMessage))).all()
        assert len((await session.exec(select(StoredPhoto))).all()) == 1
    content = notice.content
    assert isinstance(content, SendPayload) and notice.chat_id == "zhangsan" and "1 张图片没能保存" in content.text
    assert content.fallback is not None and content.fallback.chat_id == "g:wrChat"


async def test_an_app_image_reaches_the_features_as_linlis_own_copy(routes: Server, fake: FakeWeCom) -> None:
    media_id = fake.image_received(PNG)
    xml = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        f"<MediaId><![CDATA[{media_id}]]></MediaId><MsgId>9001</MsgId><AgentID>1000002</AgentID></xml>"
    )
    encrypt = APP_CRYPTO.encrypt(xml)
    body = f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    assert await routes.post(APP_CALLBACK_PATH, signed_query(APP_CRYPTO, encrypt), body) == 200
    [item] = routes.received
    assert isinstance(item, IncomingMessage) and item.text == "" and stored_id_of(item.photos[0]) is not None
