"""The console's photo port for photos the WeCom app received: the bytes by media_id from media/get (WeCom keeps an
image a member sent three days); every other platform's photo goes to that platform's port."""

from __future__ import annotations

from bot.console.photos import PHOTO_MAX_BYTES, PhotoMissing, PhotoSource, PhotoUnreachable
from bot.outbox_sender import DeliveryError
from bot.wecom.api import WeComApi, WeComError
from bot.wecom.mapping import media_id_of

ERR_INVALID_MEDIA = 40007  # an unknown media_id, or one past its three days


class WeComPhotos:
    """WeCom photos (`wecom:<media_id>`) from media/get; any other reference from `other` (Telegram's getFile)."""

    def __init__(self, api: WeComApi, other: PhotoSource) -> None:
        self._api, self._other = api, other

    async def fetch(self, file_id: str) -> bytes:
        media_id = media_id_of(file_id)
        if media_id is None:
            return await self._other.fetch(file_id)
        try:
            data = await self._api.media(media_id)
        except WeComError as error:
            if error.errcode == ERR_INVALID_MEDIA:
                raise PhotoMissing(error.reason) from error
            raise PhotoUnreachable(error.reason) from error
        except DeliveryError as error:
            raise PhotoUnreachable(error.reason) from error
        if len(data) > PHOTO_MAX_BYTES:
            raise PhotoMissing("over 20 MB")
        return data
