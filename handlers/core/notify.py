"""Reaching a person privately on whichever platform they use (their first linked account)."""

from __future__ import annotations

from handlers.core.types import Keyboard, Send
from models.base import AsyncSession
from models.people import accounts_of


async def private_message(
    session: AsyncSession,
    *,
    person_id: int,
    text: str,
    buttons: Keyboard = (),
    ref_key: str | None = None,
    prefer_platform: str | None = None,
) -> Send | None:
    """A Send to the person's private chat with the bot, or None if we know no account for them."""
    accounts = await accounts_of(session, person_id=person_id)
    if not accounts:
        return None
    preferred = [a for a in accounts if a.platform == prefer_platform] or accounts
    account = preferred[0]
    return Send(
        platform=account.platform, chat_id=account.platform_user_id, text=text, buttons=buttons, ref_key=ref_key
    )
