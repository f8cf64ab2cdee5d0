"""The embedded default: the real bot against a built-in local Bot API server, plus a chat page."""

from __future__ import annotations

from bot.app import Clock, Runtime, start_runtime
from bot.config import Settings
from bot.db import create_engine, session_factory, unit_of_work
from bot.migrate import upgrade_async
from bot.web import build_web_app
from handlers.core.texts import translate
from sandbox.demo import DEMO_CHATS, DEMO_PEOPLE, seed_demo
from sandbox.server import LocalBotApi
from sandbox.web import MAX_PHOTO_BYTES, Persona, SandboxChat, mount_sandbox
from sandbox.world import SandboxWorld, world_path_for

SANDBOX_TOKEN = "100000001:SANDBOX-local-only-token-not-secret"
SANDBOX_BOT_USERNAME = "linli_sandbox_bot"
SANDBOX_MAX_BODY_BYTES = MAX_PHOTO_BYTES + 64 * 1024  # a photo from the page, with its form fields


def personas(locale: str) -> list[Persona]:
    return [
        Persona(
            int(p.platform_user_id),
            p.name,
            translate(locale, f"role.{p.role}") if p.role else "",
            started_bot=p.started_bot,
        )
        for p in DEMO_PEOPLE
    ]


def sandbox_chats() -> list[SandboxChat]:
    return [SandboxChat(int(c.platform_chat_id), c.title, bot_joined=c.bound_to is not None) for c in DEMO_CHATS]


async def seed(settings: Settings, clock: Clock) -> None:
    """Bring the database up to date and put the demo community in it (idempotent)."""
    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            await seed_demo(session, platform="telegram", now=clock())
    finally:
        await engine.dispose()


async def start_sandbox(settings: Settings, *, clock: Clock) -> Runtime:
    """The sandbox on the configured database; its chats and messages go on from the last run (sandbox/world.py)."""
    await seed(settings, clock)
    api = LocalBotApi(token=SANDBOX_TOKEN, bot_username=SANDBOX_BOT_USERNAME, can_read_all_group_messages=True)
    world = SandboxWorld(world_path_for(settings.database_url))
    world.load_into(api)
    await api.start()
    web_app = build_web_app(max_body_bytes=SANDBOX_MAX_BODY_BYTES)
    mount_sandbox(web_app, api, personas(settings.locale), sandbox_chats(), locale=settings.locale)
    world.keep(api)
    return await start_runtime(
        settings, clock=clock, token=SANDBOX_TOKEN, base_url=api.base_url, web_app=web_app, extras=[api]
    )
