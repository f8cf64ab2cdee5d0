"""The composition root: builds every long-lived object once, starts them in order, stops them in reverse."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.console.web import mount_console
from bot.db import SessionFactory, create_engine, session_factory
from bot.dispatcher import Dispatcher
from bot.inbox import InboxProcessor
from bot.intake import arrival_of_body
from bot.logs import RefusalCounter
from bot.outbox_sender import OutboxSender, Transport
from bot.polling import Poller
from bot.scheduler import Sweeper
from bot.telegram import ALLOWED_UPDATES, TelegramAdapter, TelegramTransport, build_application
from bot.web import WEBHOOK_PATH, Health, add_health_route, build_web_app, start_site, webhook_handler
from bot.wecom.api import WeComApi
from bot.wecom.app import build_wecom
from handlers.core.assembly import assemble, menu_entries
from handlers.core.context import FeatureConfig
from handlers.core.feature import Feature
from handlers.features import FEATURES
from nlp.classifier import default_classifier

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Everything running for one bot process; `stop()` leaves the outbox consistent."""

    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    adapter: TelegramAdapter
    dispatcher: Dispatcher
    sender: OutboxSender
    web_runner: web.AppRunner
    web_port: int
    sweeper: Sweeper
    inbox: InboxProcessor
    refusals: RefusalCounter
    poller: Poller | None = None
    extras: list[Any] = field(default_factory=list)
    wecom: WeComApi | None = None

    async def stop(self) -> None:
        app = self.adapter.application
        if self.poller is not None:
            await self.poller.stop()
        await self.web_runner.cleanup()
        self.refusals.close()
        await self.inbox.stop()
        self.sweeper.stop()
        if app.running:
            await app.stop()
        await self.sender.stop()
        if self.wecom is not None:
            await self.wecom.close()
        await app.shutdown()
        for extra in reversed(self.extras):
            await extra.stop()
        await self.engine.dispose()
        log.info("linli.stopped")


async def start_runtime(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    token: str | None = None,
    base_url: str | None = None,
    web_app: web.Application | None = None,
    extras: list[Any] | None = None,
    poll_seconds: float = 1.0,
    sweep: bool = True,
    features: tuple[Feature, ...] = FEATURES,
) -> Runtime:
    """Start the bot against the Bot API at `base_url` (the sandbox and tests pass their local server)."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    webhook = bool(settings.telegram_webhook_url)
    application = build_application(
        token=token or settings.telegram_bot_token,
        base_url=base_url or settings.telegram_api_base_url,
    )
    await application.initialize()
    me = application.bot.bot
    transports: dict[str, Transport] = {"telegram": TelegramTransport(application.bot, settings.group_rate_per_minute)}
    wecom = build_wecom(settings, sessions, clock=utc_now) if settings.wecom_enabled else None
    if wecom is not None:
        transports["wecom"] = wecom.transport
    sender = OutboxSender(
        sessions=sessions,
        transports=transports,
        clock=utc_now,
        bot_rate_per_second=settings.bot_rate_per_second,
        max_attempts=settings.outbox_max_attempts,
        lock_rows=engine.dialect.name == "postgresql",
        poll_seconds=poll_seconds,
    )
    classifier = default_classifier()
    base = FeatureConfig(
        bot_username=me.username or "",
        reads_all_group_messages=bool(me.can_read_all_group_messages),
        default_locale=settings.locale,
        timezone=settings.tz,
        classify=classifier.classify,
        object_words=classifier.rules.term_words(),
    )
    assembly = assemble(features, base=base, env=settings)
    dispatcher = Dispatcher(
        sessions=sessions, router=assembly.router, config=assembly.config, clock=clock, on_outbox=sender.wake
    )
    adapter = TelegramAdapter(application)
    inbox = InboxProcessor(
        sessions=sessions,
        dispatcher=dispatcher,
        read=adapter.read,
        clock=utc_now,
        max_attempts=settings.inbox_max_attempts,
        poll_seconds=poll_seconds,
        postgres=engine.dialect.name == "postgresql",
    )
    await adapter.set_commands(menu_entries(assembly))
    await sender.start()
    sweeper = Sweeper(
        sessions=sessions,
        sweeps=assembly.sweeps,
        config=assembly.config,
        clock=clock,
        on_outbox=sender.wake,
        postgres=engine.dialect.name == "postgresql",
    )
    if sweep:
        sweeper.start(settings.sweep_seconds)

    inbox.start()

    health = Health(
        sessions,
        lambda: sender.alive,
        lambda: dispatcher.last_update_at,
        clock,
        reads_all_group_messages=bool(me.can_read_all_group_messages),
    )
    app = web_app or build_web_app()
    add_health_route(app, health)
    refusals = RefusalCounter("webhook.refused")
    mount_console(app, sessions=sessions, config=assembly.config, clock=clock, on_outbox=sender.wake)
    if webhook:

        async def accept(body: bytes) -> None:
            await inbox.store([arrival_of_body(me.id, body, utc_now())])

        app.router.add_post(WEBHOOK_PATH, webhook_handler(settings.telegram_webhook_secret, accept, refusals))
    if wecom is not None:
        wecom.adapter(dispatcher.handle).add_routes(app)
    web_runner, web_port = await start_site(app, settings.web_host, settings.web_port)

    if webhook:
        await application.bot.set_webhook(
            settings.telegram_webhook_url,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        poller = None
    else:
        await application.bot.delete_webhook()
        poller = Poller(
            api_url=application.bot.base_url,
            bot_id=me.id,
            store=inbox.store,
            clock=utc_now,
            allowed_updates=ALLOWED_UPDATES,
        )
        poller.start()
    await application.start()
    log.info("linli.started", bot=me.username, mode="webhook" if webhook else "polling", web_port=web_port)
    return Runtime(
        settings,
        engine,
        sessions,
        adapter,
        dispatcher,
        sender,
        web_runner,
        web_port,
        sweeper,
        inbox,
        refusals,
        poller,
        extras or [],
        wecom.api if wecom is not None else None,
    )


async def run_until_signal(runtime: Runtime) -> None:
    """Serve until SIGTERM/SIGINT, then finish the update in hand and stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("linli.stopping")
    await runtime.stop()
