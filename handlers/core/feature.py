"""A feature declares itself once, in a `Feature` record: its commands (with the Chinese words people type and the
roles that may use them), button prefixes, text steps in an explicit order, timers, merge steps, hook listeners,
settings and texts. The composition root lists the features in one ordered tuple and builds everything from it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.core.context import Context, Work
from handlers.core.desk import DeskAction
from handlers.core.hooks import Listen
from handlers.core.texts import Catalogue
from handlers.core.types import BotMembership, ChatKind, ChatMoved, IncomingCallback, IncomingMessage
from models.people import MergeStep, Role

CommandHandler = Callable[[Context, IncomingMessage], Awaitable[None]]
CallbackHandler = Callable[[Context, IncomingCallback, list[str]], Awaitable[None]]
MembershipHandler = Callable[[Context, BotMembership], Awaitable[None]]
MovedHandler = Callable[[Context, ChatMoved], Awaitable[None]]
TextHandler = Callable[[Context, IncomingMessage], Awaitable[bool]]
Sweep = Callable[[Work], Awaitable[int]]
"""A timer: handles whatever has come due at `work.now`, returns how many items needed attention."""
SettingsLoader = Callable[[Any], object]
"""Builds a feature's settings object from the runtime's settings (read by attribute); features find it again with
`work.setting(TheirType)`."""


HELP_TOPICS = ("everyday", "tickets", "notices", "points", "volunteers", "account", "admin")
"""/help's pages, in order: the everyday commands on its first screen, each other topic behind a button."""


@dataclass(frozen=True)
class Command:
    """A slash command; `aliases` are the Chinese words people type instead.

    The router checks, in this order and before the handler runs: `private_only` / `group_only` (the text key of the
    answer when used in the wrong kind of chat), then `roles` (who may use it, anywhere; `refusal` is the text key of
    the answer to anyone else). A handler may refine (a role over this very place), never be the only check.
    """

    name: str
    handler: CommandHandler
    description_key: str
    aliases: tuple[str, ...] = ()
    roles: frozenset[Role] | None = None
    refusal: str | None = None
    private_only: str | None = None
    group_only: str | None = None
    menu: bool = True
    topic: str = ""
    """Where /help lists it (one of `HELP_TOPICS`); empty: its feature's `help_topic`."""

    def __post_init__(self) -> None:
        if self.roles is not None and self.refusal is None:
            raise ValueError(f"/{self.name} limits its roles, so it needs the text of its refusal")
        if self.private_only and self.group_only:
            raise ValueError(f"/{self.name} cannot be private-only and group-only")


@dataclass(frozen=True)
class TextStep:
    """A handler for messages no command claimed. Steps run lowest `order` first until one takes the message:
    the private wizards that wait for someone's next message come before the passive intake of group chatter."""

    order: int
    handler: TextHandler


@dataclass(frozen=True)
class Feature:
    """Everything one feature adds to the bot; see `handlers/features.py` for the tuple and docs/architecture.md."""

    name: str
    commands: tuple[Command, ...] = ()
    help_topic: str = "everyday"
    """The /help page of its commands (one of `HELP_TOPICS`), unless a command names its own."""
    callbacks: Mapping[str, CallbackHandler] = field(default_factory=dict)
    button_chats: Mapping[str, ChatKind] = field(default_factory=dict)
    """The one kind of chat where the buttons of a prefix work (the router refuses a press anywhere else), for the
    buttons of private-only or group-only commands."""
    text: tuple[TextStep, ...] = ()
    before_message: tuple[CommandHandler, ...] = ()
    membership: tuple[MembershipHandler, ...] = ()
    moved: tuple[MovedHandler, ...] = ()
    sweeps: tuple[Sweep, ...] = ()
    merge_steps: tuple[MergeStep, ...] = ()
    """What to do when two people become one (关联账号) before every person reference is re-pointed: only for
    rows per person that must be combined rather than dropped (a balance kept next to a ledger)."""
    listens: tuple[Listen, ...] = ()
    settings: SettingsLoader | None = None
    desk_actions: tuple[DeskAction, ...] = ()
    """Ticket actions the feature offers on the console's ticket page (handlers/core/desk.py)."""
    texts: Catalogue | None = None
    """Every sentence the feature says, Chinese and English; the core's sentences are shared by all."""
