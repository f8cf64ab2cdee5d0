"""The console's unit of work and the ticket actions features offer there (派单, 吹哨, 关闭 … — more plug in by being
declared): a `Desk` is a `Work` for one signed-in person, with no chat; an action runs the same code as the chat's
button and says why not when it may not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from handlers.core.context import Work
from models.people import Person, RoleGrant
from models.tickets import Ticket


@dataclass(kw_only=True)
class Desk(Work):
    """One request from the console: the signed-in person and their roles."""

    person: Person
    grants: list[RoleGrant]

    @property
    def locale(self) -> str:
        return self.person.locale or self.config.default_locale


DeskHandler = Callable[[Desk, Ticket, Mapping[str, str]], Awaitable[str | None]]
"""Runs the action with the form's fields; returns None when done, or the polite text of why it was not."""
Choices = Callable[[Desk, Ticket], Awaitable[list[tuple[str, str]]]]
"""(value, label) pairs the action's form offers (e.g. who a ticket can be dispatched to)."""
Permitted = Callable[[Desk, Ticket], Awaitable[bool]]
"""Whether the signed-in person may do it on this ticket, by the chat's own check (the page offers only these; the
handler checks again)."""


@dataclass(frozen=True)
class DeskAction:
    """A button on the console's ticket page; `offered` says on which tickets it shows, `permitted` to whom, and
    `asks` names the hint of a text field its form sends as `text` (a reason, as the chat asks for one)."""

    name: str
    label_key: str
    handler: DeskHandler
    offered: Callable[[Ticket], bool]
    choices: Choices | None = None
    permitted: Permitted | None = None
    asks: str | None = None
