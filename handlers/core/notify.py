"""Reaching a person privately on whichever platform they use (their first linked account), and the way round
when the platform will not let the bot write to them (docs/reach.md): the flow's group message, with a link that
opens the private chat at that step and brings the message held for it."""

from __future__ import annotations

from handlers.core.types import Button, Keyboard, Send
from models.base import AsyncSession
from models.payloads import StoredButton, keyboard_json, keyboard_of
from models.people import PlatformAccount, accounts_of
from models.reach import HeldMessage, held_message, is_closed

DEEP_LINK_PLATFORM = "telegram"  # WeCom has no deep links: its group route carries the message itself


async def private_account(
    session: AsyncSession, *, person_id: int, prefer_platform: str | None = None
) -> PlatformAccount | None:
    """The account to write to privately: on the preferred platform if they have one there, else their first."""
    accounts = await accounts_of(session, person_id=person_id)
    preferred = [a for a in accounts if a.platform == prefer_platform] or accounts
    return preferred[0] if preferred else None


def private_send(account: PlatformAccount, text: str, buttons: Keyboard, ref_key: str | None) -> Send:
    return Send(
        platform=account.platform, chat_id=account.platform_user_id, text=text, buttons=buttons, ref_key=ref_key
    )


def deep_link(bot_username: str, token: str) -> str:
    """Telegram's link that opens the private chat with the bot and sends it ``/start <token>``."""
    return f"https://t.me/{bot_username}?start={token}"


def with_link(fallback: Send, label: str, url: str) -> Send:
    """The group message with one more row: the button that opens the private chat at this step."""
    return Send(
        platform=fallback.platform,
        chat_id=fallback.chat_id,
        text=fallback.text,
        buttons=(*fallback.buttons, (Button(label, url=url),)),
        reply_to_message_id=fallback.reply_to_message_id,
        dedupe_key=fallback.dedupe_key,
    )


def is_unreachable(account: PlatformAccount | None) -> bool:
    """No account, or one the bot knows it may not write to privately."""
    return account is None or is_closed(account)


def held_keyboard(held: HeldMessage) -> Keyboard:
    return tuple(tuple(Button(b.text, b.data, b.url) for b in row) for row in keyboard_of(held.buttons))


def stored_buttons(buttons: Keyboard) -> list[list[dict[str, str]]]:
    return keyboard_json(tuple(tuple(StoredButton(b.text, b.data, b.url) for b in row) for row in buttons))


async def find_held(session: AsyncSession, token: str) -> HeldMessage | None:
    """The message a deep link's ``/start <token>`` brings, if the token is one."""
    return await held_message(session, token=token)
