"""The console's WeCom photo port against the local fake WeCom API over HTTP: media/get with the app's token (refreshed
when expired), WeCom's 40007 for a media_id it never issued, and any other platform's photo left to that port."""

from __future__ import annotations

import aiohttp
import pytest

from bot.console.photos import PhotoMissing, PhotoUnreachable
from bot.wecom.api import WeComApi
from bot.wecom.mapping import photo_ref
from bot.wecom.photos import WeComPhotos
from sandbox.wecom import FakeWeCom, Media

JPEG = b"\xff\xd8\xff\xe0" + "楼道灯修好了".encode()


class TelegramSide:
    """Stands in for the Telegram port: remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def fetch(self, file_id: str) -> bytes:
        self.asked.append(file_id)
        return b"telegram"


def errcodes(fake: FakeWeCom) -> list[int]:
    return [c.errcode for c in fake.calls if c.path == "/cgi-bin/media/get"]


async def test_a_received_image_is_fetched_by_its_media_id_with_the_token_refreshed_when_expired(
    fake: FakeWeCom, api: WeComApi
) -> None:
    telegram = TelegramSide()
    photos = WeComPhotos(api, telegram)
    media_id = fake.image_received(JPEG)
    assert await photos.fetch(photo_ref(media_id)) == JPEG
    fake.expire_tokens()
    assert await photos.fetch(photo_ref(media_id)) == JPEG
    assert errcodes(fake) == [0, 42001, 0]
    assert await photos.fetch("AgACAgIAAxkBAAIB") == b"telegram"
    assert telegram.asked == ["AgACAgIAAxkBAAIB"] and len(errcodes(fake)) == 3


async def test_a_media_id_wecom_never_issued_or_a_robots_is_missing_and_a_silent_wecom_unreachable(
    fake: FakeWeCom, api: WeComApi
) -> None:
    photos = WeComPhotos(api, TelegramSide())
    with pytest.raises(PhotoMissing, match="40007"):
        await photos.fetch(photo_ref("media-made-up"))
    fake.media["media-robot"] = Media("a.jpg", JPEG, owner="some-robot-key", content_type="image/jpeg")
    with pytest.raises(PhotoMissing, match="40007"):
        await photos.fetch(photo_ref("media-robot"))
    await fake.stop()
    with pytest.raises(PhotoUnreachable):
        await photos.fetch(photo_ref(fake.image_received(JPEG)))


async def test_the_fake_refuses_a_bad_or_missing_token_with_wecoms_errcode_json(fake: FakeWeCom) -> None:
    media_id = fake.image_received(JPEG)
    async with aiohttp.ClientSession() as http:
        for query, errcode in (({"access_token": "made-up"}, 40014), ({}, 41001)):
            async with http.get(f"{fake.base_url}/cgi-bin/media/get", params={"media_id": media_id, **query}) as r:
                assert (await r.json())["errcode"] == errcode
