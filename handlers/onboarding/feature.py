"""The onboarding feature: /start with invite links, /help, /me, and the hint to send 帮助 privately."""

from __future__ import annotations

from handlers.core.feature import Command, Feature, TextStep
from handlers.onboarding.commands import me, on_help_button, show_help, start
from handlers.onboarding.hint import hint_help
from handlers.onboarding.texts import CATALOGUE

FEATURE = Feature(
    name="onboarding",
    commands=(
        Command("start", start, "cmd.start", menu=False),
        Command("help", show_help, "cmd.help", aliases=("帮助", "help", "菜单")),
        Command("me", me, "cmd.me", aliases=("我的身份",)),
    ),
    callbacks={"help": on_help_button},
    text=(TextStep(1000, hint_help),),  # last of all: a private message nothing else took
    texts=CATALOGUE,
)
