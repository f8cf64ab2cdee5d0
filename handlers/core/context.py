"""What a feature gets for one incoming item: the session, who and where, and a place to put effects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.core.texts import translate
from handlers.core.types import (
    AnswerCallback,
    Button,
    ChatKind,
    Edit,
    Effects,
    Incoming,
    IncomingCallback,
    IncomingMessage,
    Keyboard,
    Send,
)
from handlers.passbook.rules import PassbookConfig
from handlers.tickets.rules import Sla
from models.chats import Chat
from models.people import MergeStep, Person, RoleGrant
from models.places import Place
from nlp import Classification, classify


@dataclass(frozen=True)
class FeatureConfig:
    """The settings features need, handed down by the composition root."""

    bot_username: str
    default_locale: str = "zh"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    invite_ttl: timedelta = timedelta(hours=72)
    sla: Sla = field(default_factory=Sla)
    classify: Callable[[str], Classification] = classify
    object_words: frozenset[str] = frozenset()
    link_code_ttl: timedelta = timedelta(minutes=10)
    merge_steps: tuple[MergeStep, ...] = ()
    passbook: PassbookConfig = field(default_factory=PassbookConfig)
    shop_hold: timedelta = timedelta(hours=72)


@dataclass
class Context:
    session: AsyncSession
    config: FeatureConfig
    now: datetime
    incoming: Incoming
    person: Person
    chat: Chat
    place: Place | None
    grants: list[RoleGrant]
    effects: Effects = field(default_factory=Effects)

    @property
    def platform(self) -> str:
        return self.incoming.chat.platform

    @property
    def locale(self) -> str:
        return self.person.locale or self.config.default_locale

    @property
    def in_group(self) -> bool:
        return self.incoming.chat.kind == ChatKind.GROUP

    def t(self, key: str, **values: object) -> str:
        return translate(self.locale, key, **values)

    def paging_row(self, *, page: int, more: bool, data: str) -> Keyboard:
        """A ◀ 上一页 / 下一页 ▶ row under page ``page`` of a list (none when it all fits on one):
        the buttons send ``{data}:{page}`` for the page they lead to."""
        buttons = []
        if page > 0:
            buttons.append(Button(self.t("button.prev"), f"{data}:{page - 1}"))
        if more:
            buttons.append(Button(self.t("button.next"), f"{data}:{page + 1}"))
        return (tuple(buttons),) if buttons else ()

    def reply(self, text: str, *, buttons: Keyboard = (), ref_key: str | None = None, quote: bool = False) -> None:
        """Answer in the chat the incoming item came from."""
        quoted = self.incoming.message_id if quote and isinstance(self.incoming, IncomingMessage) else None
        self.effects.add(
            Send(
                platform=self.platform,
                chat_id=self.incoming.chat.platform_chat_id,
                text=text,
                buttons=buttons,
                reply_to_message_id=quoted,
                ref_key=ref_key,
            )
        )

    def answer(self, text: str = "", *, alert: bool = False) -> None:
        """Answer a button press (the small toast Telegram shows)."""
        assert isinstance(self.incoming, IncomingCallback)
        self.effects.add(
            AnswerCallback(
                platform=self.platform,
                chat_id=self.incoming.chat.platform_chat_id,
                callback_id=self.incoming.callback_id,
                text=text,
                alert=alert,
            )
        )

    def edit_pressed(self, text: str, *, buttons: Keyboard = ()) -> None:
        """Edit the message whose button was pressed."""
        assert isinstance(self.incoming, IncomingCallback)
        self.effects.add(
            Edit(
                platform=self.platform,
                text=text,
                buttons=buttons,
                chat_id=self.incoming.chat.platform_chat_id,
                message_id=self.incoming.message_id,
            )
        )
