"""Transcripts of the private chat: a request written to the bot is offered as a report for the sender's building
(是 opens it there as a group report would: the card in the group for the building head, +1 for the same problem,
the urgent path for danger), 否 drops it, a resident of two buildings picks one (for 报修 TEXT too, which then opens
it there with the category it was typed as), someone who belongs nowhere hears how to come to belong; any other
private text gets 「发送 帮助」 at most once an hour; the same on WeCom."""

from __future__ import annotations

from models.people import Role
from sandbox.state import StoredMessage
from tests.features.harness import BotUnderTest, ChatView, ManualClock, Participant, running_bot
from tests.features.test_wecom import choice
from tests.features.tickets_world import B1, B2, Building, bind, building
from tests.features.wecom_world import running_bot_with_wecom

HINT = "发送 帮助 查看可以做什么。"


async def writes_privately(
    bot: BotUnderTest, person: Participant, text: str, offer: str
) -> tuple[ChatView, StoredMessage]:
    """`person` writes `text` to the bot privately and is offered it as a report (`offer` begins the question)."""
    chat = bot.private(person)
    await person.says(chat, text)
    return chat, await chat.expect_message(offer)


async def test_a_private_request_is_offered_opened_in_the_group_confirmed_and_a_neighbour_adds_one(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        chat, offer = await writes_privately(
            bot, w.resident, "我家楼下的路灯坏了好几天了", "要把这条作为报修提交给 1号楼 吗？"
        )
        assert [label for label, _ in offer.buttons] == ["是", "否"]
        await w.group.expect_nothing()
        await w.resident.presses(chat, offer, "是")
        await chat.expect_edit("好的，帮您登记")
        await chat.expect_message("已登记工单 #1（报修），楼栋长确认后会安排处理")
        card = await w.group.expect_message("📋 工单 #1 · 报修")
        assert "待楼栋长确认" in (card.text or "") and "路灯坏了好几天了" in (card.text or "")
        await w.head.presses(w.group, card, "确认")
        await w.group.expect_edit("已确认，待派单")

        other, offer = await writes_privately(
            bot, w.neighbour, "楼下的路灯晚上不亮，黑漆漆的", "要把这条作为报修提交给 1号楼 吗？"
        )
        await w.neighbour.presses(other, offer, "是")
        same = await other.expect_edit("这个问题可能已经有人报过了：#1")
        await w.neighbour.presses(other, same, "+1")
        await other.expect_edit("已记下：您也受影响（#1，共 2 位邻居）")
        await w.group.expect_edit("另有 1 位邻居反映了同样的问题")


async def test_a_trapped_lift_written_privately_takes_the_urgent_path(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        chat, offer = await writes_privately(bot, w.resident, "电梯里有人被困住了", "要把这条作为报修提交给 1号楼 吗？")
        await w.resident.presses(chat, offer, "是")
        await chat.expect_message("🚨 已登记紧急工单 #1（报修），无需确认")
        card = await w.group.expect_message("📋 工单 #1 · 报修")
        assert "🚨 紧急：无需楼栋长确认" in (card.text or "")
        assert not any("确认" in label for label, _ in card.buttons)
        for person in (w.grid_worker, w.staff):
            await bot.private(person).expect_message("🚨 紧急工单 #1 · 报修（无需楼栋长确认")


async def test_no_drops_it_and_other_private_text_gets_the_hint_at_most_once_an_hour(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        chat, offer = await writes_privately(
            bot, w.resident, "单元门口的垃圾没人清，臭死了", "要把这条作为环境卫生提交给 1号楼 吗？"
        )
        await w.resident.presses(chat, offer, "否")
        await chat.expect_edit("好的，不登记")
        await w.group.expect_nothing()

        await w.resident.says(chat, "你好")
        await chat.expect_message(HINT)
        await w.resident.says(chat, "在吗")
        await chat.expect_nothing()
        clock.advance(minutes=59)
        await w.resident.says(chat, "在吗？")
        await chat.expect_nothing()
        clock.advance(minutes=2)
        await w.resident.says(chat, "有人吗")
        await chat.expect_message(HINT)

        await w.resident.says(chat, "帮助")  # commands and the private steps before the hint still answer
        await chat.expect_message("「邻里」可以帮您")
        await w.resident.says(chat, "我住在1号楼")
        await chat.expect_message("您已经登记为「阳光社区 · 第一网格 · 1号楼」的居民了")
        await w.resident.says(w.group, "今天天气真好")  # the hint is for the private chat only
        await w.group.expect_nothing()


async def resident_of_two_buildings(bot: BotUnderTest) -> tuple[Building, ChatView]:
    """The building's world with 2号楼's group bound too and its resident living in both; returns 2号楼's group."""
    w = await building(bot)
    second = bot.group("2号楼业主群")
    await bind(bot, second, B2)
    await bot.grant(w.resident, Role.RESIDENT, B2)
    return w, second


async def picks_the_second_building(w: Building, chat: ChatView) -> None:
    """The private picker offers both buildings and 否; the resident picks 2号楼."""
    picker = await chat.expect_message("要把这条作为报修提交给哪栋楼？")
    labels = [label for label, _ in picker.buttons]
    assert labels == ["阳光社区 · 第一网格 · 1号楼", "阳光社区 · 第一网格 · 2号楼", "否"]
    await w.resident.presses(chat, picker, "2号楼")


async def test_a_resident_of_two_buildings_picks_one_and_a_stranger_hears_how_to_belong(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w, second = await resident_of_two_buildings(bot)
        chat = bot.private(w.resident)
        await w.resident.says(chat, "单元门的门禁刷不开了")
        await picks_the_second_building(w, chat)
        offer = await chat.expect_edit("要把这条作为报修提交给 2号楼 吗？")
        await w.resident.presses(chat, offer, "是")
        await chat.expect_message("已登记工单 #1（报修）")
        await second.expect_message("📋 工单 #1 · 报修")
        await w.group.expect_nothing()

        stranger = bot.person("路人甲")
        theirs = bot.private(stranger)
        await stranger.says(theirs, "小区的路灯坏了")
        await theirs.expect_message("您还没有登记所在楼栋。请在本楼的业主群里发言或报修，或私聊我发送「我住在2号楼」")


async def test_a_report_command_from_a_resident_of_two_buildings_opens_in_the_building_picked(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w, second = await resident_of_two_buildings(bot)
        chat = bot.private(w.resident)
        await w.resident.says(chat, "报修 3单元电梯坏了")
        await picks_the_second_building(w, chat)
        await chat.expect_edit("好的，帮您登记")
        await chat.expect_message("已登记工单 #1（报修）")
        card = await second.expect_message("📋 工单 #1 · 报修")
        assert "2号楼" in (card.text or "") and "电梯坏了" in (card.text or "")
        await w.group.expect_nothing()

        await w.resident.says(chat, "投诉 物业的态度太差了")  # no request to the classifier: 投诉 makes it a dispute
        picker = await chat.expect_message("要把这条作为邻里纠纷提交给哪栋楼？")
        await w.resident.presses(chat, picker, "2号楼")
        await chat.expect_message("已登记工单 #2（邻里纠纷）")
        await bot.private(w.grid_worker).expect_message_with("邻里纠纷")
        for group in (w.group, second):
            await group.expect_nothing()


async def test_a_report_command_from_a_resident_of_one_building_opens_at_once(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        chat = bot.private(w.resident)
        await w.resident.says(chat, "报修 3单元电梯坏了")
        await chat.expect_message("已登记工单 #1（报修），楼栋长确认后会安排处理")
        card = await w.group.expect_message("📋 工单 #1 · 报修")
        assert "1号楼 · 3单元" in (card.text or "")


async def test_on_wecom_a_private_request_is_offered_and_typed_yes_opens_it(database_url: str) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await building(bot)
        resident = wecom.user("wangayi")
        await wecom.grant(resident, Role.RESIDENT, B1)
        await resident.says_privately("3单元的楼道灯坏了，晚上看不见")
        offer = await resident.expect_private("要把这条作为报修提交给 1号楼 吗？")
        await resident.says_privately(choice(offer.content, "是"))
        await resident.expect_private("已登记工单 #1（报修）")
        card = await w.group.expect_message("📋 工单 #1 · 报修")
        assert "1号楼 · 3单元" in (card.text or "")
        await resident.says_privately("谢谢")
        await resident.expect_private(HINT)
