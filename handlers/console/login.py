"""工作台 / /console: a one-time link to the console, privately, valid a few minutes; and signing in with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.console.settings import ConsoleSettings
from handlers.core.context import Context
from handlers.core.types import IncomingMessage
from models.base import AsyncSession
from models.console import LoginProblem, create_login_link, open_session, use_login_link

LOGIN_PATH = "/console/login/"


async def console_command(ctx: Context, message: IncomingMessage) -> None:
    """Send the sign-in link (the router already checked the chat is private and the role)."""
    settings = ctx.setting(ConsoleSettings)
    token = await create_login_link(ctx.session, person_id=ctx.person.id or 0, now=ctx.now, ttl=settings.link_ttl)
    minutes = int(settings.link_ttl / timedelta(minutes=1))
    ctx.reply(ctx.t("console.link", url=f"{settings.base_url}{LOGIN_PATH}{token}", minutes=minutes))


@dataclass(frozen=True)
class SignedIn:
    cookie: str
    session_id: int


async def sign_in(
    session: AsyncSession, *, token: str, now: datetime, user_agent: str
) -> tuple[SignedIn | None, LoginProblem | None]:
    """Spend a login link and open a session for its person (the link works once, within its minutes)."""
    link, problem = await use_login_link(session, token=token, now=now)
    if link is None:
        return None, problem
    cookie, row = await open_session(session, person_id=link.person_id, now=now, user_agent=user_agent)
    return SignedIn(cookie, row.id or 0), None
