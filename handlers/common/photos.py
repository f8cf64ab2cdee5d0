"""Which photo a ticket's reference names: Linli's own copy (`stored:<id>`, models/photos.py) or a platform's file."""

from __future__ import annotations

from handlers.common.numbers import parse_id
from models.photos import STORED_PREFIX


def stored_id_of(photo: str) -> int | None:
    """The id of a `stored:<id>` reference; None for any platform's photo (or a malformed reference)."""
    return parse_id(photo.removeprefix(STORED_PREFIX)) if photo.startswith(STORED_PREFIX) else None
