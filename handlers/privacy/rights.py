"""/mydata sends a person everything stored about them as a file, privately; /forget, once confirmed, anonymises them:
their name becomes 「已注销居民」, their accounts and roles go, their tickets and ledger entries stay under that name,
and their spendable points are settled to zero by one ledger adjustment (lifetime points stay, anonymous, so past
rankings do not change). A retention setting takes the reporter off tickets closed more than N months ago, and a
photo Linli kept that reached nothing (no ticket, offer or notice took it) is deleted after a day."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from handlers.core.context import Context, Work
from handlers.core.types import Button, IncomingCallback, IncomingMessage, SendDocument
from models.ledger import balance_of, post_entry
from models.passbook import EntryKind
from models.photos import drop_unused_photos
from models.privacy import anonymise_reporters, anonymous_person, forget_person, personal_rows

RETENTION_BATCH = 500
DAYS_PER_MONTH = 30
UNUSED_PHOTO_AGE = timedelta(days=1)
PHOTO_BATCH = 5  # each batch reads the tickets once (~0.1 s at 100,000 tickets on SQLite): a short pause


@dataclass(frozen=True)
class PrivacySettings:
    retention_months: int
    """0 keeps reporters on closed tickets for good."""


def privacy_settings(env: Any) -> PrivacySettings:
    return PrivacySettings(retention_months=env.retention_months)


async def mydata(ctx: Context, message: IncomingMessage) -> None:
    rows = await personal_rows(ctx.session, person_id=ctx.person.id or 0)
    content = json.dumps(rows, ensure_ascii=False, indent=1, default=str).encode()
    ctx.effects.add(
        SendDocument(
            platform=ctx.platform,
            chat_id=message.chat.platform_chat_id,
            filename=f"mydata_{ctx.now.astimezone(ctx.config.timezone):%Y%m%d}.json",
            content=content,
            caption=ctx.t("privacy.mydata_caption", tables=len(rows)),
        )
    )


async def forget(ctx: Context, message: IncomingMessage) -> None:
    """Ask first: forgetting cannot be undone."""
    buttons = ((Button(ctx.t("privacy.forget_yes"), "pv:forget"), Button(ctx.t("privacy.forget_no"), "pv:keep")),)
    ctx.reply(ctx.t("privacy.forget_ask"), buttons=buttons)


async def on_privacy_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """pv:forget / pv:keep, pressed in the private chat where /forget asked."""
    if ctx.in_group or not parts or parts[0] not in ("forget", "keep"):
        ctx.answer(ctx.t("button.stale"))
        return
    if parts[0] == "keep":
        ctx.edit_pressed(ctx.t("privacy.forget_kept"))
        ctx.answer()
        return
    settled = await settle_points(ctx)
    await forget_person(ctx.session, person_id=ctx.person.id or 0, name=ctx.t("privacy.forgotten_name"), now=ctx.now)
    ctx.edit_pressed(ctx.t("privacy.forgotten", points=settled))
    ctx.answer()


async def settle_points(ctx: Context) -> int:
    """Spendable points go to zero by one adjustment (the ledger keeps it); returns how many were settled."""
    person_id = ctx.person.id or 0
    spendable = (await balance_of(ctx.session, person_id=person_id)).spendable
    if spendable > 0:
        await post_entry(
            ctx.session,
            person_id=person_id,
            delta=-spendable,
            kind=EntryKind.ADJUSTMENT,
            reason=ctx.t("privacy.settle_reason"),
            source="forget",
            source_id=person_id,
            actor_id=person_id,
            idempotency_key=f"forget:{person_id}",
            now=ctx.now,
        )
    return spendable


async def sweep_retention(work: Work) -> int:
    """Reporters of tickets closed more than the retention period ago are replaced by 「已注销居民」."""
    months = work.setting(PrivacySettings).retention_months
    if months <= 0:
        return 0
    anonymous = await anonymous_person(work.session, name=work.t("privacy.forgotten_name"), now=work.now)
    cutoff = work.now - timedelta(days=DAYS_PER_MONTH * months)
    return await anonymise_reporters(
        work.session, closed_before=cutoff, anonymous_id=anonymous.id or 0, limit=RETENTION_BATCH
    )


async def sweep_unused_photos(work: Work) -> int:
    """Photos kept a day ago that nothing refers to (an image sent alone by someone not handling a ticket, an
    @mention that was chatter) are personal data with no purpose: deleted."""
    return await drop_unused_photos(work.session, created_before=work.now - UNUSED_PHOTO_AGE, limit=PHOTO_BATCH)
