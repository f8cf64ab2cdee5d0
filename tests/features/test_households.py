"""Transcripts of households (户): registered by 门牌, joined by code; the points members earn while in it count
for it (person balances stay as they were); 我的户 shows its total and stars; staff see and export 星级文明户."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.db import unit_of_work
from models.ledger import balance_of, post_entry
from models.passbook import EntryKind
from models.people import ensure_person
from tests.features.harness import DEFAULT_START, BotUnderTest, Participant, running_bot
from tests.features.tickets_world import building


async def earn(bot: BotUnderTest, who: Participant, points: int, key: str, at: datetime) -> None:
    """Points given straight through the ledger (what any award does)."""
    async with unit_of_work(bot.runtime.sessions) as session:
        person = await ensure_person(
            session,
            platform="telegram",
            platform_user_id=str(who.user.id),
            display_name=who.user.display_name,
            username=None,
        )
        await post_entry(
            session,
            person_id=person.id or 0,
            delta=points,
            kind=EntryKind.AWARD,
            reason="扫雪",
            source="manual",
            source_id=None,
            actor_id=None,
            idempotency_key=key,
            now=at,
        )


async def lifetime(bot: BotUnderTest, who: Participant) -> int:
    async with unit_of_work(bot.runtime.sessions) as session:
        person = await ensure_person(
            session,
            platform="telegram",
            platform_user_id=str(who.user.id),
            display_name=who.user.display_name,
            username=None,
        )
        return (await balance_of(session, person_id=person.id or 0)).lifetime


async def test_a_household_of_two_members_counts_what_they_earn_and_is_rated(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        home, family = bot.private(w.resident), bot.private(w.neighbour)
        await earn(bot, w.neighbour, 5, "before", DEFAULT_START - timedelta(days=3))  # earned before joining
        await w.resident.says(w.group, "门牌 3单元302")
        await w.group.expect_message("请在与我的私聊里发送")
        await w.resident.says(home, "门牌 三单元")
        await home.expect_message("请这样写：门牌 3单元302")
        await w.resident.says(home, "门牌 3单元 302")
        created = await home.expect_message("🏠 已登记「1号楼 3单元302」")
        found = re.search(r"加入户 ([A-Z0-9]{6})", created.text or "")
        assert found
        await w.neighbour.says(family, "门牌 3单元302")
        await family.expect_message("「1号楼 3单元302」已经登记过了")
        await w.neighbour.says(family, "加入户 ZZZZZZ")
        await family.expect_message("这个加入码不对")
        await w.neighbour.says(family, f"加入户 {found.group(1).lower()}")
        await family.expect_message("🏠 已加入「1号楼 3单元302」")

        await earn(bot, w.resident, 40, "a", DEFAULT_START + timedelta(hours=1))
        await earn(bot, w.neighbour, 20, "b", DEFAULT_START + timedelta(hours=2))
        await w.neighbour.says(family, "我的户")
        card = (await family.expect_message("🏠 1号楼 3单元302")).text or ""
        assert "成员：王小明、刘阿姨" in card and "户积分：60（★）" in card
        assert (await lifetime(bot, w.resident), await lifetime(bot, w.neighbour)) == (40, 25)

        office = bot.private(w.staff)
        await w.resident.says(home, "文明户")
        await home.expect_message("只有社区工作人员可以查看星级文明户")
        await w.staff.says(office, "文明户")
        ranking = (await office.expect_message("🏅 阳光社区星级文明户（共 1 户）")).text or ""
        assert "1. 1号楼 3单元302 — 60 分 ★" in ranking
        _, content = await office.expect_document("星级文明户.csv")
        lines = content.decode("utf-8-sig").splitlines()
        assert lines == ["名次,户,成员,户积分,星级", "1,1号楼 3单元302,王小明、刘阿姨,60,★"]
