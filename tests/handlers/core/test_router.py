"""Commands by slash name or by the Chinese words people type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.core.context import Context, FeatureConfig
from handlers.core.feature import Command, Feature, TextStep
from handlers.core.router import Router, refusal_for
from handlers.core.types import ChatKind, ChatRef, IncomingMessage, Sender
from models.chats import Chat
from models.people import Person, Role, RoleGrant


async def nothing(ctx: Context, message: IncomingMessage) -> None:
    """A handler the router only needs to find."""


def router() -> Router:
    r = Router()
    r.add_commands(
        [
            Command("report", nothing, "cmd.help", aliases=("报修", "投诉")),
            Command("points", nothing, "cmd.help", aliases=("积分", "我的积分")),
        ]
    )
    return r


def test_the_longest_alias_that_starts_the_message_wins_and_an_empty_one_is_refused() -> None:
    r = router()
    found = r.match_alias("我的积分")
    assert found is not None and found[0].name == "points" and found[1] == ""
    assert r.match_alias("我的快递") is None and r.match_alias("积分榜") is None
    with pytest.raises(ValueError, match="empty alias"):
        r.add_commands([Command("help", nothing, "cmd.help", aliases=("帮助", ""))])


def message(text: str, command: str | None = None, args: str = "") -> IncomingMessage:
    chat = ChatRef("telegram", "-1", ChatKind.GROUP)
    return IncomingMessage("1", chat, Sender("1", "王"), "1", text=text, command=command, args=args)


def test_plain_words_are_commands_alone_or_before_a_space_or_colon() -> None:
    r = router()
    found = r.match_alias("报修：3单元电梯坏了")
    assert found is not None and found[0].name == "report" and found[1] == "3单元电梯坏了"
    found = r.match_alias(" 我的积分 ")
    assert found is not None and found[0].name == "points" and found[1] == ""
    assert r.match_alias("积分怎么算的") is None
    assert r.match_alias("我想报修") is None


def test_slash_commands_win_and_unknown_ones_resolve_to_nothing() -> None:
    r = router()
    found = r.resolve_command(message("/points", command="points"))
    assert found is not None and found[0].name == "points"
    assert r.resolve_command(message("/nope", command="nope")) is None


def test_registering_a_name_twice_is_a_bug() -> None:
    r = router()
    try:
        r.add_commands([Command("points", nothing, "cmd.help")])
    except ValueError as exc:
        assert "twice" in str(exc)
    else:
        raise AssertionError("duplicate command accepted")


def context_for(message: IncomingMessage, *roles: Role) -> Context:
    """A context with only what the router's checks read (no database)."""
    grants = [RoleGrant(person_id=1, role=role, place_id=1) for role in roles]
    return Context(
        session=None,  # type: ignore[arg-type]
        config=FeatureConfig(bot_username="bot"),
        now=datetime(2026, 12, 2, 2, 0, tzinfo=UTC),
        incoming=message,
        person=Person(id=1, display_name="王"),
        chat=Chat(id=1, platform="telegram", platform_chat_id="-1", kind="group"),
        place=None,
        grants=grants,
    )


STAFF_ONLY = Command(
    "announce", nothing, "cmd.help", roles=frozenset({Role.STAFF}), refusal="r.roles", private_only="r.private"
)


def test_the_router_checks_the_kind_of_chat_then_the_roles_before_any_handler() -> None:
    in_group, in_private = message("/announce", "announce"), private_message("/announce", "announce")
    assert refusal_for(context_for(in_group, Role.STAFF), STAFF_ONLY) == "r.private"
    assert refusal_for(context_for(in_private, Role.RESIDENT), STAFF_ONLY) == "r.roles"
    assert refusal_for(context_for(in_private, Role.STAFF), STAFF_ONLY) is None
    with pytest.raises(ValueError, match="refusal"):
        Command("x", nothing, "cmd.help", roles=frozenset({Role.STAFF}))


async def test_text_steps_run_in_their_declared_order_until_one_takes_the_message() -> None:
    seen: list[str] = []

    def step(name: str, takes: bool) -> TextStep:
        async def handler(ctx: Context, message: IncomingMessage) -> bool:
            seen.append(name)
            return takes

        return TextStep({"wizard": 10, "photo": 80, "intake": 90, "never": 95}[name], handler)

    r = Router.of(
        [
            Feature("b", text=(step("intake", True), step("never", True))),
            Feature("a", text=(step("photo", False), step("wizard", False))),
        ]
    )
    await r.route(context_for(message("电梯坏了")))
    assert seen == ["wizard", "photo", "intake"]
    with pytest.raises(ValueError, match="order 10"):
        r.add_text_steps([step("wizard", True)])


def private_message(text: str, command: str | None = None) -> IncomingMessage:
    chat = ChatRef("telegram", "1", ChatKind.PRIVATE)
    return IncomingMessage("2", chat, Sender("1", "王"), "1", text=text, command=command)
