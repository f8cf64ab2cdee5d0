"""The week a newcomer spends in the sandbox, in a real browser against the sandbox page, in Chinese and in English:
a report confirmed, dispatched and resolved, 回访 answered by two residents (one privately, one who never started
the bot in the group) and reopened; an event with a waiting list and a check-in; an award, 积分, 兑换 and 核销."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ON_POSTGRES
from tests.features.test_sandbox import GROUP, sandbox

RESIDENT, NEIGHBOUR, HEAD, STAFF, VOLUNTEER = 7001001, 7001002, 7001003, 7001005, 7001008
SHANGHAI = ZoneInfo("Asia/Shanghai")
WAIT_MS = 30_000
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Words:
    """What the newcomer types and what they expect to read, in one locale."""

    page: tuple[str, str, str]  # the page's own words: the chat and persona labels, the send button
    card: str
    same: str
    confirm: str
    assign: str
    picker: str
    job: str
    done: str
    asked: str
    fixed: str
    rate: str
    asked_in_group: str
    not_fixed: str
    reopened: str
    new_event: str
    event_prompts: tuple[str, ...]
    scope: str
    next_step: str
    preview: str
    publish: str
    code: str
    sign_up: str
    going: str
    waitlisted: str
    waiting: str
    checkin: str
    checked_in: str
    award: str
    awarded: str
    points: str
    passbook: str
    shop: str
    shelf: str
    redeem_prompt: str
    redeem: str
    pickup: str
    handover: str
    handed_over: str
    collected: str


ZH = Words(
    page=("聊天", "身份", "发送"),
    card="工单 #1",
    same="是同一个问题吗？",
    confirm="确认",
    assign="派单",
    picker="#1 派给谁处理？",
    job="您有新的派单：工单 #1",
    done="已处理",
    asked="修好了吗？",
    fixed="已解决",
    rate="请为这次处理打分",
    asked_in_group="刘阿姨，您反映的问题 #1",
    not_fixed="没解决",
    reopened="居民反馈没解决",
    new_event="活动",
    event_prompts=("请发送活动名称", "活动时间", "几点结束", "活动地点", "名额上限", "爱心积分"),
    scope="在哪些群发布",
    next_step="下一步",
    preview="预览",
    publish="发布",
    code="签到码：",
    sign_up="报名",
    going="已报名 1 / 1",
    waitlisted="候补第 1 位",
    waiting="候补 1",
    checkin="签到",
    checked_in="签到成功：义诊",
    award="加分 5 扫雪",
    awarded="王小明 +5 分：扫雪",
    points="积分",
    passbook="王小明的爱心存折",
    shop="兑换",
    shelf="阳光社区爱心超市",
    redeem_prompt="确认兑换「理发券」吗",
    redeem="确认兑换",
    pickup="取货码：",
    handover="核销",
    handed_over="已核销：王小明 · 理发券",
    collected="您已领取「理发券」",
)
EN = Words(
    page=("Chat", "Speaking as", "Send"),
    card="Ticket #1",
    same="Is it the same problem?",
    confirm="Confirm",
    assign="Assign",
    picker="Who should handle #1?",
    job="New job: ticket #1",
    done="Done",
    asked="Is it fixed?",
    fixed="Fixed",
    rate="Please rate",
    asked_in_group="刘阿姨, your report #1",
    not_fixed="Not fixed",
    reopened="not fixed according to the resident",
    new_event="/event",
    event_prompts=(
        "Send its title",
        "When?",
        "When does it end?",
        "Where?",
        "How many places?",
        "points for checking in",
    ),
    scope="Which groups",
    next_step="Next",
    preview="Preview",
    publish="Publish",
    code="Check-in code: ",
    sign_up="Sign up",
    going="Signed up 1 / 1",
    waitlisted="number 1 on the waiting list",
    waiting="waiting list 1",
    checkin="/checkin",
    checked_in="Checked in: 义诊",
    award="/award 5 snow clearing",
    awarded="王小明 +5 points: snow clearing",
    points="/points",
    passbook="王小明's love passbook",
    shop="/shop",
    shelf="阳光社区 love shop",
    redeem_prompt="Redeem 理发券?",
    redeem="Redeem",
    pickup="Pickup code: ",
    handover="/handover",
    handed_over="Handed over: 王小明 · 理发券",
    collected="You collected 理发券",
)


class Screen:
    """The sandbox page as a newcomer uses it: pick a chat and a persona, type, reply, press buttons."""

    def __init__(self, page: Any) -> None:
        self.page = page

    async def in_group_as(self, persona: int) -> None:
        await self.page.select_option("#chat", str(GROUP))
        await self.page.select_option("#persona", str(persona))

    async def in_private_of(self, persona: int) -> None:
        await self.page.select_option("#chat", str(persona))

    async def says(self, text: str, *, replying_to: Any = None) -> None:
        if replying_to is not None:
            await replying_to.locator(".reply-action").click()
        await self.page.fill("#text", text)
        await self.page.press("#text", "Enter")

    async def sees(self, contains: str) -> Any:
        """The latest bot message in this chat that shows ``contains`` (waiting for it)."""
        row = self.page.locator("#log .row.bot", has_text=contains).last
        await row.wait_for(timeout=WAIT_MS)
        return row

    async def presses(self, row: Any, label: str) -> None:
        await row.locator(".keyboard button", has_text=label).first.click()

    async def dismisses_alert(self, contains: str) -> None:
        box = self.page.locator(".alert-box", has_text=contains)
        await box.wait_for(timeout=WAIT_MS)
        await box.locator("button").click()


async def text_of(row: Any) -> str:
    return str(await row.locator(".bubble").inner_text())


async def report_to_reopen(screen: Screen, w: Words) -> None:
    """报修 → +1 → 确认 → 派单 → 已处理 → 回访: the reporter says fixed privately, the neighbour (who never started
    the bot) says not fixed in the group, and the ticket is reopened."""
    await screen.in_group_as(RESIDENT)
    await screen.says("3单元楼道灯坏了，晚上很黑")
    card = await screen.sees(w.card)
    await screen.in_group_as(NEIGHBOUR)
    await screen.says("楼道灯还是坏的，3单元")
    await screen.presses(await screen.sees(w.same), "+1")
    await screen.in_group_as(HEAD)
    await screen.presses(card, w.confirm)
    await (
        screen.page.locator("#log .row.bot", has_text=w.card)
        .locator(".keyboard button", has_text=w.assign)
        .first.wait_for()
    )
    await screen.presses(card, w.assign)
    await screen.presses(await screen.sees(w.picker), "陈志愿")

    await screen.in_private_of(VOLUNTEER)
    await screen.presses(await screen.sees(w.job), w.done)
    await screen.in_private_of(RESIDENT)
    await screen.presses(await screen.sees(w.asked), w.fixed)
    await screen.sees(w.rate)

    await screen.in_group_as(NEIGHBOUR)
    await screen.presses(await screen.sees(w.asked_in_group), w.not_fixed)
    await screen.sees(w.reopened)


async def event_with_waiting_list_and_check_in(screen: Screen, w: Words) -> None:
    """Staff publish an event with one place; the resident takes it, the neighbour waits; the resident checks in."""
    await screen.in_private_of(STAFF)
    await screen.says(w.new_event)
    starts = (datetime.now(SHANGHAI) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    for prompt, answer in zip(w.event_prompts, ("义诊", starts, "不定", "社区活动室", "1", "5"), strict=True):
        await screen.sees(prompt)
        await screen.says(answer)
    await screen.presses(await screen.sees(w.scope), "1号楼")
    await screen.presses(await screen.sees(w.scope), w.next_step)
    await screen.presses(await screen.sees(w.preview), w.publish)
    code = re.search(re.escape(w.code) + r"(\d{4})", await text_of(await screen.sees(w.code)))
    assert code is not None

    await screen.in_group_as(RESIDENT)
    card = await screen.sees("🎪 义诊")
    await screen.presses(card, w.sign_up)
    await screen.sees(w.going)
    await screen.in_group_as(NEIGHBOUR)
    await screen.presses(card, w.sign_up)
    await screen.dismisses_alert(w.waitlisted)
    await screen.sees(w.waiting)
    await screen.in_group_as(RESIDENT)
    await screen.says(f"{w.checkin} {code.group(1)}")
    await screen.sees(w.checked_in)


async def award_points_redeem_and_hand_over(screen: Screen, w: Words) -> None:
    """加分 by reply → 积分 → 兑换 (the pickup code says where and when) → 核销 → the resident is told."""
    await screen.in_group_as(STAFF)
    report = screen.page.locator("#log .row.user", has_text="3单元楼道灯坏了").first
    await screen.says(w.award, replying_to=report)
    await screen.sees(w.awarded)
    await screen.in_group_as(RESIDENT)
    await screen.says(w.points)
    await screen.sees(w.passbook)

    await screen.in_private_of(RESIDENT)
    await screen.says(w.shop)
    await screen.presses(await screen.sees(w.shelf), "理发券")
    await screen.presses(await screen.sees(w.redeem_prompt), w.redeem)
    held = await text_of(await screen.sees(w.pickup))
    assert "阳光社区服务中心一楼" in held, held
    code = re.search(re.escape(w.pickup) + r"(\d{6})", held)
    assert code is not None
    await screen.in_private_of(STAFF)
    await screen.says(f"{w.handover} {code.group(1)}")
    await screen.sees(w.handed_over)
    await screen.in_private_of(RESIDENT)
    await screen.sees(w.collected)


@pytest.mark.parametrize("locale", ["zh", "en"])
async def test_a_newcomers_week_in_the_sandbox_page(
    tmp_path: Path, database_url: str, browser: Any, locale: str
) -> None:
    w = ZH if locale == "zh" else EN
    database = database_url if ON_POSTGRES else f"sqlite:///{tmp_path}/sandbox.db"
    async with sandbox(tmp_path, database, locale=locale, within=60) as sandbox_page:
        page = await browser.new_page()
        await page.goto(sandbox_page.api.removesuffix("/sandbox/api") + "/")
        await page.wait_for_selector(f'#chat option[value="{GROUP}"]', state="attached")
        header, send = await page.inner_text("header label:nth-of-type(1) span"), await page.inner_text("#send")
        assert (header, await page.inner_text("header label:nth-of-type(2) span"), send) == w.page
        if locale == "en":
            assert not CJK.search(await page.inner_text("h1") + await page.inner_text("#console-link"))
            private = await page.inner_text(f'#chat option[value="{RESIDENT}"]')
            assert "Private chat with the bot" in private, private
        screen = Screen(page)
        await report_to_reopen(screen, w)
        await event_with_waiting_list_and_check_in(screen, w)
        await award_points_redeem_and_hand_over(screen, w)
        await page.screenshot(path=str(tmp_path / f"journey-{locale}.png"), full_page=True)
