"""The composition root: builds every long-lived object once, starts them in order, stops them in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import httpx
import structlog
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import ConfigError, Settings
from bot.console.photos import PhotoSource
from bot.console.routes import mount_console
from bot.db import SessionFactory, create_engine, session_factory
from bot.dispatcher import Dispatcher
from bot.inbox import InboxProcessor
from bot.intake import arrival_of_body
from bot.locks import ChatTurns, Leadership, LockHolder
from bot.logs import RefusalCounter, failure
from bot.outbox_sender import OutboxSender, Transport
from bot.outbox_signal import OutboxAnnouncer, OutboxListener
from bot.polling import Poller
from bot.scheduler import SWEEP_LEADER, Sweeper
from bot.telegram import (
    ALLOWED_UPDATES,
    StoredPhotoBytes,
    TelegramAdapter,
    TelegramPhotos,
    TelegramTransport,
    build_application,
    requests_at_once,
)
from bot.web import (
    WEBHOOK_PATH,
    Health,
    Readiness,
    add_health_routes,
    build_web_app,
    start_site,
    webhook_handler,
)
from handlers.core.assembly import assemble, menu_entries
from handlers.core.context import FeatureConfig
from handlers.core.feature import Feature
from handlers.features import FEATURES
from models.base import remember_default_factory_signatures
from models.photos import stored_photo
from nlp.classifier import default_classifier

if TYPE_CHECKING:
    from bot.wecom.app import WeComParts

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProcessRole(StrEnum):
    """What a process does (`python -m bot run --role …`); any number of each may share one PostgreSQL database."""

    WEB = "web"  # intake: the Telegram webhook (or long polling, led by one), WeCom callbacks, the console
    WORKER = "worker"  # processes the inbox, each chat's updates in order, chats spread over the workers
    SENDER = "sender"  # delivers the outbox within the platforms' limits, booked in the database
    SWEEPER = "sweeper"  # the timers (reminders, escalations, retention …), run by one leader at a time
    ALL = "all"  # everything in one process: the default, and the only choice on SQLite


EVERY_ROLE = frozenset({ProcessRole.WEB, ProcessRole.WORKER, ProcessRole.SENDER, ProcessRole.SWEEPER})
POLLING_LEADER = 2  # the long-polling leadership lock (models/locks.py): getUpdates has one consumer
LEADER_RETRY_SECONDS = 5.0


def roles_of(role: ProcessRole) -> frozenset[ProcessRole]:
    return EVERY_ROLE if role is ProcessRole.ALL else frozenset({role})


@dataclass
class Runtime:
    """Everything running in one bot process; `stop()` stops it in the reverse order of starting and leaves the
    outbox consistent."""

    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    web_port: int
    readiness: Readiness
    parts: AsyncExitStack
    sender: OutboxSender | None = None
    sweeper: Sweeper | None = None

    async def stop(self) -> None:
        self.readiness.ready = False
        await self.parts.aclose()
        log.info("linli.stopped")


async def start_runtime(
    settings: Settings,
    *,
    role: ProcessRole = ProcessRole.ALL,
    clock: Clock = utc_now,
    token: str | None = None,
    base_url: str | None = None,
    web_app: web.Application | None = None,
    extras: list[Any] | None = None,
    poll_seconds: float = 1.0,
    sweep: bool = True,
    features: tuple[Feature, ...] = FEATURES,
) -> Runtime:
    """Start the parts of `role` against the Bot API at `base_url` (the sandbox and tests pass their local server).
    If a part fails to start, those already started are stopped."""
    remember_default_factory_signatures()
    parts = AsyncExitStack()
    try:
        return await start_parts(
            parts,
            settings,
            roles_of(role),
            role=role,
            clock=clock,
            token=token,
            base_url=base_url,
            web_app=web_app,
            extras=extras or [],
            poll_seconds=poll_seconds,
            sweep=sweep,
            features=features,
        )
    except BaseException:
        await parts.aclose()
        raise


async def start_parts(
    parts: AsyncExitStack,
    settings: Settings,
    roles: frozenset[ProcessRole],
    *,
    role: ProcessRole,
    clock: Clock,
    token: str | None,
    base_url: str | None,
    web_app: web.Application | None,
    extras: list[Any],
    poll_seconds: float,
    sweep: bool,
    features: tuple[Feature, ...],
) -> Runtime:
    engine = create_engine(settings.database_url)
    parts.push_async_callback(engine.dispose)
    for extra in extras:
        parts.push_async_callback(extra.stop)
    postgres = engine.dialect.name == "postgresql"
    if roles != EVERY_ROLE and not postgres:
        raise ConfigError(SQLITE_ROLES)
    sessions = session_factory(engine)
    webhook = bool(settings.telegram_webhook_url)
    tls = httpx.create_ssl_context()  # one for every connection to the Bot API: loading the CA bundle costs ~20 ms
    application = build_application(
        token=token or settings.telegram_bot_token,
        base_url=base_url or settings.telegram_api_base_url,
        tls=tls,
    )
    await application.initialize()
    parts.push_async_callback(application.shutdown)
    me = application.bot.bot
    wecom = start_wecom(settings, sessions)
    if wecom is not None:
        parts.push_async_callback(wecom.api.close)
    alive: dict[str, Callable[[], bool]] = {}

    sender = None
    if ProcessRole.SENDER in roles:
        transports: dict[str, Transport] = {
            "telegram": TelegramTransport(
                application.bot, settings.group_rate_per_minute, stored_photos=stored_photo_reader(sessions)
            )
        }
        if wecom is not None:
            transports["wecom"] = wecom.transport
        sender = OutboxSender(
            sessions=sessions,
            transports=transports,
            clock=utc_now,
            bot_rate_per_second=settings.bot_rate_per_second,
            max_attempts=settings.outbox_max_attempts,
            liveness=LockHolder(engine) if postgres else None,
            poll_seconds=poll_seconds,
        )
        await sender.start()
        parts.push_async_callback(sender.stop)
        alive["sender"] = lambda: sender.alive
        if postgres:
            listener = OutboxListener(engine, sender.wake)
            listener.start()
            parts.push_async_callback(listener.stop)
    on_outbox = outbox_written_signal(parts, engine, sender, roles)

    assembly = None
    if roles & {ProcessRole.WEB, ProcessRole.WORKER, ProcessRole.SWEEPER}:
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

    sweeper = None
    if ProcessRole.SWEEPER in roles:
        assert assembly is not None
        sweeper = Sweeper(
            sessions=sessions,
            sweeps=assembly.sweeps,
            config=assembly.config,
            clock=clock,
            on_outbox=on_outbox,
            leadership=Leadership(engine, "sweeper", SWEEP_LEADER) if postgres else None,
        )
        if sweep:
            sweeper.start(settings.sweep_seconds)
        parts.push_async_callback(sweeper.stop)

    dispatcher = inbox = None
    if roles & {ProcessRole.WEB, ProcessRole.WORKER}:
        assert assembly is not None
        dispatcher = Dispatcher(
            sessions=sessions, router=assembly.router, config=assembly.config, clock=clock, on_outbox=on_outbox
        )
        adapter = TelegramAdapter(application)
        inbox = InboxProcessor(
            sessions=sessions,
            dispatcher=dispatcher,
            read=adapter.read,
            clock=utc_now,
            max_attempts=settings.inbox_max_attempts,
            poll_seconds=poll_seconds,
            turns=ChatTurns(engine) if postgres else None,
        )
        if ProcessRole.WORKER in roles:
            inbox.start()
            parts.push_async_callback(inbox.stop)
            alive["worker"] = lambda: inbox.alive

    readiness = Readiness(sessions)
    health = Health(
        sessions,
        alive,
        (lambda: dispatcher.last_update_at) if dispatcher is not None else (lambda: None),
        clock,
        reads_all_group_messages=bool(me.can_read_all_group_messages),
        role=role.value,
        leading=(lambda: sweeper.leading) if sweeper is not None else None,
    )
    app = web_app or build_web_app()
    add_health_routes(app, health, readiness)
    if ProcessRole.WEB in roles:
        assert assembly is not None and dispatcher is not None and inbox is not None
        refusals = RefusalCounter("webhook.refused")
        parts.callback(refusals.close)
        mount_console(
            app,
            sessions=sessions,
            config=assembly.config,
            clock=clock,
            on_outbox=on_outbox,
            photos=photo_port(TelegramPhotos(application.bot), wecom),
        )
        if webhook:
            store = inbox.store

            async def accept(body: bytes) -> None:
                await store([arrival_of_body(me.id, body, utc_now())])

            app.router.add_post(WEBHOOK_PATH, webhook_handler(settings.telegram_webhook_secret, accept, refusals))
        if wecom is not None:
            wecom.adapter(dispatcher.handle).add_routes(app)
    web_runner, web_port = await start_site(app, settings.web_host, settings.web_port)
    parts.push_async_callback(web_runner.cleanup)

    if ProcessRole.WEB in roles:
        assert assembly is not None and inbox is not None
        menu = adapter.set_commands(menu_entries(assembly))
        if webhook:
            hook = application.bot.set_webhook(
                settings.telegram_webhook_url,
                secret_token=settings.telegram_webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            await requests_at_once(menu, hook)
        else:
            await requests_at_once(menu, application.bot.delete_webhook())
            poller = Poller(
                api_url=application.bot.base_url,
                bot_id=me.id,
                store=inbox.store,
                clock=utc_now,
                allowed_updates=ALLOWED_UPDATES,
                tls=tls,
            )
            leadership = Leadership(engine, "polling", POLLING_LEADER) if postgres else None
            leading = asyncio.create_task(poll_when_leading(poller, leadership), name="polling-leader")
            parts.push_async_callback(stop_polling, leading, poller, leadership)
    await application.start()
    parts.push_async_callback(application.stop)
    readiness.ready = True
    mode = "webhook" if webhook else "polling"
    log.info("linli.started", bot=me.username, role=role.value, mode=mode, web_port=web_port)
    return Runtime(settings, engine, sessions, web_port, readiness, parts, sender, sweeper)


def start_wecom(settings: Settings, sessions: SessionFactory) -> WeComParts | None:
    """WeCom's parts when it is configured; its modules (the callbacks, their XML and crypto) load only then."""
    if not settings.wecom_enabled:
        return None
    from bot.wecom.app import build_wecom

    return build_wecom(settings, sessions, clock=utc_now)


