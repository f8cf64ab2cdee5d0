"""The routing tables, built from the features: commands (with Chinese plain-word aliases, checked for the kind of
chat and the sender's roles before the handler runs), button prefixes, membership changes and text steps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta

from handlers.core.context import Context
from handlers.core.feature import (
    HELP_TOPICS,
    CallbackHandler,
    Command,
    CommandHandler,
    Feature,
    MembershipHandler,
    MovedHandler,
    TextStep,
)
from handlers.core.types import BotMembership, ChatKind, ChatMoved, IncomingCallback, IncomingMessage
from models.outbox import issued_callback_data
from models.pace import Pace, pace_command
from models.people import Role

ALIAS_SEPARATORS = re.compile(r"^[\s:：,，、]+")
CALLBACK_DATA = re.compile(r"[a-z]{1,8}(:[A-Za-z0-9_.-]{1,24})*")
MAX_NUMBER_PART = 2**31 - 1  # the largest id a table holds (PostgreSQL integer)
NUMBER_PART = re.compile(r"[0-9]+")
COMMANDS_PER_MINUTE = 10  # one member's commands in one group answered in a minute; more pause the member
QUIET_FOR = timedelta(minutes=5)
UNPACED = frozenset({Role.BUILDING_HEAD, Role.GRID_WORKER, Role.STAFF, Role.ADMIN})  # those who run the groups


@dataclass
class Router:
    commands: dict[str, Command] = field(default_factory=dict)
    callbacks: dict[str, CallbackHandler] = field(default_factory=dict)
    button_chats: dict[str, ChatKind] = field(default_factory=dict)
    membership: list[MembershipHandler] = field(default_factory=list)
    moved: list[MovedHandler] = field(default_factory=list)
    text: list[TextStep] = field(default_factory=list)
    before_message: list[CommandHandler] = field(default_factory=list)
    aliases: dict[str, list[tuple[str, Command]]] = field(default_factory=dict)
    """The commands' plain-word aliases by their first character: a message is compared only with those it could be."""

    @classmethod
    def of(cls, features: Iterable[Feature]) -> Router:
        """The router for these features, in their order."""
        router = cls()
        for feature in features:
            router.add_commands(replace(c, topic=c.topic or feature.help_topic) for c in feature.commands)
            router.add_callbacks(feature.callbacks)
            router.button_chats |= feature.button_chats
            router.add_text_steps(feature.text)
            router.before_message += feature.before_message
            router.membership += feature.membership
            router.moved += feature.moved
        return router

    def add_commands(self, commands: Iterable[Command]) -> None:
        for command in commands:
            if command.name in self.commands:
                raise ValueError(f"command /{command.name} registered twice")
            if command.topic and command.topic not in HELP_TOPICS:
                raise ValueError(f"/{command.name}: /help has no topic {command.topic!r} (one of {HELP_TOPICS})")
            if "" in command.aliases:
                raise ValueError(f"/{command.name}: an empty alias")
            self.commands[command.name] = command
            for alias in command.aliases:
                self.aliases.setdefault(alias[0], []).append((alias, command))

    def add_callbacks(self, callbacks: Mapping[str, CallbackHandler]) -> None:
        for prefix, handler in callbacks.items():
            if prefix in self.callbacks or ":" in prefix:
                raise ValueError(f"bad or duplicate callback prefix {prefix!r}")
            self.callbacks[prefix] = handler

    def add_text_steps(self, steps: Iterable[TextStep]) -> None:
        for step in steps:
            if any(s.order == step.order for s in self.text):
                raise ValueError(f"two text steps in order {step.order}: give each its own place")
            self.text.append(step)
        self.text.sort(key=lambda s: s.order)

    def match_alias(self, text: str) -> tuple[Command, str] | None:
        """A command typed as a plain Chinese word: the whole message, or the word then a space/colon."""
        stripped = text.strip()
        best: tuple[Command, str, int] | None = None
        for alias, command in self.aliases.get(stripped[:1], ()):
            if not stripped.startswith(alias):
                continue
            rest = stripped[len(alias) :]
            if rest and not ALIAS_SEPARATORS.match(rest):
                continue
            if best is None or len(alias) > best[2]:
                best = (command, ALIAS_SEPARATORS.sub("", rest), len(alias))
        return None if best is None else (best[0], best[1])

    def resolve_command(self, message: IncomingMessage) -> tuple[Command, str] | None:
        if message.command is not None:
            command = self.commands.get(message.command)
            return None if command is None else (command, message.args)
        return self.match_alias(message.text)

    async def route(self, ctx: Context) -> None:
        incoming = ctx.incoming
        if isinstance(incoming, BotMembership):
            for membership_handler in self.membership:
                await membership_handler(ctx, incoming)
        elif isinstance(incoming, ChatMoved):
            for moved_handler in self.moved:
                await moved_handler(ctx, incoming)
        elif isinstance(incoming, IncomingCallback):
            await self._route_callback(ctx, incoming)
        else:
            await self._route_message(ctx, incoming)

    async def _route_callback(self, ctx: Context, callback: IncomingCallback) -> None:
        """A press reaches its handler only with data of the strict form, issued on this very message, in the kind
        of chat its buttons belong to; the handler then checks role and scope as for a command."""
        prefix, *parts = callback.data.split(":")
        handler = self.callbacks.get(prefix)
        if handler is None or not well_formed(callback.data) or not await issued_here(ctx, callback):
            ctx.answer(ctx.t("button.stale"))
            return
        kind = self.button_chats.get(prefix)
        if kind is not None and kind != callback.chat.kind:
            ctx.answer(ctx.t("button.private_only" if kind == ChatKind.PRIVATE else "button.group_only"), alert=True)
            return
        await handler(ctx, callback, parts)

    async def _route_message(self, ctx: Context, message: IncomingMessage) -> None:
        if message.is_edit:
            return
        for hook in self.before_message:
            await hook(ctx, message)
        found = self.resolve_command(message)
        if found is not None:
            command, args = found
            if await paced_out(ctx, message):
                return
            refusal = refusal_for(ctx, command)
            if refusal is not None:
                ctx.reply(ctx.t(refusal), quote=ctx.in_group)
            else:
                await command.handler(ctx, _with_args(message, command.name, args))
            return
        if message.command is not None:
            return
        for step in self.text:
            if await step.handler(ctx, message):
                return

    def menu(self) -> list[Command]:
        return [c for c in self.commands.values() if c.menu]


