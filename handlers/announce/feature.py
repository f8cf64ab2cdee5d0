"""The announce feature: 通知 composed in private, sent to the groups in scope now or at a time, with a report."""

from __future__ import annotations

from handlers.announce.compose import announce, on_button, on_private_text
from handlers.announce.delivery import composing_a_notice, sweep_announcements
from handlers.announce.texts import CATALOGUE
from handlers.common.scopes import PUBLISHERS
from handlers.core.feature import Command, Feature, TextStep
from handlers.core.hooks import AwaitingAnswer, Listen
from handlers.core.types import ChatKind

FEATURE = Feature(
    name="announce",
    help_topic="notices",
    commands=(
        Command(
            "announce",
            announce,
            "cmd.announce",
            aliases=("通知", "发通知"),
            roles=frozenset(PUBLISHERS),
            refusal="announce.refused",
            private_only="announce.private_only",
        ),
    ),
    callbacks={"an": on_button},
    button_chats={"an": ChatKind.PRIVATE},
    text=(TextStep(40, on_private_text),),  # the author's next private message: the notice, or when to send it
    sweeps=(sweep_announcements,),
    listens=(Listen(AwaitingAnswer, composing_a_notice),),
    texts=CATALOGUE,
)
