"""The console's route table, registered on the runtime's aiohttp app at start without loading the console: its
pages (jinja2, the templates, the page and export modules) load on the first console request, since most processes
never serve one and a start pays for every import (benchmarks/startup.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

from bot.console.photos import PhotoSource
from bot.db import SessionFactory
from handlers.core.context import FeatureConfig

if TYPE_CHECKING:
    from bot.console.web import ConsoleWeb

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable[[ConsoleWeb], Handler]
    """The route's handler on the loaded console."""


ROUTES: tuple[Route, ...] = (
    Route("GET", "/console/login/{token}", lambda c: c.login),
    Route("GET", "/console", lambda c: c.signed(c.board_page)),
    Route("GET", "/console/tickets/{ticket}", lambda c: c.signed(c.ticket_page)),
    Route("GET", "/console/tickets/{ticket}/photos/{photo:\\d+}", lambda c: c.signed(c.ticket_photo)),
    Route("POST", "/console/tickets/{ticket}/{action}", lambda c: c.signed(c.ticket_action, form=True)),
    Route("GET", "/console/stats", lambda c: c.signed(c.stats_page)),
    Route("GET", "/console/export.{fmt:csv|xlsx}", lambda c: c.signed(c.export)),
    Route("GET", "/console/passbook/{report:ledger|balances|stars}.{fmt:csv|xlsx}", lambda c: c.signed(c.passbook)),
    Route("GET", "/console/rankings", lambda c: c.signed(c.rankings_page)),
    Route("GET", "/console/rankings/{ranking:\\d+}", lambda c: c.signed(c.rankings_page)),
    Route("GET", "/console/rankings/{ranking:\\d+}.xlsx", lambda c: c.signed(c.ranking_export)),
    Route("GET", "/console/roles", lambda c: c.signed(c.roles_page)),
    Route("GET", "/console/sessions", lambda c: c.signed(c.sessions_page)),
    Route("POST", "/console/sessions/{session}/end", lambda c: c.signed(c.end_other, form=True)),
    Route("POST", "/console/logout", lambda c: c.signed(c.logout, form=True)),
)


class LazyConsole:
    """Builds the console on its first request, then hands every request to its route's handler."""

    def __init__(self, build: Callable[[], ConsoleWeb]) -> None:
        self._build = build
        self._handlers: dict[Route, Handler] | None = None

    def handler(self, route: Route) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self.handlers()[route](request)

        return handle

    def handlers(self) -> dict[Route, Handler]:
        if self._handlers is None:
            console = self._build()
            self._handlers = {route: route.handler(console) for route in ROUTES}
        return self._handlers


def mount_console(
    app: web.Application,
    *,
    sessions: SessionFactory,
    config: FeatureConfig,
    clock: Callable[[], datetime],
    on_outbox: Callable[[], None],
    photos: PhotoSource,
) -> LazyConsole:
    """Register the console's routes on `app`; the console itself is built at the first request to one."""

    def build() -> ConsoleWeb:
        from bot.console.web import ConsoleWeb  # the pages: loaded at the first console request, not at start

        return ConsoleWeb(sessions=sessions, config=config, clock=clock, on_outbox=on_outbox, photos=photos)

    console = LazyConsole(build)
    for route in ROUTES:
        app.router.add_route(route.method, route.path, console.handler(route))
    return console
