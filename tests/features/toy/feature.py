"""The toy feature: a command for staff (with a Chinese word and a refusal), a text step, a timer and settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.core.context import Context, Work
from handlers.core.feature import Command, Feature, TextStep
from handlers.core.types import IncomingMessage
from models.people import Role
from tests.features.toy.texts import CATALOGUE


@dataclass(frozen=True)
class ToySettings:
    who: str


def toy_settings(env: Any) -> ToySettings:
    return ToySettings(who=env.timezone)


async def ping(ctx: Context, message: IncomingMessage) -> None:
    ctx.reply(ctx.t("toy.pong", who=ctx.setting(ToySettings).who))


async def echo(ctx: Context, message: IncomingMessage) -> bool:
    """Takes messages that start with "toy:" (after every other feature's text steps)."""
    if not message.text.startswith("toy:"):
        return False
    ctx.reply(ctx.t("toy.echo", text=message.text.removeprefix("toy:").strip()))
    return True


async def tick(work: Work) -> int:
    """A timer with always one thing to do."""
    return 1


FEATURE = Feature(
    name="toy",
    commands=(
        Command("ping", ping, "toy.cmd", aliases=("乒乓",), roles=frozenset({Role.STAFF}), refusal="toy.refused"),
    ),
    text=(TextStep(100, echo),),
    sweeps=(tick,),
    settings=toy_settings,
    texts=CATALOGUE,
)
