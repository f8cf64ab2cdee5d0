"""The content type a photo's first bytes tell, for the console's photo route."""

from __future__ import annotations

import pytest

from bot.console.photos import image_type


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"GIF89arest", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"<svg onload=alert(1)>", None),
        (b"", None),
    ],
)
def test_the_first_bytes_tell_the_image_type_and_nothing_else_passes(data: bytes, kind: str | None) -> None:
    assert image_type(data) == kind
