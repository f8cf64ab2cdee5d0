"""What the command-line subcommands do; errors become one clear line and a non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot
from telegram.error import TelegramError

from bot.app import ProcessRole, run_until_signal, start_runtime, utc_now
from bot.config import Settings
from bot.db import create_engine, session_factory, unit_of_work
from bot.logs import configure_logging
from bot.outbox_sender import DeliveryError
from handlers.common.org_import import OrgFileError, import_tree, parse_org_file
from handlers.passbook.shop_admin import CatalogueError, import_catalogue
from models.inbox import InboxStatus, inbox_update, set_aside_updates
from models.ledger import recompute_drift
from models.people import Role, create_invite, person_by_id
from models.places import PlaceKind, place_by_code


@asynccontextmanager
async def one_transaction(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One unit of work on a short-lived engine, disposed afterwards: what each database command needs."""
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            yield session
    finally:
        await engine.dispose()


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def secrets_of(settings: Settings) -> list[str]:
    """Every configured secret, so no log line can carry one."""
    return [
        settings.telegram_bot_token,
        settings.telegram_webhook_secret,
        settings.database_url,
        settings.wecom_app_secret,
        settings.wecom_app_token,
        settings.wecom_app_aes_key,
        settings.wecom_bot_token,
        settings.wecom_bot_aes_key,
    ]


NEWER_DATABASE = " (was this database migrated by a newer version of Linli? upgrade the code first)"
"""Why an upgrade meets a revision it does not know: an older checkout opening a newer database."""


async def migrate(settings: Settings, downgrade_to: str | None) -> int:
    from alembic.util import CommandError  # alembic (and mako) cost ~0.15 s at every other start

    from bot.migrate import downgrade_async, upgrade_async

    try:
        if downgrade_to:
            await downgrade_async(settings.database_url, downgrade_to)
        else:
            await upgrade_async(settings.database_url)
    except CommandError as exc:
        return fail(f"数据库迁移失败 / migration failed: {exc}{'' if downgrade_to else NEWER_DATABASE}")
    except (SQLAlchemyError, OSError) as exc:
        return fail(f"数据库迁移失败 / migration failed: {type(exc).__name__}: {exc}")
    if downgrade_to:
        print(f"数据库已降级到 {downgrade_to} / database downgraded to {downgrade_to}")
    else:
        print("数据库已是最新结构 / database is up to date")
    return 0


async def org_import(settings: Settings, file: Path) -> int:
    try:
        text = await asyncio.to_thread(file.read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"cannot read {file}: {exc}")
    try:
        nodes = parse_org_file(file.name, text)
        async with one_transaction(settings) as session:
            report = await import_tree(session, nodes)
    except OrgFileError as exc:
        return fail(f"{file}: {exc}")
    print(report.summary())
    return 0


async def shop_import(settings: Settings, community_code: str, file: Path) -> int:
    """Create or update a community's 爱心超市 items from a CSV file: every line or none."""
    try:
        text = await asyncio.to_thread(file.read_text, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"cannot read {file}: {exc}")
    try:
        async with one_transaction(settings) as session:
            community = await place_by_code(session, code=community_code)
            if community is None or community.kind != PlaceKind.COMMUNITY:
                return fail(
                    f"no community with code {community_code!r}; import the tree first (python -m bot org import FILE)"
                )
            created, updated = await import_catalogue(session, community=community, text=text, now=utc_now())
    except CatalogueError as exc:
        return fail(f"{file}: {exc.text('zh')} / {exc.text('en')}")
    print(f"{community.name}: 新增 {created}，更新 {updated} / {created} created, {updated} updated")
    return 0


async def passbook_check(settings: Settings) -> int:
    """Recompute every balance from the ledger; print the persons whose stored balances differ (exit 1 if any)."""
    async with one_transaction(settings) as session:
        drifts = await recompute_drift(session)
        names = {d.person_id: await person_by_id(session, person_id=d.person_id) for d in drifts}
    for d in drifts:
        person = names[d.person_id]
        print(
            f"#{d.person_id} {person.display_name if person else '?'}: "
            f"spendable {d.stored_spendable} (ledger {d.ledger_spendable}), "
            f"lifetime {d.stored_lifetime} (ledger {d.ledger_lifetime})"
        )
    if drifts:
        print(f"{len(drifts)} 人余额与流水不一致 / balance(s) differ from the ledger", file=sys.stderr)
        return 1
    print("余额与流水一致 / every balance matches the ledger")
    return 0


async def inbox_list(settings: Settings) -> int:
    """Print the updates set aside (newest first): id, when, the platform's delivery key, attempts and the reason."""
    async with one_transaction(settings) as session:
        rows = await set_aside_updates(session)
    for row in rows:
        received = row.received_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M:%S")
        print(f"#{row.id} {received} {row.platform} {row.delivery_key} attempts={row.attempts} {row.reason}")
    print(f"{len(rows)} 条更新被搁置 / update(s) set aside", file=sys.stderr)
    return 0


