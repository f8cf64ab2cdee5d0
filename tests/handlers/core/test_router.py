"""Commands by slash name or by the Chinese words people type."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.feature import Command
from handlers.core.router import Router
from handlers.core.types import ChatKind, ChatRef, IncomingMessage, Sender


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
