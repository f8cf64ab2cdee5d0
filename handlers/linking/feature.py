"""The linking feature: 关联账号 makes a Telegram and a WeCom account one person."""

from __future__ import annotations

from handlers.core.feature import Command, Feature
from handlers.linking.codes import link, link_settings
from handlers.linking.texts import CATALOGUE

FEATURE = Feature(
    name="linking",
    help_topic="account",
    commands=(
        Command("link", link, "cmd.link", aliases=("关联账号", "账号关联", "关联"), private_only="link.private_only"),
    ),
    settings=link_settings,
    texts=CATALOGUE,
)
