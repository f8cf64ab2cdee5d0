"""What the composition root wires for WeCom: the API client, the transport and the callback routes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from bot.config import Settings
from bot.db import SessionFactory
from bot.dispatcher import PreparedSink
from bot.wecom.api import WeComApi
from bot.wecom.callbacks import WeComAdapter
from bot.wecom.images import ImageKeeper
from bot.wecom.names import MemberNames
from bot.wecom.transport import WeComTransport
from bot.wecom_crypto import WeComCrypto

Clock = Callable[[], datetime]


@dataclass
class WeComParts:
    """What the composition root wires: the API client (closed on stop), the transport, and the adapter maker."""

    api: WeComApi
    transport: WeComTransport
    names: MemberNames
    settings: Settings
    clock: Clock

    def adapter(self, sink: PreparedSink) -> WeComAdapter:
        """The callback routes for the surfaces these settings configure, feeding `sink` (the dispatcher)."""
        s = self.settings
        app_crypto = (
            WeComCrypto(s.wecom_app_token, s.wecom_app_aes_key, s.wecom_corp_id) if s.wecom_app_enabled else None
        )
        bot_crypto = WeComCrypto(s.wecom_bot_token, s.wecom_bot_aes_key, "") if s.wecom_bot_enabled else None
        return WeComAdapter(
            sink,
            app_crypto=app_crypto,
            bot_crypto=bot_crypto,
            api_base_url=s.wecom_api_base_url,
            clock=self.clock,
            named=self.names.named,
            keeper=ImageKeeper(self.api, bot_crypto, max_bytes=s.wecom_image_max_mb * 1024 * 1024),
            locale=s.locale,
        )


def build_wecom(settings: Settings, sessions: SessionFactory, *, clock: Clock) -> WeComParts:
    """The WeCom API client, transport and adapter maker for these settings."""
    api = WeComApi(
        aiohttp.ClientSession(),
        base_url=settings.wecom_api_base_url,
        corp_id=settings.wecom_corp_id,
        secret=settings.wecom_app_secret,
        agent_id=settings.wecom_agent_id,
    )
    transport = WeComTransport(
        api, sessions, clock=clock, locale=settings.locale, group_limit_per_minute=settings.wecom_robot_per_minute
    )
    return WeComParts(api, transport, MemberNames(api, sessions), settings, clock)