def photo_port(telegram: PhotoSource, wecom: WeComParts | None) -> PhotoSource:
    """Where the console fetches a ticket's photos: Telegram's, and WeCom's too when WeCom is on."""
    if wecom is None:
        return telegram
    from bot.wecom.photos import WeComPhotos

    return WeComPhotos(wecom.api, telegram)


SQLITE_ROLES = (
    "SQLite 只能由一个进程使用：请用 --role all，或改用 PostgreSQL 分开运行各角色 / "
    "SQLite serves one process: run --role all (the default), or use PostgreSQL to run the roles apart"
)


def stored_photo_reader(sessions: SessionFactory) -> StoredPhotoBytes:
    """The Telegram transport's way to Linli's own copies of photos: one short read of the database each."""

    async def read(photo_id: int) -> bytes | None:
        async with sessions() as session:
            stored = await stored_photo(session, photo_id=photo_id)
            return stored.content if stored is not None else None

    return read


def outbox_written_signal(
    parts: AsyncExitStack, engine: AsyncEngine, sender: OutboxSender | None, roles: frozenset[ProcessRole]
) -> Callable[[], None]:
    """What the code that commits outbox rows calls after the commit: wake this process's sender at once and, on
    PostgreSQL where senders may run elsewhere, announce the rows to them (decision 0020: senders wake up)."""
    wakes: list[Callable[[], None]] = [sender.wake] if sender is not None else []
    if engine.dialect.name == "postgresql" and roles & {ProcessRole.WEB, ProcessRole.WORKER, ProcessRole.SWEEPER}:
        announcer = OutboxAnnouncer(engine)
        announcer.start()
        parts.push_async_callback(announcer.stop)
        wakes.append(announcer.announce)

    def written() -> None:
        for wake in wakes:
            wake()

    return written


