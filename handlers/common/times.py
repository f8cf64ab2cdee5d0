"""How times are shown to people: in the community's time zone, in the short forms chats and files use."""

from __future__ import annotations

from datetime import datetime, tzinfo


def local_time(when: datetime, timezone: tzinfo) -> str:
    """11月30日 09:00 — in messages and cards."""
    return when.astimezone(timezone).strftime("%m月%d日 %H:%M")


def local_stamp(when: datetime, timezone: tzinfo) -> str:
    """2026-11-30 09:00 — in exported files."""
    return when.astimezone(timezone).strftime("%Y-%m-%d %H:%M")
