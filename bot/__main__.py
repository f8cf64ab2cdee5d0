"""`python -m bot run [--role web|worker|sender|sweeper|all] |
migrate | sandbox | org import FILE | shop import COMMUNITY FILE | passbook check |
admin invite ROLE NODE | inbox list | inbox retry ID`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bot", description="Linli (邻里) community bot")
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the bot (the sandbox when no TELEGRAM_BOT_TOKEN is set)")
    run.add_argument(
        "--role",
        choices=("web", "worker", "sender", "sweeper", "all"),
        default="all",
        help="what this process does (default all); run several of each against one PostgreSQL database: web "
        "(webhook, WeCom callbacks, console), worker (the inbox), sender (the outbox), sweeper (timers, one leads)",
    )
    commands.add_parser("sandbox", help="start the local sandbox even if a token is set")
    migrate = commands.add_parser("migrate", help="upgrade the database to the newest schema")
    migrate.add_argument("--downgrade", metavar="REVISION", help="downgrade to REVISION instead (e.g. base)")
    org = commands.add_parser("org", help="the 社区/网格/楼栋 tree").add_subparsers(dest="org_command", required=True)
    org_import = org.add_parser("import", help="load the tree from a YAML or CSV file")
    org_import.add_argument("file", type=Path)
    shop = commands.add_parser("shop", help="the 爱心超市 catalogue").add_subparsers(dest="shop_command", required=True)
    shop_import = shop.add_parser("import", help="create or update a community's items from a CSV file")
    shop_import.add_argument("community", help="the community's code, e.g. 麟绛社区")
    shop_import.add_argument(
        "file", type=Path, help="CSV with a header: 名称,积分,库存[,上架] (or name,cost,stock,active)"
    )
    passbook = commands.add_parser("passbook", help="the 爱心存折 points ledger")
    passbook.add_subparsers(dest="passbook_command", required=True).add_parser(
        "check", help="report persons whose stored balances differ from the ledger (exit 1 if any)"
    )
    inbox = commands.add_parser("inbox", help="updates received but set aside").add_subparsers(
        dest="inbox_command", required=True
    )
    inbox.add_parser("list", help="list the updates set aside (unreadable, or failed too often) with their reasons")
    retry = inbox.add_parser("retry", help="process a set-aside update again (after a fix)")
    retry.add_argument("id", type=int, help="the number `inbox list` shows, e.g. 12 for #12")
    admin = commands.add_parser("admin", help="administration").add_subparsers(dest="admin_command", required=True)
    invite = admin.add_parser("invite", help="print a one-time invite link granting ROLE on NODE")
    invite.add_argument("role", help="resident, volunteer, building_head, grid_worker, staff or admin")
    invite.add_argument("node", help="the place's code, e.g. 麟绛社区/第一网格/3号楼")
    wecom = commands.add_parser("wecom", help="WeCom (企业微信) groups").add_subparsers(
        dest="wecom_command", required=True
    )
    robot = wecom.add_parser("bind-robot", help="bind a group robot's webhook to a 社区/网格/楼栋 node")
    robot.add_argument("node", help="the place's code, e.g. 麟绛社区/第一网格/3号楼")
    robot.add_argument("webhook_url", help="the robot's webhook URL (…/cgi-bin/webhook/send?key=…)")
    robot.add_argument("--title", default="", help="the group's name, shown in delivery reports")
    robot.add_argument("--chat", default=None, help="the AI bot's chatid of the same group, if it is there too")
    appchat = wecom.add_parser("bind-appchat", help="bind an app group chat (appchat) to a node")
    appchat.add_argument("node")
    appchat.add_argument("chatid", help="the chatid appchat/create returned")
    appchat.add_argument("--title", default="")
    create = wecom.add_parser("create-appchat", help="create an app group chat with these members and bind it")
    create.add_argument("node")
    create.add_argument("--name", required=True, help="the group's name")
    create.add_argument("--owner", required=True, help="the owner's WeCom userid")
    create.add_argument("--members", required=True, help="comma-separated WeCom userids (at least two)")
    return root


SERVING = ("run", "sandbox")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command in SERVING:
        collect_once_started()
    try:
        settings = load_settings()
        return asyncio.run(dispatch_command(args, settings))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def collect_once_started() -> None:
    """A start imports and builds ~160,000 objects that live as long as the process, and little garbage: the
    collector would walk the growing heap again and again (~0.3 s of CPU on a busy machine, a sixth). It rests until the
    process has started; then one collection frees what the start left and the rest is frozen
    (bot.app.freeze_start_up_heap, decision 0027)."""
    gc.disable()


async def dispatch_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot import cli

    if args.command == "migrate":
        return await cli.migrate(settings, args.downgrade)
    if args.command == "org":
        return await cli.org_import(settings, args.file)
    if args.command == "wecom":
        return await cli.wecom(settings, args)
    if args.command == "shop":
        return await cli.shop_import(settings, args.community, args.file)
    if args.command == "passbook":
        return await cli.passbook_check(settings)
    if args.command == "inbox":
        return (
            await cli.inbox_list(settings) if args.inbox_command == "list" else await cli.inbox_retry(settings, args.id)
        )
    if args.command == "admin":
        return await cli.admin_invite(settings, args.role, args.node)
    return await cli.run(settings, force_sandbox=args.command == "sandbox", role=getattr(args, "role", "all"))


if __name__ == "__main__":
    sys.exit(main())
