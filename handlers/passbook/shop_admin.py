"""Keeping the 爱心超市 shelf: staff list items with buttons (上架/下架, stock ±1), add or change one with
「上架 名称 积分 库存」, and import a CSV (pasted after 「导入商品」, or `python -m bot shop import`). An import is
all or nothing: the first bad line is named and nothing changes."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from handlers.common.numbers import MAX_ID, NumberProblem, read_number
from handlers.common.roles import may_act_on
from handlers.core.context import Context
from handlers.core.texts import quoted
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard
from handlers.passbook.keepers import SHOP_KEEPERS, keeper_community
from handlers.passbook.rules import desk_lines
from handlers.passbook.texts import translate
from models.base import AsyncSession
from models.places import Place, PlaceKind, place_by_id
from models.shop import ItemRow, RewardItem, held_counts, items_of, save_items, set_shop_desk, shop_desk_of

NAME_MAX = 60
ADMIN_PAGE = 8
"""Items per page of the staff view: three buttons each keeps a page well inside Telegram's keyboard limits."""
COLUMNS = {
    "名称": "name",
    "物品": "name",
    "name": "name",
    "item": "name",
    "积分": "cost",
    "cost": "cost",
    "points": "cost",
    "库存": "stock",
    "stock": "stock",
    "上架": "active",
    "active": "active",
}
REQUIRED = ("name", "cost", "stock")
YES = {"是", "上架", "1", "yes", "y", "true", ""}
DESK_FIELDS = {
    "地址": "address",
    "领取地点": "address",
    "地点": "address",
    "address": "address",
    "营业时间": "hours",
    "开放时间": "hours",
    "时间": "hours",
    "hours": "hours",
}
DESK_LABEL = re.compile(r"^\s*(" + "|".join(sorted(DESK_FIELDS, key=len, reverse=True)) + r")\s*[:：]\s*(.*)$", re.I)
DESK_LIMIT = 120
NO = {"否", "下架", "0", "no", "n", "false"}


class CatalogueError(Exception):
    """A line of a catalogue cannot be used; `text(locale)` says which line and why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values

    def text(self, locale: str) -> str:
        return translate(locale, self.key, **self.values)


# ---- reading rows ---------------------------------------------------------------------------------------------


def parse_whole_number(value: str, *, minimum: int, line: int, key: str) -> int:
    number = read_number(value)
    if number is NumberProblem.TOO_LARGE:
        raise CatalogueError("shopadmin.too_large", line=line, value=quoted(value), maximum=MAX_ID)
    if not isinstance(number, int) or number < minimum:
        raise CatalogueError(key, line=line, value=quoted(value))
    return number


def item_row(name: str, cost: str, stock: str, active: str, line: int) -> ItemRow:
    """One checked row; raises CatalogueError naming the line."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise CatalogueError("shopadmin.bad_name", line=line, limit=NAME_MAX)
    flag = active.strip().lower()
    if flag not in YES | NO:
        raise CatalogueError("shopadmin.bad_active", line=line, value=quoted(active))
    return ItemRow(
        name=name,
        cost=parse_whole_number(cost, minimum=1, line=line, key="shopadmin.bad_cost"),
        stock=parse_whole_number(stock, minimum=0, line=line, key="shopadmin.bad_stock"),
        active=flag in YES,
    )


def header_columns(header: list[str]) -> dict[str, int]:
    """Which position holds name / cost / stock / active; Chinese or English headers, any order."""
    positions = {COLUMNS.get(cell.strip().lower().lstrip("\ufeff"), ""): i for i, cell in enumerate(header)}
    if any(column not in positions for column in REQUIRED):
        raise CatalogueError("shopadmin.bad_header", found=quoted(",".join(header)))
    return positions


def parse_catalogue(text: str) -> list[ItemRow]:
    """Every row of a CSV catalogue (a header line first), or CatalogueError for the first bad line."""
    rows = [(n, r) for n, r in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1) if any(r)]
    if len(rows) < 2:
        raise CatalogueError("shopadmin.empty")
    positions = header_columns(rows[0][1])
    width = len(rows[0][1])
    seen: dict[str, int] = {}
    parsed = []
    for line, cells in rows[1:]:
        if len(cells) != width:
            raise CatalogueError("shopadmin.bad_width", line=line, expected=width, found=len(cells))
        active = cells[positions["active"]] if "active" in positions else ""
        row = item_row(cells[positions["name"]], cells[positions["cost"]], cells[positions["stock"]], active, line)
        if row.name in seen:
            raise CatalogueError("shopadmin.duplicate", line=line, name=row.name, first=seen[row.name])
        seen[row.name] = line
        parsed.append(row)
    return parsed