async def inbox_retry(settings: Settings, row_id: int) -> int:
    """Put a set-aside update back in line (after a fix): it is processed again, in its chat's order."""
    async with one_transaction(settings) as session:
        row = await inbox_update(session, update_id=row_id)
        if row is None or row.status != InboxStatus.SET_ASIDE:
            return fail(f"no set-aside update #{row_id}")
        row.status, row.attempts, row.next_attempt_at, row.finished_at = InboxStatus.PENDING, 0, None, None
    print(f"#{row_id} 已重新排队 / queued again")
    return 0


async def bot_username(settings: Settings) -> str:
    if settings.sandbox:
        from sandbox.app import SANDBOX_BOT_USERNAME  # the sandbox is no part of the runtime: loaded only for it

        return SANDBOX_BOT_USERNAME
    async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url) as bot:
        return bot.username


async def admin_invite(settings: Settings, role_name: str, node: str) -> int:
    try:
        role = Role(role_name)
    except ValueError:
        return fail(f"unknown role {role_name!r}; use one of: {', '.join(r.value for r in Role)}")
    try:
        username = await bot_username(settings)
    except TelegramError as exc:
        return fail(f"cannot reach Telegram to learn the bot's username: {exc}")
    try:
        async with one_transaction(settings) as session:
            place = await place_by_code(session, code=node)
            if place is None:
                return fail(f"no place with code {node!r}; import the tree first (python -m bot org import FILE)")
            invite = await create_invite(
                session,
                role=role,
                place=place,
                created_by_id=None,
                ttl=timedelta(hours=settings.invite_ttl_hours),
            )
    except ValueError as exc:
        return fail(str(exc))
    expires = invite.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    print(f"https://t.me/{username}?start={invite.code}")
    print(f"一次性链接，{expires} 前有效 / single use, valid until {expires} ({settings.timezone})", file=sys.stderr)
    return 0


async def run(settings: Settings, *, force_sandbox: bool, role: str = "all") -> int:
    configure_logging(settings.log_level, secrets_of(settings))
    sandbox = settings.sandbox or force_sandbox
    if sandbox and role != ProcessRole.ALL:
        return fail("沙盒只能作为一个进程运行：请去掉 --role / the sandbox runs as one process: leave out --role")
    if sandbox:
        from sandbox.app import start_sandbox  # the sandbox is no part of the runtime: loaded only to run it

        runtime = await start_sandbox(settings, clock=utc_now)
        print(f"邻里 sandbox ready: http://{settings.web_host}:{runtime.web_port}/", flush=True)
    else:
        runtime = await start_runtime(settings, role=ProcessRole(role))
    await run_until_signal(runtime)
    return 0


async def wecom(settings: Settings, args: argparse.Namespace) -> int:
    """Bind a WeCom group (robot webhook or app group chat) to a node; create the app group chat first if asked."""
    from bot.wecom.mapping import webhook_key  # WeCom's modules load for WeCom's commands, not at every start
    from bot.wecom.transport import ROUTE_APPCHAT, ROUTE_ROBOT, bind_wecom_group

    if args.wecom_command == "bind-robot":
        try:
            kind, address = ROUTE_ROBOT, webhook_key(args.webhook_url)
        except ValueError as exc:
            return fail(str(exc))
    elif args.wecom_command == "bind-appchat":
        kind, address = ROUTE_APPCHAT, args.chatid
    else:
        try:
            kind, address = ROUTE_APPCHAT, await create_appchat(settings, args)
        except DeliveryError as exc:
            return fail(f"WeCom appchat/create: {exc.reason}")
    async with one_transaction(settings) as session:
        place = await place_by_code(session, code=args.node)
        if place is None:
            return fail(f"unknown node {args.node!r}")
        chat = await bind_wecom_group(
            session,
            place=place,
            kind=kind,
            address=address,
            title=args.title if hasattr(args, "title") else args.name,
            ai_bot_chatid=getattr(args, "chat", None),
            now=utc_now(),
        )
    print(f"已绑定 / bound: {args.node} ← {kind} ({chat.platform_chat_id})")
    return 0


async def create_appchat(settings: Settings, args: argparse.Namespace) -> str:
    from bot.wecom.api import WeComApi

    members = [m.strip() for m in args.members.split(",") if m.strip()]
    async with aiohttp.ClientSession() as http:
        api = WeComApi(
            http,
            base_url=settings.wecom_api_base_url,
            corp_id=settings.wecom_corp_id,
            secret=settings.wecom_app_secret,
            agent_id=settings.wecom_agent_id,
        )
        return await api.create_appchat(name=args.name, owner=args.owner, userids=members)
