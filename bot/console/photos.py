"""The console's port to a ticket's photos: the bytes of a platform's photo by the id the ticket keeps. The console
knows no platform; bot/telegram.py implements the port (getFile, then the file download)."""

from __future__ import annotations

from typing import Protocol

PHOTO_MAX_BYTES = 20 * 1024 * 1024  # the Bot API hands out files up to 20 MB
IMAGE_TYPES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class PhotoMissing(Exception):
    """The platform knows no such photo (or will not hand it out): the page answers 404."""


class PhotoUnreachable(Exception):
    """The platform could not be asked or answered badly: the page answers 502."""


class PhotoSource(Protocol):
    async def fetch(self, file_id: str) -> bytes:
        """The photo's bytes; raises PhotoMissing or PhotoUnreachable."""
        ...


def image_type(data: bytes) -> str | None:
    """The content type the bytes' first bytes tell (JPEG, PNG, GIF, WebP), or None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in IMAGE_TYPES if data.startswith(magic)), None)
