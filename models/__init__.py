"""Tables and small keyword-only query functions; every table module is imported here for metadata."""

from models import (
    announcements,
    chats,
    console,
    events,
    outbox,
    passbook,
    people,
    places,
    routes,
    shop,
    tickets,
    updates,
)
from models.base import metadata

__all__ = [
    "announcements",
    "chats",
    "console",
    "events",
    "metadata",
    "outbox",
    "passbook",
    "people",
    "places",
    "routes",
    "shop",
    "tickets",
    "updates",
]
