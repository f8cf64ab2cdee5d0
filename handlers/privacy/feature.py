"""The privacy feature: residents' data rights under PIPL (/mydata, /forget) and the retention sweep."""

from __future__ import annotations

from handlers.core.feature import Command, Feature
from handlers.privacy.rights import (
    forget,
    mydata,
    on_privacy_button,
    privacy_settings,
    sweep_retention,
    sweep_unused_photos,
)
from handlers.privacy.texts import CATALOGUE

FEATURE = Feature(
    name="privacy",
    help_topic="account",
    commands=(
        Command("mydata", mydata, "cmd.mydata", aliases=("我的数据",), private_only="privacy.private_only"),
        Command(
            "forget", forget, "cmd.forget", aliases=("注销账号", "删除我的数据"), private_only="privacy.private_only"
        ),
    ),
    callbacks={"pv": on_privacy_button},
    sweeps=(sweep_retention, sweep_unused_photos),
    settings=privacy_settings,
    texts=CATALOGUE,
)
