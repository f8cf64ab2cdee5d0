"""Transcripts of what a newcomer's week in the sandbox showed (issue 19), one per numbered finding."""

from __future__ import annotations

import csv
import io

from sqlmodel import select

from bot.db import unit_of_work
from models.passbook import LedgerEntry
from models.people import Person, PlatformAccount
from sandbox.state import StoredMessage
from tests.features.harness import (
    EDIT_METHODS,
    SEND_METHODS,
    BotUnderTest,
    ChatView,
    ManualClock,
    local_day_at,
    running_bot,
)
from tests.features.shop_world import award
from tests.features.test_events import publish
from tests.features.tickets_world import Building, building


def everything_shown(bot: BotUnderTest, chat: ChatView) -> str:
    """Every text the bot sent or edited into this chat, in order."""
    return "\n".join(
        str(c.params.get("text", c.params.get("caption", "")))
        for c in bot.api.calls
        if c.method in SEND_METHODS + EDIT_METHODS and int(c.params.get("chat_id", 0)) == chat.id and c.ok
    )


async def dispatched(bot: BotUnderTest, w: Building, card: StoredMessage, where: ChatView) -> StoredMessage:
    """The head confirms the card in `where` and dispatches it to the volunteer; returns the volunteer's job."""
    await w.head.presses(where, card, "确认")
    await where.expect_edit("已确认")
    await w.head.presses(where, card, "派单")
    chooser = await where.expect_message("派给谁处理")
    await w.head.presses(where, chooser, "陈志愿")
    return await bot.private(w.volunteer).expect_message("新的派单")


async def test_13_yes_to_an_unsure_offer_that_finds_a_duplicate_is_one_bubble(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "电梯有点异响")
        ask = await w.group.expect_message("需要帮您登记报修吗？")
        assert "（报修）" not in (ask.text or "")
        await w.resident.presses(w.group, ask, "是")
        await w.group.expect_message("工单 #1")
        await w.resident.says(w.group, "电梯还是有点异响")
        ask = await w.group.expect_message("需要帮您登记报修吗？")
        await w.resident.presses(w.group, ask, "是")
        same = await w.group.expect_edit("是同一个问题吗？")
        assert same.message_id == ask.message_id
        await w.resident.presses(w.group, same, "另报新问题")
        await w.group.expect_edit("好的，帮您登记")
        await w.group.expect_message("工单 #2")
        await bot.settle()
        texts = [m.text or "" for m in bot.api.messages(w.group.id)]
        second_round = texts[texts.index("电梯还是有点异响") :]
        assert sum("好的，帮您登记" in t for t in second_round) == 1, second_round


async def test_2_and_6_a_dispute_is_asked_about_in_its_own_words_and_never_names_its_handler(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "楼上天天半夜吵，吵死了")
        notice = await w.group.expect_message("已收到一起邻里纠纷反映")
        assert "楼栋长" in (notice.text or "") and "网格员会私下联系" not in (notice.text or "")
        head = bot.private(w.head)
        card = await head.expect_message("邻里纠纷 #1")
        job = await dispatched(bot, w, card, head)
        await w.group.expect_edit("已安排专人私下处理")
        await w.volunteer.presses(bot.private(w.volunteer), job, "已处理")
        await bot.private(w.resident).expect_message("您获得 2 分")
        question = await bot.private(w.resident).expect_message("问题解决了吗？双方还有矛盾吗？")
        assert "修好了吗" not in (question.text or "")
        await bot.settle()
        shown = everything_shown(bot, w.group)
        for name in ("李楼长", "陈志愿", "王小明"):
            assert name not in shown, shown


async def test_8_the_picker_answers_the_press_and_the_history_says_to_whom(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "3单元电梯坏了，好几天了")
        card = await w.group.expect_message("工单 #1")
        await w.head.presses(w.group, card, "确认")
        await w.group.expect_edit("已确认")
        await w.head.presses(w.group, card, "派单")
        chooser = await w.group.expect_message("#1 派给谁处理？")
        assert chooser.message_id != card.message_id
        assert chooser.message["reply_to_message"]["message_id"] == card.message_id
        assert "工单 #1" in (bot.api.message(w.group.id, card.message_id).text or "")
        await w.head.presses(w.group, chooser, "陈志愿")
        await w.group.expect_edit("派单给 陈志愿")
        await w.head.says(bot.private(w.head), "/ticket 1")
        history = (await bot.private(w.head).expect_message("处理记录")).text or ""
        assert "李楼长 派单给 陈志愿" in history, history


