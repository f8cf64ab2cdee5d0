"""Tables and small keyword-only query functions; every table module is imported here for metadata."""

from models import (
    announcements,
    chats,
    events,
    inbox,
    organisations,
    outbox,
    passbook,
    people,
    places,
    reach,
    routes,
    shop,
    tickets,
    updates,
)
from models.base import metadata

__all__ = [
    "announcements",
    "chats",
    "events",
    "inbox",
    "metadata",
    "organisations",
    "outbox",
    "passbook",
    "people",
    "places",
    "reach",
    "routes",
    "shop",
    "tickets",
    "updates",
]
