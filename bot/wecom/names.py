"""Names for WeCom people: a callback carries a userid and no name, so before a message is dispatched the adapter
asks WeCom's contacts (user/get, with the app's token) for the name of a person Linli does not know by name yet.
Asked once per member; a failed lookup is asked again after a while, and no lookup stops or long delays a message."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

import structlog

from bot.db import SessionFactory
from bot.outbox_sender import DeliveryError
from bot.wecom.api import WeComApi
from bot.wecom.mapping import PLATFORM
from handlers.core.types import IncomingMessage
from models.people import DEFAULT_NAME, stored_name

log = structlog.get_logger(__name__)
LOOKUP_TIMEOUT_SECONDS = 2.0  # WeCom waits 5 s for a callback's answer before it delivers the message again
RETRY_SECONDS = 600.0  # a member whose lookup failed is asked again after this long


def unnamed(stored: str | None, userid: str) -> bool:
    """Whether a person still needs their WeCom name: not seen yet, or known only by their userid or as 邻居."""
    return stored is None or stored in ("", userid, DEFAULT_NAME)


class MemberNames:
    """The WeCom name each sender should carry, kept in memory once known: a person already stored under a real
    name (given by the office, or from Telegram after 关联账号) keeps it and is never looked up."""

    def __init__(self, api: WeComApi, sessions: SessionFactory, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._api, self._sessions, self._clock = api, sessions, clock
        self._names: dict[str, str] = {}  # userid → the name their messages carry ("": keep the stored one)
        self._retry_at: dict[str, float] = {}  # userid → when a failed lookup may be tried again

    async def named(self, incoming: IncomingMessage) -> IncomingMessage:
        """The message with its sender's WeCom name, when one is known or can be learnt now."""
        name = await self.name_of(incoming.sender.platform_user_id)
        return replace(incoming, sender=replace(incoming.sender, display_name=name)) if name else incoming

    async def name_of(self, userid: str) -> str:
        """The member's WeCom name, or "" when the stored name stands or none can be had now."""
        if userid in self._names:
            return self._names[userid]
        if not self._api.has_app or self._clock() < self._retry_at.get(userid, 0.0):
            return ""
        async with self._sessions() as session:
            stored = await stored_name(session, platform=PLATFORM, platform_user_id=userid)
        if not unnamed(stored, userid):
            self._names[userid] = ""
            return ""
        name = await self._look_up(userid)
        if name:
            self._names[userid] = name
        else:
            self._retry_at[userid] = self._clock() + RETRY_SECONDS
        return name

    async def _look_up(self, userid: str) -> str:
        """user/get within LOOKUP_TIMEOUT_SECONDS; "" when WeCom gives no name, refuses, or does not answer in time."""
        try:
            return await asyncio.wait_for(self._api.member_name(userid), LOOKUP_TIMEOUT_SECONDS)
        except DeliveryError as error:
            log.info("wecom.name_unknown", reason=error.reason)
        except TimeoutError:
            log.info("wecom.name_unknown", reason="timed out waiting for WeCom")
        return ""
