"""Keeping the images WeCom people send: fetched while WeCom still hands them out (an AI bot image link works five
minutes, an app image's media_id three days), checked to be an image and kept in Linli's own storage
(models/photos.py) in the update's transaction. A failure loses the photo only: the message goes on without it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from bot.console.photos import image_type
from bot.outbox_sender import DeliveryError
from bot.wecom.api import WeComApi
from bot.wecom.mapping import media_id_of
from bot.wecom_crypto import WeComCrypto, WeComCryptoError

log = structlog.get_logger(__name__)
FETCH_TIMEOUT_SECONDS = 2.5  # WeCom waits 5 s for a callback's answer; the name lookup runs alongside (2 s)
BLOCK_SLACK = 32  # an encrypted file is its bytes padded to the next 32 (PKCS#7): at most 32 bytes more
FROM_BOT, FROM_APP = "wecom-bot", "wecom-app"


@dataclass(frozen=True)
class Fetched:
    """An image's bytes ready to be stored, with the type its first bytes tell and where it came from."""

    content: bytes
    content_type: str
    source: str


@dataclass(frozen=True)
class Photos:
    """What a message's images became: each a Fetched image to store or a reference kept as it is (an app image
    whose copy failed: the console can still ask WeCom for it for three days), and how many were lost."""

    found: tuple[Fetched | str, ...] = ()
    lost: int = 0


class ImageProblem(Exception):
    """Why an image could not be kept (for the log: never the link, the key or the bytes)."""


@dataclass
class ImageKeeper:
    """Fetches and checks a message's images within `timeout`, each at most `max_bytes` once decrypted."""

    api: WeComApi
    bot_crypto: WeComCrypto | None
    max_bytes: int
    timeout: float = FETCH_TIMEOUT_SECONDS

    async def photos(self, refs: tuple[str, ...], urls: tuple[str, ...]) -> Photos:
        """Every image of one message at once: the app's media_ids copied, the AI bot's links fetched and decrypted."""
        tries = [*(self._copy(ref) for ref in refs), *(self._fetch(url) for url in urls)]
        results = await asyncio.gather(*tries, return_exceptions=True)
        found: list[Fetched | str] = []
        lost = 0
        for ref, result in zip([*refs, *urls], results, strict=True):
            if isinstance(result, ImageProblem):
                log.warning("wecom.image_not_kept", problem=str(result))
                if media_id_of(ref) is None:
                    lost += 1
                    continue
                found.append(ref)
            elif isinstance(result, BaseException):
                raise result
            else:
                found.append(result)
        return Photos(tuple(found), lost)

    async def _copy(self, ref: str) -> Fetched | str:
        """An app image (`wecom:<media_id>`) fetched from media/get; any other reference is left as it is."""
        media_id = media_id_of(ref)
        if media_id is None:
            return ref
        try:
            data = await asyncio.wait_for(self.api.media(media_id), self.timeout)
        except DeliveryError as error:
            raise ImageProblem(f"media/get: {error.reason}") from None
        except TimeoutError:
            raise ImageProblem("media/get: timed out") from None
        return self._checked(data, FROM_APP)

    async def _fetch(self, url: str) -> Fetched:
        """An AI bot image link: the encrypted file, decrypted with the bot's EncodingAESKey."""
        if self.bot_crypto is None:
            raise ImageProblem("the AI bot is not configured")
        try:
            encrypted = await self.api.download(url, max_bytes=self.max_bytes + BLOCK_SLACK, timeout=self.timeout)
        except DeliveryError as error:
            raise ImageProblem(f"download: {error.reason}") from None
        try:
            data = self.bot_crypto.decrypt_file(encrypted)
        except WeComCryptoError as error:
            raise ImageProblem(f"decrypt: WXBizMsgCrypt {int(error.code)}") from None
        return self._checked(data, FROM_BOT)

    def _checked(self, data: bytes, source: str) -> Fetched:
        """The bytes, if they are an image (JPEG, PNG, GIF, WebP) no bigger than the cap."""
        if len(data) > self.max_bytes:
            raise ImageProblem(f"over {self.max_bytes} bytes ({len(data)})")
        kind = image_type(data)
        if kind is None:
            raise ImageProblem(f"not an image ({len(data)} bytes)")
        return Fetched(data, kind, source)