def refusal_for(ctx: Context, command: Command) -> str | None:
    """The text key of the answer when this sender may not use this command here, or None when they may."""
    if command.private_only and ctx.in_group:
        return command.private_only
    if command.group_only and not ctx.in_group:
        return command.group_only
    if command.roles is not None and not command.roles & ctx.roles:
        return command.refusal
    return None


async def paced_out(ctx: Context, message: IncomingMessage) -> bool:
    """True when a member (not one who runs groups) sent too many commands in this group this minute: the first
    one too many is answered once with a pause, the rest are not answered until the pause is over."""
    if not ctx.in_group or ctx.roles & UNPACED:
        return False
    pace = await pace_command(
        ctx.session,
        platform=message.chat.platform,
        chat_id=message.chat.platform_chat_id,
        user_id=message.sender.platform_user_id,
        now=ctx.now,
        per_minute=COMMANDS_PER_MINUTE,
        quiet=QUIET_FOR,
    )
    if pace is Pace.PAUSE:
        minutes = int(QUIET_FOR.total_seconds() // 60)
        ctx.reply(ctx.t("flood.pause", name=message.sender.display_name, minutes=minutes), quote=True)
    return pace is not Pace.GO


def well_formed(data: str) -> bool:
    """Callback data as the bot writes it: a prefix and short ASCII parts, numbers no larger than an id."""
    if len(data.encode()) > 64 or not CALLBACK_DATA.fullmatch(data):
        return False
    return all(int(part) <= MAX_NUMBER_PART for part in data.split(":") if NUMBER_PART.fullmatch(part))


async def issued_here(ctx: Context, callback: IncomingCallback) -> bool:
    """True if the bot put a button with this data on the message that was pressed."""
    issued = await issued_callback_data(
        ctx.session,
        platform=callback.chat.platform,
        chat_id=callback.chat.platform_chat_id,
        message_id=callback.message_id,
    )
    return callback.data in issued


def _with_args(message: IncomingMessage, name: str, args: str) -> IncomingMessage:
    return replace(message, command=name, args=args.strip())
