"""The unit of work: one session and transaction, the moment it happens at, and where its effects go. A job (a
timer sweep) works on a `Work`; a feature handling an incoming item gets a `Context`, the same plus who and where."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from handlers.core.hooks import Hooks
from handlers.core.notify import (
    DEEP_LINK_PLATFORM,
    deep_link,
    is_unreachable,
    private_account,
    private_send,
    stored_buttons,
    with_link,
)
from handlers.core.texts import CORE, Texts
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
from models.base import AsyncSession
from models.chats import Chat
from models.people import MergeStep, Person, Role, RoleGrant
from models.places import Place
from models.reach import hold_message
from nlp import Classification, classify

if TYPE_CHECKING:
    from handlers.core.desk import DeskAction
    from handlers.core.feature import Command

T = TypeVar("T")


@dataclass(frozen=True)
class FeatureConfig:
    """What features get from the composition root: the runtime's own settings, and what it assembled from the
    features (their settings by type, their hooks, the command menu, the merge steps, every catalogue of texts)."""

    bot_username: str
    default_locale: str = "zh"
    reads_all_group_messages: bool = True  # getMe: False while BotFather's privacy mode is on
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    classify: Callable[[str], Classification] = classify
    object_words: frozenset[str] = frozenset()
    settings: Mapping[type, object] = field(default_factory=dict)
    hooks: Hooks = field(default_factory=Hooks)
    menu: tuple[Command, ...] = ()
    merge_steps: tuple[MergeStep, ...] = ()
    desk_actions: tuple[DeskAction, ...] = ()
    texts: Texts = field(default_factory=lambda: Texts((CORE,)))


@dataclass(kw_only=True)
class Work:
    """One unit of work, for a job or (as a `Context`) for an incoming item."""

    session: AsyncSession
    config: FeatureConfig
    now: datetime
    effects: Effects = field(default_factory=Effects)

    @property
    def locale(self) -> str:
        return self.config.default_locale

    def t(self, key: str, **values: object) -> str:
        return self.config.texts.translate(self.locale, key, **values)

    def setting(self, kind: type[T]) -> T:
        """The settings a feature declared, by their type."""
        found = self.config.settings.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"no feature declares settings of type {kind.__name__}")
        return found

    async def emit(self, hook: object) -> None:
        """Tell the features that listen for this hook (ticket resolved, attended …), in this transaction."""
        await self.config.hooks.emit(self, hook)

    async def tell(
        self,
        person_id: int,
        text: str,
        buttons: Keyboard = (),
        ref_key: str | None = None,
        *,
        prefer_platform: str | None = None,
        fallback: Send | None = None,
    ) -> None:
        """A private message to the person on the platform they use. `fallback` is the flow's group message for
        when the bot may not write to them privately: sent at once when that is known, else kept on the private
        send for the outbox to send if the platform refuses it (docs/reach.md). Without one, nothing is sent to
        someone the bot knows it cannot reach."""
        account = await private_account(self.session, person_id=person_id, prefer_platform=prefer_platform)
        if fallback is not None:
            fallback = self._linked(fallback, person_id, text, buttons)
        if is_unreachable(account):
            if fallback is not None:
                self.effects.add(fallback)
            return
        assert account is not None
        private = private_send(account, text, buttons, ref_key)
        self.effects.add(replace(private, fallback=fallback))

    async def knock(self, chat: Chat | None, person_id: int, *, reply_to: str | None = None) -> Send | None:
        """The group message for someone the bot may not write to privately when what it says is theirs alone: their
        name and the link that opens the private chat (none outside an active group)."""
        if chat is None or chat.kind != ChatKind.GROUP or not chat.active:
            return None
        person = await self.session.get(Person, person_id)
        name = person.display_name if person is not None else ""
        key = "reach.knock" if chat.platform == DEEP_LINK_PLATFORM else "reach.knock_no_link"
        return Send(
            platform=chat.platform,
            chat_id=chat.platform_chat_id,
            text=self.t(key, name=name),
            reply_to_message_id=reply_to,
        )

    def _linked(self, fallback: Send, person_id: int, text: str, buttons: Keyboard) -> Send:
        """On Telegram the group message gets the deep link that brings this private message once opened."""
        if fallback.platform != DEEP_LINK_PLATFORM or not self.config.bot_username:
            return fallback
        held = hold_message(
            self.session,
            person_id=person_id,
            platform=fallback.platform,
            text=text,
            buttons=stored_buttons(buttons),
            now=self.now,
        )
        return with_link(fallback, self.t("reach.open_private"), deep_link(self.config.bot_username, held.token))

    def paging_row(self, *, page: int, more: bool, data: str) -> Keyboard:
        """A ◀ 上一页 / 下一页 ▶ row under page ``page`` of a list (none when it all fits on one):
        the buttons send ``{data}:{page}`` for the page they lead to."""
        buttons = []
        if page > 0:
            buttons.append(Button(self.t("button.prev"), f"{data}:{page - 1}"))
        if more:
            buttons.append(Button(self.t("button.next"), f"{data}:{page + 1}"))
        return (tuple(buttons),) if buttons else ()


@dataclass(kw_only=True)
class Context(Work):
    """The unit of work for one incoming item: who sent it, in which chat, bound to which place, with which roles."""

    incoming: Incoming
    person: Person
    chat: Chat
    place: Place | None
    grants: list[RoleGrant]

    @property
    def platform(self) -> str:
        return self.incoming.chat.platform

    @property
    def locale(self) -> str:
        return self.person.locale or self.config.default_locale

    @property
    def in_group(self) -> bool:
        return self.incoming.chat.kind == ChatKind.GROUP

    @property
    def roles(self) -> set[Role]:
        """Every role the sender holds, wherever."""
        return {Role(g.role) for g in self.grants}

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
