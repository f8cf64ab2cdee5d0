"""The onboarding feature: /start with invite links, /help, /me."""

from __future__ import annotations

from handlers.core.feature import Command, Feature
from handlers.onboarding.commands import me, on_help_button, show_help, start
from handlers.onboarding.texts import CATALOGUE

FEATURE = Feature(
    name="onboarding",
    commands=(
        Command("start", start, "cmd.start", menu=False),
        Command("help", show_help, "cmd.help", aliases=("帮助", "help", "菜单")),
        Command("me", me, "cmd.me", aliases=("我的身份",)),
    ),
    callbacks={"help": on_help_button},
    texts=CATALOGUE,
)
