"""The 爱心超市 transcripts' helpers: points given straight through the ledger, and reading back the state."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import col, select

from bot.db import unit_of_work
from models.ledger import balance_of, post_entry, recompute_drift
from models.passbook import EntryKind, LedgerEntry
from models.people import ensure_person
from models.places import place_by_code
from models.shop import Redemption, RewardItem
from sandbox.state import StoredMessage
from tests.features.harness import BotUnderTest, ChatView, Participant
from tests.features.tickets_world import COMMUNITY


async def person_id(bot: BotUnderTest, who: Participant) -> int:
    async with unit_of_work(bot.runtime.sessions) as session:
        person = await ensure_person(
            session,
            platform="telegram",
            platform_user_id=str(who.user.id),
            display_name=who.user.display_name,
            username=None,
        )
        assert person.id is not None
        return person.id


async def award(
    bot: BotUnderTest,
    who: Participant,
    points: int,
    reason: str,
    when: datetime | None = None,
    kind: EntryKind = EntryKind.AWARD,
) -> None:
    """What a manual award (or, with a negative REVERSAL, its revocation) does to the ledger, booked to 阳光社区."""
    pid = await person_id(bot, who)
    async with unit_of_work(bot.runtime.sessions) as session:
        community = await place_by_code(session, code=COMMUNITY)
        assert community is not None
        posted = await post_entry(
            session,
            person_id=pid,
            delta=points,
            kind=kind,
            reason=reason,
            source="manual",
            source_id=None,
            actor_id=None,
            idempotency_key=f"test:{pid}:{reason}:{points}",
            now=when or datetime.now(UTC),
            community_id=community.id,
        )
        assert posted is not None


async def balance(bot: BotUnderTest, who: Participant) -> tuple[int, int]:
    """(spendable, lifetime), after checking the stored balances agree with the ledger."""
    pid = await person_id(bot, who)
    async with unit_of_work(bot.runtime.sessions) as session:
        assert await recompute_drift(session) == []
        stored = await balance_of(session, person_id=pid)
        return stored.spendable, stored.lifetime


async def stock_of(bot: BotUnderTest, name: str) -> int:
    async with bot.runtime.sessions() as session:
        item = (await session.exec(select(RewardItem).where(RewardItem.name == name))).one()
        return item.stock


async def redemptions(bot: BotUnderTest) -> list[Redemption]:
    async with bot.runtime.sessions() as session:
        return list((await session.exec(select(Redemption).order_by(col(Redemption.id)))).all())


async def entries_of(bot: BotUnderTest, who: Participant) -> list[tuple[str, int]]:
    pid = await person_id(bot, who)
    async with bot.runtime.sessions() as session:
        query = select(LedgerEntry).where(LedgerEntry.person_id == pid).order_by(col(LedgerEntry.id))
        return [(e.kind, e.delta) for e in (await session.exec(query)).all()]


async def redeem(bot: BotUnderTest, who: Participant, item: str) -> tuple[ChatView, StoredMessage, str]:
    """The resident opens the shop, picks the item and confirms; returns their chat, the pickup card and code."""
    chat = bot.private(who)
    await who.says(chat, "兑换")
    listing = await chat.expect_message("爱心超市")
    await who.presses(chat, listing, item)
    confirm = await chat.expect_edit(f"确认兑换「{item}」吗")
    await who.presses(chat, confirm, "确认兑换")
    await chat.expect_edit(f"已提交兑换「{item}」")
    card = await chat.expect_message(f"兑换成功：{item}")
    code = re.search(r"取货码：(\d{6})", card.text or "")
    assert code is not None
    return chat, card, code.group(1)
