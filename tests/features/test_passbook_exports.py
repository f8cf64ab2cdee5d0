"""Transcripts: staff export the community's ledger, balances and 星级文明户 as Excel and CSV files sent privately;
the files open in openpyxl / csv with the right rows and totals."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from models.passbook import EntryKind
from tests.features.harness import ManualClock, running_bot
from tests.features.shop_world import award, redeem
from tests.features.tickets_world import building

SHANGHAI_10AM = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


def xlsx_rows(content: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())  # so Excel opens the Chinese text correctly
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def test_ledger_balances_and_star_households_export_with_the_right_totals(database_url: str) -> None:
    clock = ManualClock()
    clock.now = SHANGHAI_10AM
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        await award(bot, w.head, 30, "2025 年扫雪", datetime(2025, 12, 30, 2, tzinfo=UTC))
        await award(bot, w.volunteer, 120, "重阳节陪护", datetime(2026, 10, 20, 2, tzinfo=UTC))
        await award(bot, w.resident, 100, "义诊帮忙", datetime(2026, 11, 3, 2, tzinfo=UTC))
        await award(bot, w.neighbour, 40, "扫雪", datetime(2026, 11, 5, 2, tzinfo=UTC))
        await award(bot, w.neighbour, -10, "撤销：多记了", datetime(2026, 11, 6, 2, tzinfo=UTC), EntryKind.REVERSAL)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "上架 大米 60 3")
        await desk.expect_message("已上架：大米")
        await redeem(bot, w.resident, "大米")

        await w.staff.says(desk, "导出")
        menu = await desk.expect_message("阳光社区 报表导出")
        assert "积分明细：2026 年 11 月" in (menu.text or "") and "星级文明户：2026 年" in (menu.text or "")

        await w.staff.presses(desk, menu, "积分明细 Excel")
        await w.staff.expect_answer("报表已发送")
        sent, content = await desk.expect_document("阳光社区_积分明细_2026-11.xlsx")
        assert sent.text == "阳光社区 积分明细（2026 年 11 月）：4 条，合计 70 分"
        rows = xlsx_rows(content)
        assert rows[0] == ["流水号", "时间", "姓名", "楼栋", "类型", "积分变动", "事由", "来源", "经办人"]
        assert [(r[2], r[4], r[5]) for r in rows[1:-1]] == [
            ("王小明", "奖励", 100),
            ("刘阿姨", "奖励", 40),
            ("刘阿姨", "冲正", -10),
            ("王小明", "兑换", -60),
        ]
        assert rows[1][1] == "2026-11-03 10:00" and rows[1][3] == "1号楼"
        assert rows[-1][0] == "合计" and rows[-1][5] == 70 == sum(int(str(r[5])) for r in rows[1:-1])
        assert rows[4][6] == "兑换：大米" and rows[4][8] == "王小明"

        await w.staff.presses(desk, menu, "积分明细 CSV")
        _, content = await desk.expect_document("阳光社区_积分明细_2026-11.csv")
        assert [row[5] for row in csv_rows(content)] == ["积分变动", "100", "40", "-10", "-60", "70"]

        await w.staff.presses(desk, menu, "余额 Excel")
        sent, content = await desk.expect_document("阳光社区_积分余额_2026-11-16.xlsx")
        assert sent.text == "阳光社区 积分余额：4 人，可用合计 220 分，终身合计 280 分"
        rows = xlsx_rows(content)
        assert rows[0] == ["姓名", "楼栋", "可用积分", "终身积分", "星级"]
        by_name = {r[0]: (r[2], r[3], r[4]) for r in rows[1:-1]}
        assert by_name == {
            "王小明": (40, 100, "★"),
            "刘阿姨": (30, 30, "☆"),
            "李楼长": (30, 30, "☆"),
            "陈志愿": (120, 120, "★"),
        }
        assert rows[-1][:4] == ["合计", None, 220, 280]

        await w.staff.presses(desk, menu, "余额 CSV")
        _, content = await desk.expect_document("积分余额")
        assert csv_rows(content)[-1][:4] == ["合计", "", "220", "280"]

        await w.staff.presses(desk, menu, "年度星级文明户 Excel")
        sent, content = await desk.expect_document("阳光社区_星级文明户_2026.xlsx")
        assert sent.text == "阳光社区 2026 年度星级文明户：3 人"
        rows = xlsx_rows(content)
        assert [(r[0], r[1], r[3]) for r in rows[1:-1]] == [(1, "陈志愿", 120), (2, "王小明", 100), (3, "刘阿姨", 30)]
        assert rows[-1][3] == 250

        await w.staff.says(desk, "导出 2025")
        older = await desk.expect_message("积分明细：2025 年全年")
        await w.staff.presses(desk, older, "年度星级文明户 CSV")
        _, content = await desk.expect_document("阳光社区_星级文明户_2025.csv")
        assert csv_rows(content)[1:] == [["1", "李楼长", "1号楼", "30", "30", "☆"], ["合计", "", "", "30", "", ""]]

        await w.staff.says(desk, "星级文明户")
        ranking = await desk.expect_message("阳光社区 2026 年度星级文明户")
        assert "1. 陈志愿（1号楼）120 分 ★" in (ranking.text or "")
        assert "3. 刘阿姨（1号楼）30 分 ☆" in (ranking.text or "")
        await w.staff.presses(desk, ranking, "Excel")
        await desk.expect_document("星级文明户_2026.xlsx")

        await w.staff.says(desk, "导出 2026-13")
        await desk.expect_message("没看懂这个时间")
        await w.staff.says(w.group, "导出")
        await w.group.expect_message("报表只发给您本人")