async def test_1_and_3_every_affected_resident_keeps_a_say_and_a_reopen_takes_the_points_back(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "3单元电梯坏了，好几天了")
        card = await w.group.expect_message("工单 #1")
        await w.neighbour.says(w.group, "电梯又坏了，还是不能用")
        await w.neighbour.presses(w.group, await w.group.expect_message("是同一个问题吗？"), "+1")
        await w.group.expect_edit("共 2 位邻居")
        volunteer = bot.private(w.volunteer)
        job = await dispatched(bot, w, card, w.group)
        await w.volunteer.presses(volunteer, job, "已处理")
        await volunteer.expect_message("您获得 10 分：完成工单 #1")
        reporter, neighbour = bot.private(w.resident), bot.private(w.neighbour)
        await reporter.expect_message("您获得 2 分")
        mine = await reporter.expect_message("修好了吗？")
        theirs = await neighbour.expect_message("修好了吗？")

        await w.resident.presses(reporter, mine, "已解决")
        await reporter.expect_edit("请为这次处理打分")
        await bot.settle()
        assert [label for label, _ in bot.api.message(neighbour.id, theirs.message_id).buttons] == ["已解决", "没解决"]
        assert "已处理，等待居民确认" in (bot.api.message(w.group.id, card.message_id).text or "")

        await w.neighbour.presses(neighbour, theirs, "没解决")
        await neighbour.expect_edit("已重新打开 #1")
        job = await volunteer.expect_message("没解决，已重新打开")
        reversal = await volunteer.expect_message("您的一笔积分被撤销：−10 分")
        assert "没解决" in (reversal.text or "")
        await w.group.expect_edit("居民反馈没解决")
        await w.volunteer.says(volunteer, "积分明细")
        ledger = (await volunteer.expect_message("10")).text or ""
        assert "收回" in ledger, ledger

        await w.volunteer.presses(volunteer, job, "已处理")
        await volunteer.expect_message("您获得 10 分：完成工单 #1")
        mine, theirs = await reporter.expect_message("修好了吗？"), await neighbour.expect_message("修好了吗？")
        await w.resident.presses(reporter, mine, "已解决")
        await reporter.expect_edit("请为这次处理打分")
        await w.neighbour.presses(neighbour, theirs, "已解决")
        await neighbour.expect_edit("请为这次处理打分")
        await w.group.expect_edit("✅ 已解决")


async def test_9_and_10_only_someone_with_a_place_checks_in_and_early_codes_say_when(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        _, code = await publish(bot, w, ["义诊", "明天上午9点", "社区活动室", "2", "5"])
        card = await w.group.expect_message("🎪 义诊")
        await w.resident.presses(w.group, card, "报名")
        await w.group.expect_edit("已报名 1 / 2")
        await w.neighbour.presses(w.group, card, "报名")
        await w.group.expect_edit("已报名 2 / 2")
        await w.head.presses(w.group, card, "报名")
        await w.group.expect_edit("候补 1")
        await w.head.presses(w.group, card, "取消报名")
        await w.head.expect_answer("已取消报名")
        await w.resident.says(w.group, "近期活动")
        assert "已报名 2 / 2" in ((await w.group.expect_message("近期活动")).text or "")

        await w.resident.says(w.group, f"签到 {code}")
        await w.group.expect_message("明天 06:00 开放签到")
        clock.now = local_day_at(clock.now, 1, 9)
        await w.head.says(w.group, f"签到 {code}")
        await w.group.expect_message("名额已满，您不在报名名单上")
        await w.resident.says(w.group, f"签到 {code}")
        await w.group.expect_message("签到成功：义诊")
        await bot.settle()
        assert "已报名 2 / 2" in (bot.api.message(w.group.id, card.message_id).text or "")
        await bot.private(w.head).expect_nothing()

        desk = bot.private(w.staff)
        await w.staff.says(desk, "/events")
        await w.staff.presses(desk, await desk.expect_message("义诊"), "管理 1")
        menu = await desk.expect_edit(f"签到码：{code}")
        assert "已报名 2 / 2" in (menu.text or "") and "已签到 1 人" in (menu.text or "")
        await w.staff.presses(desk, menu, "签到名单")
        sheet = await desk.expect_edit("已报名 2 人，已签到 1 人")
        await w.staff.presses(desk, sheet, "返回")
        await w.staff.presses(desk, await desk.expect_edit("签到码"), "导出名单")
        exported, data = await desk.expect_document(".csv")
        assert "已报名 2 / 2，已签到 1" in (exported.text or ""), exported.text
        rows = {row[1]: row for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))}
        assert rows["王小明"][2:3] == ["已报名"] and rows["王小明"][4]
        assert rows["刘阿姨"][2:3] == ["已报名"] and not rows["刘阿姨"][4]
        assert rows["李楼长"][2:3] == ["已取消"] and not rows["李楼长"][4]