def parse_item_words(args: str) -> ItemRow:
    """「上架 大米 5斤 100 10」: the last two words are points and stock, the rest is the name."""
    words = args.split()
    if len(words) < 3:
        raise CatalogueError("shopadmin.add_usage")
    return item_row(" ".join(words[:-2]), words[-2], words[-1], "", 1)


async def import_catalogue(session: AsyncSession, *, community: Place, text: str, now: datetime) -> tuple[int, int]:
    """Parse then save every row in the caller's transaction; (created, updated)."""
    rows = parse_catalogue(text)
    created = await save_items(session, community_id=community.id or 0, rows=rows, now=now)
    return created, len(rows) - created


# ---- the staff view -------------------------------------------------------------------------------------------


async def admin_page(ctx: Context, community: Place, page: int = 0, *, showing: str = "") -> tuple[str, Keyboard]:
    """One page of the items (on or off the shelf) with stock and open holds, a button row per item; with
    ``showing``, the page that holds the item of that name."""
    items = await items_of(ctx.session, community_id=community.id or 0)
    pages = max(1, -(-len(items) // ADMIN_PAGE))
    if showing:
        page = next((n for n, item in enumerate(items) if item.name == showing), 0) // ADMIN_PAGE
    page = min(max(page, 0), pages - 1)
    first = page * ADMIN_PAGE
    shown = items[first : first + ADMIN_PAGE]
    held = await held_counts(ctx.session, item_ids=[i.id or 0 for i in shown])
    lines = [admin_line(ctx, n, item, held.get(item.id or 0, 0)) for n, item in enumerate(shown, start=first + 1)]
    if pages > 1:
        lines.append(ctx.t("shopadmin.page_of", page=page + 1, pages=pages, count=len(items)))
    text = ctx.t("shopadmin.page", community=community.name, items="\n".join(lines) or ctx.t("shopadmin.no_items"))
    rows = tuple(
        (
            Button(
                ctx.t("button.shopadmin_off" if item.active else "button.shopadmin_on", name=item.name),
                f"shopa:t:{item.id}:{page}",
            ),
            Button(ctx.t("button.shopadmin_more"), f"shopa:up:{item.id}:{page}"),
            Button(ctx.t("button.shopadmin_less"), f"shopa:dn:{item.id}:{page}"),
        )
        for item in shown
    )
    return text, rows + ctx.paging_row(page=page, more=page + 1 < pages, data=f"shopa:p:{community.id}")


def admin_line(ctx: Context, number: int, item: RewardItem, held: int) -> str:
    return ctx.t(
        "shopadmin.line",
        number=number,
        name=item.name,
        cost=item.cost,
        stock=item.stock,
        held=ctx.t("shopadmin.held", count=held) if held else "",
        state=ctx.t("shopadmin.on" if item.active else "shopadmin.off"),
    )


async def show_admin(ctx: Context, message: IncomingMessage) -> None:
    """/shopadmin (超市管理): the shelf with its buttons and how to add or import."""
    community = await keeper_community(ctx)
    if community is not None:
        text, buttons = await admin_page(ctx, community)
        ctx.reply(text, buttons=buttons)


async def add_item(ctx: Context, message: IncomingMessage) -> None:
    """上架 名称 积分 库存: a new item, or new cost and stock for an existing one (back on the shelf)."""
    community = await keeper_community(ctx)
    if community is None:
        return
    try:
        row = parse_item_words(message.args)
    except CatalogueError as error:
        ctx.reply(
            error.text(ctx.locale)
            if error.key == "shopadmin.add_usage"
            else f"{error.text(ctx.locale)}\n{ctx.t('shopadmin.add_usage')}"
        )
        return
    created = await save_items(ctx.session, community_id=community.id or 0, rows=[row], now=ctx.now)
    key = "shopadmin.added" if created else "shopadmin.updated"
    text, buttons = await admin_page(ctx, community, showing=row.name)
    ctx.reply(ctx.t(key, name=row.name, cost=row.cost, stock=row.stock) + "\n\n" + text, buttons=buttons)


async def import_items(ctx: Context, message: IncomingMessage) -> None:
    """导入商品 followed by CSV lines in the same message."""
    community = await keeper_community(ctx)
    if community is None:
        return
    if not message.args.strip():
        ctx.reply(ctx.t("shopadmin.import_usage"))
        return
    try:
        created, updated = await import_catalogue(ctx.session, community=community, text=message.args, now=ctx.now)
    except CatalogueError as error:
        ctx.reply(ctx.t("shopadmin.import_failed", error=error.text(ctx.locale)))
        return
    text, buttons = await admin_page(ctx, community)
    done = ctx.t("shopadmin.imported", total=created + updated, created=created, updated=updated)
    ctx.reply(done + "\n\n" + text, buttons=buttons)


async def on_admin_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """shopa:<t|up|dn>:<item>:<page> — toggle on/off the shelf, one more or one fewer in stock, staying on the
    page; shopa:p:<community>:<page> — another page. (Cards from before paging carry no page: the first.)"""
    action, numbers = (parts[0], parts[1:]) if parts else ("", [])
    if action not in ("t", "up", "dn", "p") or not 1 <= len(numbers) <= 2 or not all(map(str.isdigit, numbers)):
        ctx.answer(ctx.t("button.stale"))
        return
    page = int(numbers[1]) if len(numbers) == 2 else 0
    if action == "p":
        item, community_id = None, int(numbers[0])
    else:
        item = await ctx.session.get(RewardItem, int(numbers[0]))
        community_id = item.community_id if item else 0
    community = await place_by_id(ctx.session, place_id=community_id)
    if community is None or community.kind != PlaceKind.COMMUNITY:
        ctx.answer(ctx.t("button.stale"))
        return
    if not await may_act_on(ctx, community, SHOP_KEEPERS):
        ctx.answer(ctx.t("shop.keeper_only"), alert=True)
        return
    if item is not None and not change_item(ctx, item, action):
        return
    text, buttons = await admin_page(ctx, community, page)
    ctx.edit_pressed(text, buttons=buttons)
    ctx.answer()


def change_item(ctx: Context, item: RewardItem, action: str) -> bool:
    """Toggle ``item`` on or off the shelf (t), or one more (up) or fewer (dn) in stock; False if it cannot."""
    if action == "dn" and item.stock == 0:
        ctx.answer(ctx.t("shopadmin.stock_zero"))
        return False
    if action == "t":
        item.active = not item.active
    else:
        item.stock += 1 if action == "up" else -1
    item.updated_at = ctx.now
    return True


# ---- where and when items are handed over -------------------------------------------------------------------


def parse_desk(text: str) -> dict[str, str]:
    """「地址：社区服务中心一楼」 and 「营业时间：周二至周日 9:00-17:00」, one a line (or after ；): what was given."""
    given: dict[str, str] = {}
    for part in re.split(r"[\n；;]", text):
        match = DESK_LABEL.match(part)
        if match and match.group(2).strip():
            given[DESK_FIELDS[match.group(1).lower()]] = match.group(2).strip()
    return given


async def set_desk(ctx: Context, message: IncomingMessage) -> None:
    """超市信息 地址：… 营业时间：…: where and when the shop hands items over (a field not given stays)."""
    community = await keeper_community(ctx)
    if community is None:
        return
    desk = await shop_desk_of(ctx.session, community_id=community.id or 0)
    given = parse_desk(message.args)
    if not given:
        current = desk_lines(ctx.t, desk)
        shown = ctx.t("shop.desk_current", desk=current) if current else ctx.t("shop.desk_none")
        ctx.reply(f"{shown}\n\n{ctx.t('shop.desk_usage')}")
        return
    for field, value in given.items():
        if len(value) > DESK_LIMIT:
            ctx.reply(ctx.t("shop.desk_too_long", field=ctx.t(f"shop.desk_field_{field}"), limit=DESK_LIMIT))
            return
    desk = await set_shop_desk(
        ctx.session,
        community_id=community.id or 0,
        address=given.get("address", desk.address if desk else ""),
        hours=given.get("hours", desk.hours if desk else ""),
        now=ctx.now,
    )
    ctx.reply(ctx.t("shop.desk_saved", desk=desk_lines(ctx.t, desk)))