async def poll_when_leading(poller: Poller, leadership: Leadership | None) -> None:
    """Long polling has one consumer: poll once this process leads it (at once on SQLite), asking again every few
    seconds, so another web process takes over when the leader dies."""
    if leadership is not None:
        while not await leader_or_none(leadership):  # noqa: ASYNC110 - the lock is another process's to give up
            await asyncio.sleep(LEADER_RETRY_SECONDS)
    poller.start()


async def leader_or_none(leadership: Leadership) -> bool:
    try:
        return await leadership.leads()
    except Exception as error:
        log.warning("polling.leader_unknown", **failure(error))
        return False


async def stop_polling(leading: asyncio.Task[None], poller: Poller, leadership: Leadership | None) -> None:
    leading.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await leading
    await poller.stop()
    if leadership is not None:
        await leadership.stop()


def freeze_start_up_heap() -> None:
    """What start-up built (the classifier's dictionary, the mapped classes, the features) lives as long as the
    process: keep it out of the garbage collector's scans, which would otherwise walk all of it on every full
    collection while updates are processed (decision 0019). The start-up's garbage is collected first, and the
    collector resumes if `python -m bot run` kept it resting during the start (decision 0027)."""
    gc.collect()
    gc.freeze()
    gc.enable()


async def run_until_signal(runtime: Runtime) -> None:
    """Serve until SIGTERM/SIGINT, then finish the update in hand and stop cleanly."""
    freeze_start_up_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("linli.stopping")
    await runtime.stop()