async def test_12_the_preview_names_the_weekday_and_the_end(database_url: str) -> None:
    async with running_bot(database_url) as bot:  # Wednesday 2 December, 10:00
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "活动")
        await desk.expect_message("请发送活动名称")
        for answer, next_question in (
            ("义诊", "活动时间"),
            ("周六上午9点到11点半", "活动地点"),  # a range: no question about the end
            ("社区活动室", "名额上限"),
            ("20", "爱心积分"),
        ):
            await w.staff.says(desk, answer)
            await desk.expect_message(next_question)
        await w.staff.says(desk, "5")
        choose = await desk.expect_message("在哪些群发布")
        await w.staff.presses(desk, choose, "1号楼")
        await w.staff.presses(desk, await desk.expect_edit("在哪些群发布"), "下一步")
        preview = await desk.expect_edit("预览")
        assert "🕘 周六 12月05日 09:00–11:30" in (preview.text or ""), preview.text
        await w.staff.presses(desk, preview, "发布")
        card = await w.group.expect_message("🎪 义诊")
        assert "🕘 周六 12月05日 09:00–11:30" in (card.text or "")


async def test_12_pickup_messages_say_where_and_when_the_shop_opens(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "超市信息")
        await desk.expect_message("还没有填写领取地点和营业时间")
        await w.staff.says(desk, "超市信息\n地址：社区服务中心一楼\n营业时间：周二至周日 9:00-17:00")
        saved = await desk.expect_message("已保存")
        assert "领取地点：社区服务中心一楼" in (saved.text or "") and "营业时间：周二至周日 9:00-17:00" in (
            saved.text or ""
        )
        await w.staff.says(desk, "超市信息 营业时间：周二至周六 9:00-17:00")  # one field alone changes only that one
        saved = await desk.expect_message("已保存")
        assert "社区服务中心一楼" in (saved.text or "") and "周二至周六" in (saved.text or "")
        await w.staff.says(desk, "上架 大米 50 5")
        await desk.expect_message("已上架：大米")
        await award(bot, w.resident, 60, "扫雪")
        shop = bot.private(w.resident)
        await w.resident.says(shop, "兑换")
        await w.resident.presses(shop, await shop.expect_message("爱心超市"), "大米")
        confirm = await shop.expect_edit("确认兑换「大米」吗")
        assert "📍 领取地点：社区服务中心一楼" in (confirm.text or "")
        await w.resident.presses(shop, confirm, "确认兑换")
        card = await shop.expect_message("兑换成功：大米")
        assert "📍 领取地点：社区服务中心一楼\n🕘 营业时间：周二至周六 9:00-17:00" in (card.text or ""), card.text


async def test_15_a_reader_sees_system_reasons_and_dates_in_their_own_language(database_url: str) -> None:
    async with running_bot(database_url, locale="en") as bot:
        w = await building(bot)
        async with unit_of_work(bot.runtime.sessions) as session:
            query = select(PlatformAccount).where(PlatformAccount.platform_user_id == str(w.resident.user.id))
            account = (await session.exec(query)).one()
            person = await session.get(Person, account.person_id)
            assert person is not None
            person.locale = "zh"  # a resident reading Chinese in a bot that speaks English
        await w.resident.says(w.group, "3单元电梯坏了，好几天了")
        card = await w.group.expect_message("工单 #1")  # the card speaks its reporter's language
        await w.head.presses(w.group, card, "确认")
        reporter = bot.private(w.resident)
        await reporter.expect_message("您获得 2 分：报告问题 #1 已确认")
        await w.resident.says(reporter, "积分明细")
        assert "报告问题 #1 已确认" in ((await reporter.expect_message("#")).text or "")
        async with unit_of_work(bot.runtime.sessions) as session:
            stored = (await session.exec(select(LedgerEntry))).one()
        assert stored.reason == "Report #1 confirmed"  # the office's record, in the bot's language
