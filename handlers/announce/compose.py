"""通知: staff and grid workers compose in private, pick the scope, preview, send now or at a time."""

from __future__ import annotations

from datetime import UTC

from handlers.announce.delivery import dispatch
from handlers.common.numbers import parse_id
from handlers.common.scopes import chats_in_scope, future_time, scope_keyboard, scope_names, scope_options
from handlers.core.context import Context
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard
from models.announcements import (
    Announcement,
    AnnouncementStatus,
    draft_of,
)

S = AnnouncementStatus
MAX_TEXT = 3500
"""Characters of a notice: with the header and the preview's frame it stays inside one Telegram message (4096)."""
MAX_CAPTION = 900
"""Characters of a notice with a photo: a photo's caption holds at most 1024."""


async def announce(ctx: Context, message: IncomingMessage) -> None:
    """Start a notice (the router let only staff and grid workers in, in private): choose where it goes first."""
    options = await scope_options(ctx)
    if not options:
        ctx.reply(ctx.t("announce.refused"))
        return
    draft = Announcement(
        author_id=ctx.person.id or 0,
        author_platform=ctx.platform,
        author_chat_id=ctx.incoming.chat.platform_chat_id,
        created_at=ctx.now,
    )
    ctx.session.add(draft)
    await ctx.session.flush()
    ctx.reply(ctx.t("announce.choose"), buttons=scope_keyboard(ctx, "an", draft.id or 0, draft.scope_ids, options))


def preview_keyboard(ctx: Context, draft: Announcement) -> Keyboard:
    return (
        (
            Button(ctx.t("button.send_now"), f"an:now:{draft.id}"),
            Button(ctx.t("button.send_later"), f"an:later:{draft.id}"),
        ),
        (Button(ctx.t("button.cancel_send"), f"an:x:{draft.id}"),),
    )


async def on_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """an:<t|n|now|later|x>:<draft>[:<place>] — only the author may press."""
    draft_id = parse_id(parts[1]) if len(parts) >= 2 else None
    draft = await ctx.session.get(Announcement, draft_id) if draft_id else None
    if draft is None or draft.author_id != ctx.person.id or draft.status in (S.SENT, S.REPORTED, S.CANCELLED):
        ctx.answer(ctx.t("button.stale"))
        return
    action = parts[0]
    place_id = parse_id(parts[2]) if action == "t" and len(parts) == 3 else None
    if place_id:
        await toggle_scope(ctx, draft, place_id)
    elif action == "n":
        await scope_chosen(ctx, draft)
    elif action == "now":
        count = await dispatch(ctx, draft)
        ctx.edit_pressed(ctx.t("announce.sending", count=count))
    elif action == "later":
        draft.status = S.TIMING
        ctx.edit_pressed(ctx.t("announce.when"))
    elif action == "x":
        draft.status = S.CANCELLED
        ctx.edit_pressed(ctx.t("common.cancelled"))
    ctx.answer()


async def toggle_scope(ctx: Context, draft: Announcement, place_id: int) -> None:
    options = await scope_options(ctx)
    if place_id not in {p.id for p in options}:
        return
    chosen = set(draft.scope_ids) ^ {place_id}
    draft.scope_ids = sorted(chosen)
    ctx.edit_pressed(
        ctx.t("announce.choose"), buttons=scope_keyboard(ctx, "an", draft.id or 0, draft.scope_ids, options)
    )


async def scope_chosen(ctx: Context, draft: Announcement) -> None:
    if not draft.scope_ids:
        ctx.answer(ctx.t("scope.need_one"), alert=True)
        return
    if not await chats_in_scope(ctx.session, draft.scope_ids):
        ctx.edit_pressed(ctx.t("announce.no_groups"))
        draft.status = S.CANCELLED
        return
    draft.status = S.WRITING
    ctx.edit_pressed(ctx.t("announce.write"))


async def on_private_text(ctx: Context, message: IncomingMessage) -> bool:
    """The next private message of an author continues their draft: the text, or the time to send."""
    if ctx.in_group:
        return False
    draft = await draft_of(ctx.session, author_id=ctx.person.id or 0, statuses=(S.WRITING, S.TIMING))
    if draft is None:
        return False
    if draft.status == S.WRITING:
        await take_text(ctx, message, draft)
    else:
        await take_time(ctx, message, draft)
    return True


async def take_text(ctx: Context, message: IncomingMessage, draft: Announcement) -> None:
    text, photo = message.text.strip(), (message.photos or (None,))[0]
    if not text:
        ctx.reply(ctx.t("announce.write"))
        return
    limit = MAX_CAPTION if photo else MAX_TEXT
    if len(text) > limit:  # the draft keeps waiting for a shorter text; the author's message is still in the chat
        ctx.reply(
            ctx.t("announce.too_long", count=len(text), limit=limit, caption_limit=MAX_CAPTION, text_limit=MAX_TEXT)
        )
        return
    draft.text, draft.photo, draft.status = text, photo, S.PREVIEW
    count = len(await chats_in_scope(ctx.session, draft.scope_ids))
    scope = await scope_names(ctx.session, draft.scope_ids)
    ctx.reply(
        ctx.t("announce.preview", text=draft.text, count=count, scope=scope), buttons=preview_keyboard(ctx, draft)
    )


async def take_time(ctx: Context, message: IncomingMessage, draft: Announcement) -> None:
    parsed = future_time(ctx, message.text)
    if parsed is None:
        return
    when = parsed.at
    draft.send_at, draft.status = when.astimezone(UTC), S.SCHEDULED
    count = len(await chats_in_scope(ctx.session, draft.scope_ids))
    ctx.reply(ctx.t("announce.scheduled", time=when.strftime("%Y-%m-%d %H:%M"), count=count))
