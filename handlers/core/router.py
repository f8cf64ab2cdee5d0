"""The routing tables: commands (with Chinese plain-word aliases), button prefixes, membership and text."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace

from handlers.core.context import Context
from handlers.core.types import BotMembership, ChatMoved, IncomingCallback, IncomingMessage
from models.people import Role

CommandHandler = Callable[[Context, IncomingMessage], Awaitable[None]]
CallbackHandler = Callable[[Context, IncomingCallback, list[str]], Awaitable[None]]
MembershipHandler = Callable[[Context, BotMembership], Awaitable[None]]
MovedHandler = Callable[[Context, ChatMoved], Awaitable[None]]
TextHandler = Callable[[Context, IncomingMessage], Awaitable[bool]]

ALIAS_SEPARATORS = re.compile(r"^[\s:：,，、]+")


@dataclass(frozen=True)
class Command:
    """A slash command; `aliases` are the Chinese words people type instead; `roles` limit who sees it."""

    name: str
    handler: CommandHandler
    description_key: str
    aliases: tuple[str, ...] = ()
    roles: frozenset[Role] | None = None
    menu: bool = True


@dataclass
class Router:
    commands: dict[str, Command] = field(default_factory=dict)
    callbacks: dict[str, CallbackHandler] = field(default_factory=dict)
    membership: list[MembershipHandler] = field(default_factory=list)
    moved: list[MovedHandler] = field(default_factory=list)
    text: list[TextHandler] = field(default_factory=list)
    before_message: list[CommandHandler] = field(default_factory=list)

    def add_commands(self, commands: Iterable[Command]) -> None:
        for command in commands:
            if command.name in self.commands:
                raise ValueError(f"command /{command.name} registered twice")
            self.commands[command.name] = command

    def add_callbacks(self, callbacks: dict[str, CallbackHandler]) -> None:
        for prefix, handler in callbacks.items():
            if prefix in self.callbacks or ":" in prefix:
                raise ValueError(f"bad or duplicate callback prefix {prefix!r}")
            self.callbacks[prefix] = handler

    def match_alias(self, text: str) -> tuple[Command, str] | None:
        """A command typed as a plain Chinese word: the whole message, or the word then a space/colon."""
        stripped = text.strip()
        best: tuple[Command, str, int] | None = None
        for command in self.commands.values():
            for alias in command.aliases:
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
        prefix, *parts = callback.data.split(":")
        handler = self.callbacks.get(prefix)
        if handler is None:
            ctx.answer(ctx.t("button.stale"))
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
            await command.handler(ctx, _with_args(message, command.name, args))
            return
        if message.command is not None:
            return
        for text_handler in self.text:
            if await text_handler(ctx, message):
                return

    def menu(self) -> list[Command]:
        return [c for c in self.commands.values() if c.menu]


def _with_args(message: IncomingMessage, name: str, args: str) -> IncomingMessage:
    return replace(message, command=name, args=args.strip())
