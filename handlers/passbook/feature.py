"""The passbook feature (爱心存折): earning points, checking them, the 爱心超市 and its shelf, the office's reports.
Its modules stand side by side on the ledger (models/ledger.py), the rules and the shop keepers."""

from __future__ import annotations

from handlers.core.feature import Command, CommandHandler, Feature, TextStep
from handlers.core.hooks import (
    Attended,
    AwaitingAnswer,
    HelpConfirmed,
    Listen,
    ReportConfirmed,
    TicketReopened,
    TicketResolved,
)
from handlers.core.types import ChatKind
from handlers.passbook import checking, earning, exports, shop, shop_admin
from handlers.passbook.keepers import SHOP_KEEPERS
from handlers.passbook.rules import AWARDER_ROLES, REVOKER_ROLES, passbook_from
from handlers.passbook.texts import CATALOGUE
from models.ledger import merge_balances

KEEPERS = frozenset(SHOP_KEEPERS)
STAFF = frozenset(REVOKER_ROLES)


def keepers_only(
    name: str, handler: CommandHandler, description_key: str, aliases: tuple[str, ...], private_only: str | None = None
) -> Command:
    """A command for the community's shop keepers (staff and admins)."""
    return Command(
        name,
        handler,
        description_key,
        aliases=aliases,
        roles=KEEPERS,
        refusal="shop.keeper_only",
        private_only=private_only,
    )


FEATURE = Feature(
    name="passbook",
    help_topic="points",
    commands=(
        Command(
            "award",
            earning.award_command,
            "cmd.award",
            aliases=("加分",),
            roles=frozenset(AWARDER_ROLES),
            refusal="passbook.award_refused",
        ),
        Command(
            "revoke",
            earning.revoke_command,
            "cmd.revoke",
            aliases=("撤销积分", "撤销加分"),
            roles=STAFF,
            refusal="passbook.revoke_refused",
        ),
        Command("points", checking.points_command, "cmd.points", aliases=("我的积分", "积分"), topic="everyday"),
        Command("passbook", checking.passbook_command, "cmd.passbook", aliases=("积分明细", "爱心存折")),
        Command("rank", checking.rank_command, "cmd.rank", aliases=("排行榜", "积分榜")),
        Command("rankname", checking.rank_name_command, "cmd.rankname", aliases=("排行榜名字", "排名显示")),
        Command(
            "pbcheck",
            checking.check_command,
            "cmd.pbcheck",
            aliases=("积分核对",),
            roles=STAFF,
            refusal="passbook.check_refused",
        ),
        Command("shop", shop.open_shop, "cmd.shop", aliases=("爱心超市", "兑换")),
        keepers_only("handover", shop.handover_command, "cmd.handover", ("核销",)),
        keepers_only("shopadmin", shop_admin.show_admin, "cmd.shopadmin", ("超市管理",), "shopadmin.private_only"),
        keepers_only("shopadd", shop_admin.add_item, "cmd.shopadd", ("上架",), "shopadmin.private_only"),
        keepers_only("shopimport", shop_admin.import_items, "cmd.shopimport", ("导入商品",), "shopadmin.private_only"),
        keepers_only("shopinfo", shop_admin.set_desk, "cmd.shopinfo", ("超市信息",), "shopadmin.private_only"),
        keepers_only("export", exports.export_menu, "cmd.export", ("导出", "导出报表"), "export.private_only"),
        keepers_only("stars", exports.show_stars, "cmd.stars", ("星级文明户",), "export.private_only"),
    ),
    callbacks={
        "pba": earning.on_picker_button,
        "pbl": checking.on_history_button,
        "pbr": checking.on_rank_button,
        "shop": shop.on_shop_button,
        "shoph": shop.on_handover_button,
        "shopa": shop_admin.on_admin_button,
        "exp": exports.on_export_button,
    },
    button_chats={"shop": ChatKind.PRIVATE, "shopa": ChatKind.PRIVATE, "exp": ChatKind.PRIVATE},
    text=(TextStep(10, earning.on_private_text),),  # a typed reason for the awarder's draft
    sweeps=(shop.sweep_shop,),
    merge_steps=(merge_balances,),
    listens=(
        Listen(ReportConfirmed, earning.award_confirmed_report),
        Listen(TicketResolved, earning.award_volunteer_resolution),
        Listen(TicketReopened, earning.reverse_resolution_award),
        Listen(Attended, earning.award_attendance),
        Listen(HelpConfirmed, earning.award_help),
        Listen(AwaitingAnswer, earning.writing_an_award),
    ),
    settings=passbook_from,
    texts=CATALOGUE,
)
