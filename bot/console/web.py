"""The console's pages, loaded at its first request (their routes are in bot/console/routes.py). Each request is
one unit of work: the session cookie is looked up (idle sessions end), the viewer's scope comes from their roles, a
form must carry the session's CSRF token, and the effects of an action go to the outbox in the same transaction — so
a dispatch here edits the cards in the chats exactly as the chat's button does."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import structlog
from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.console.photos import PhotoMissing, PhotoSource, PhotoUnreachable, image_type
from bot.console.routes import Handler
from bot.db import SessionFactory
from handlers.common.numbers import parse_id, read_number
from handlers.common.photos import stored_id_of
from handlers.common.sheets import to_csv, to_xlsx
from handlers.console.audit import role_changes
from handlers.console.board import board, read_filters, run_action, ticket_page, visible_ticket
from handlers.console.charts import bar_chart
from handlers.console.exports import export_tickets
from handlers.console.login import sign_in
from handlers.console.pages import page_words
from handlers.console.ranking import ranking_sheet, visible_ranking, visible_rankings
from handlers.console.scope import Viewer, viewer_of
from handlers.console.settings import ConsoleSettings
from handlers.console.stats import read_month, statistics
from handlers.core.context import FeatureConfig
from handlers.core.desk import Desk
from handlers.core.outbox import enqueue
from handlers.passbook.exports import Period, balances_sheet, ledger_sheet, parse_period, stars_sheet, year_ranking
from handlers.passbook.keepers import SHOP_KEEPERS
from handlers.passbook.rules import PassbookConfig
from models.base import AsyncSession
from models.console import ConsoleSession, end_session, live_session, sessions_of
from models.people import has_role_over
from models.photos import stored_photo
from models.places import PlaceKind
from models.tickets import Category, Ticket

log = structlog.get_logger(__name__)
COOKIE = "linli_console"
TEMPLATES = Path(__file__).parent / "templates"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
Clock = Callable[[], datetime]


def see_other(location: str) -> web.Response:
    """A redirect returned (not raised), so the unit of work around it commits."""
    return web.Response(status=303, headers=HEADERS | {"Location": location})


@dataclass
class Signed:
    """The request's unit of work once its session checked out."""

    desk: Desk
    viewer: Viewer
    row: ConsoleSession


Page = Callable[[web.Request, Signed], Awaitable[web.StreamResponse]]


class ConsoleWeb:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        config: FeatureConfig,
        clock: Clock,
        on_outbox: Callable[[], None],
        photos: PhotoSource,
    ) -> None:
        self._sessions, self._config, self._clock, self._on_outbox = sessions, config, clock, on_outbox
        self._photos = photos
        settings = config.settings[ConsoleSettings]
        assert isinstance(settings, ConsoleSettings)
        self._settings = settings
        self._jinja = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))

    # ---- plumbing ------------------------------------------------------------------------------------------------

    def render(self, name: str, *, status: int = 200, locale: str = "zh", **values: Any) -> web.Response:
        html = self._jinja.get_template(name).render(w=page_words(locale), **values)
        return web.Response(text=html, status=status, content_type="text/html", headers=HEADERS)

    def signed(self, page: Page, *, form: bool = False) -> Handler:
        """Run `page` in one unit of work for a live session (401 without one; 403 for a form without its token)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            fields = await request.post() if form else None
            async with self._sessions() as session, session.begin():
                signed = await self.check(session, request)
                if signed is None:
                    return self.render("message.html", status=401, text=page_words("zh")["login_failed"])
                if fields is not None and not hmac.compare_digest(
                    str(fields.get("csrf", "")).encode(), signed.row.csrf_token.encode()
                ):
                    log.warning("console.csrf_refused", session=signed.row.id)
                    return self.render("message.html", status=403, text="CSRF", locale=signed.desk.locale)
                response = await page(request, signed)
                await enqueue(session, signed.desk.effects.items)
            if signed.desk.effects.items:
                self._on_outbox()
            return response

        return handler

    async def check(self, session: AsyncSession, request: web.Request) -> Signed | None:
        token = request.cookies.get(COOKIE, "")
        now = self._clock()
        row = await live_session(session, token=token, now=now, idle=self._settings.idle) if token else None
        viewer = await viewer_of(session, person_id=row.person_id) if row is not None else None
        if row is None or viewer is None:
            return None
        desk = Desk(session=session, config=self._config, now=now, person=viewer.person, grants=viewer.grants)
        return Signed(desk, viewer, row)

    def page(self, name: str, signed: Signed, *, status: int = 200, **values: Any) -> web.Response:
        return self.render(
            name, status=status, locale=signed.desk.locale, me=signed.viewer, csrf=signed.row.csrf_token, **values
        )

    # ---- signing in and out --------------------------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.StreamResponse:
        async with self._sessions() as session, session.begin():
            done, problem = await sign_in(
                session,
                token=request.match_info["token"],
                now=self._clock(),
                user_agent=request.headers.get("User-Agent", ""),
            )
        if done is None:
            log.info("console.login_refused", problem=problem)
            return self.render("message.html", status=403, text=page_words("zh")["login_failed"])
        log.info("console.signed_in", session=done.session_id)
        response = see_other("/console")
        response.set_cookie(
            COOKIE,
            done.cookie,
            path="/console",
            secure=True,
            httponly=True,
            samesite="Lax",
            max_age=int(self._settings.idle.total_seconds()) * 48,
        )
        return response

    async def logout(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        desk = signed.desk
        await end_session(desk.session, session_id=signed.row.id or 0, person_id=desk.person.id or 0, now=desk.now)
        response = self.render("message.html", locale=desk.locale, text=page_words(desk.locale)["signed_out"])
        response.del_cookie(COOKIE, path="/console")
        return response

    async def sessions_page(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        desk = signed.desk
        rows = await sessions_of(desk.session, person_id=desk.person.id or 0, now=desk.now, idle=self._settings.idle)
        return self.page("sessions.html", signed, rows=rows, current=signed.row.id, tz=desk.config.timezone)

    async def end_other(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        desk = signed.desk
        session_id = parse_id(request.match_info["session"])
        if session_id:
            await end_session(desk.session, session_id=session_id, person_id=desk.person.id or 0, now=desk.now)
        return see_other("/console/sessions")

    # ---- the board and the tickets -------------------------------------------------------------------------------

    async def board_page(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        shown = await board(signed.desk, signed.viewer, read_filters(request.query))
        params = shown.filters.as_params()

        def with_page(page: int) -> str:
            return "?" + urlencode(params | {"page": str(page)})

        return self.page(
            "board.html",
            signed,
            board=shown,
            query=urlencode(params),
            with_page=with_page,
            tz=signed.desk.config.timezone,
        )

    @staticmethod
    async def ticket_named(request: web.Request, signed: Signed) -> Ticket | None:
        """The ticket the URL names, if the viewer may see it; None as well for what no ticket number can be."""
        number = parse_id(request.match_info["ticket"])
        return await visible_ticket(signed.desk, signed.viewer, number) if number else None

    async def ticket_page(self, request: web.Request, signed: Signed, problem: str = "") -> web.StreamResponse:
        ticket = await self.ticket_named(request, signed)
        if ticket is None:
            return self.page("message.html", signed, status=404, text="404")
        shown = await ticket_page(signed.desk, ticket)
        return self.page(
            "ticket.html",
            signed,
            status=403 if problem else 200,
            page=shown,
            labels={
                key: signed.desk.t(key) for o in shown.actions for key in (o.action.label_key, o.action.asks) if key
            },
            problem=problem,
            done=request.query.get("done") == "1",
            tz=signed.desk.config.timezone,
        )

    async def ticket_photo(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        """The ticket's photo number K (from 0), Linli's own copy or fetched from the platform: 404 when the viewer
        may not see the ticket or there is no such photo, 502 when the platform cannot hand it out now."""
        ticket, index = await self.ticket_named(request, signed), read_number(request.match_info["photo"])
        if ticket is None or not isinstance(index, int) or index >= len(ticket.photos):
            return self.page("message.html", signed, status=404, text="404")
        try:
            data = await self._photo_bytes(signed, ticket.photos[index])
        except PhotoMissing as error:
            log.warning("console.photo_missing", ticket=ticket.id, problem=str(error))
            return self.page("message.html", signed, status=404, text="404")
        except PhotoUnreachable as error:
            log.warning("console.photo_unreachable", ticket=ticket.id, problem=str(error))
            return self.page("message.html", signed, status=502, text="502")
        kind = image_type(data) or "application/octet-stream"
        return web.Response(body=data, headers=HEADERS | {"Content-Type": kind, "Cache-Control": PHOTO_CACHE})

    async def _photo_bytes(self, signed: Signed, photo: str) -> bytes:
        """A stored photo (`stored:<id>`) from the database in the page's own unit of work, any other from the
        platform's port."""
        photo_id = stored_id_of(photo)
        if photo_id is None:
            return await self._photos.fetch(photo)
        stored = await stored_photo(signed.desk.session, photo_id=photo_id)
        if stored is None:
            raise PhotoMissing(f"no stored photo {photo_id}")
        return stored.content

    async def ticket_action(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        ticket = await self.ticket_named(request, signed)
        if ticket is None:
            return self.page("message.html", signed, status=404, text="404")
        fields = {k: str(v) for k, v in (await request.post()).items()}
        problem = await run_action(signed.desk, ticket, request.match_info["action"], fields)
        if problem is not None:
            return await self.ticket_page(request, signed, problem)
        log.info("console.action", ticket=ticket.id, action=request.match_info["action"], person=signed.desk.person.id)
        if await visible_ticket(signed.desk, signed.viewer, ticket.id or 0) is None:
            return see_other("/console")  # handed back or passed on: no longer the viewer's to see
        return see_other(f"/console/tickets/{ticket.id}?done=1")

    async def roles_page(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        """The audit list of role grants, revokes and handovers in the viewer's part of the tree."""
        lines = await role_changes(signed.desk, signed.viewer, page_words(signed.desk.locale))
        return self.page("roles.html", signed, lines=lines, tz=signed.desk.config.timezone)

    # ---- statistics and exports ----------------------------------------------------------------------------------

    async def stats_page(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        desk = signed.desk
        words = page_words(desk.locale)
        month = read_month(request.query.get("month", ""), desk.now.astimezone(desk.config.timezone).date())
        labels = {str(c): words[f"category_{c}"] for c in Category}
        shown = await statistics(desk, signed.viewer, month, labels)
        charts = [
            bar_chart(words["opened_by_month"], [(m[5:], float(n)) for m, n in shown.opened_by_month]),
            bar_chart(words["by_grid"], [(f.label, float(f.opened)) for f in shown.by_grid]),
            bar_chart(words["by_category"], [(f.label, float(f.opened)) for f in shown.by_category]),
        ]
        return self.page("stats.html", signed, stats=shown, charts=[Markup(c) for c in charts])

    async def export(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        desk = signed.desk
        made = await export_tickets(
            desk, signed.viewer, read_filters(request.query), page_words(desk.locale), request.match_info["fmt"]
        )
        log.info("console.export", rows_format=request.match_info["fmt"], person=desk.person.id)
        response = web.StreamResponse(headers=HEADERS | attachment(made.filename, made.content_type))
        await response.prepare(request)
        try:
            async with aclosing(made.chunks) as chunks:  # a download cut short ends its read before the unit of work
                async for chunk in chunks:
                    if chunk:
                        await response.write(chunk)
            await response.write_eof()
        except ConnectionResetError:  # the browser dropped the download: no one is left to answer, nothing went wrong
            log.info("console.export_dropped", person=desk.person.id)
        return response

    async def passbook(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        """The passbook's own reports (流水, 余额, 星级), for the community the viewer keeps (staff, admins)."""
        desk = signed.desk
        community = next((p for p in signed.viewer.scopes if p.kind == PlaceKind.COMMUNITY), None)
        if community is None or not await has_role_over(
            desk.session, person_id=desk.person.id or 0, place=community, roles=SHOP_KEEPERS
        ):
            return self.page("message.html", signed, status=403, text=page_words(desk.locale)["keepers_only"])
        local = desk.now.astimezone(desk.config.timezone)
        period = parse_period(request.query.get("period", ""), local) or Period(local.year, local.month)
        report, fmt = request.match_info["report"], request.match_info["fmt"]
        if report == "ledger":
            sheet = await ledger_sheet(
                desk.session, community=community, period=period, timezone=desk.config.timezone, locale=desk.locale
            )
        elif report == "balances":
            thresholds = self._config.settings[PassbookConfig].stars  # type: ignore[attr-defined]
            sheet = await balances_sheet(desk.session, community=community, thresholds=thresholds, locale=desk.locale)
        else:
            thresholds = self._config.settings[PassbookConfig].stars  # type: ignore[attr-defined]
            ranked = await year_ranking(
                desk.session, community=community, year=period.year, timezone=desk.config.timezone
            )
            sheet = stars_sheet(ranked, thresholds=thresholds, locale=desk.locale)
        content = to_csv(sheet) if fmt == "csv" else to_xlsx(sheet)
        kind = "text/csv" if fmt == "csv" else XLSX
        return file_response(f"{report}_{period.token}.{fmt}", content, kind)

    async def rankings_page(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        all_shown = await visible_rankings(signed.desk, signed.viewer)
        number = request.match_info.get("ranking")
        chosen = next((item for item in all_shown if str(item[0].id) == number), None) if number else None
        if number and chosen is None:
            return self.page("message.html", signed, status=404, text="404")
        return self.page(
            "rankings.html", signed, rankings=all_shown, chosen=chosen or (all_shown[0] if all_shown else None)
        )

    async def ranking_export(self, request: web.Request, signed: Signed) -> web.StreamResponse:
        ranking_id = parse_id(request.match_info["ranking"])
        found = await visible_ranking(signed.desk, signed.viewer, ranking_id) if ranking_id else None
        if found is None:
            return self.page("message.html", signed, status=404, text="404")
        ranking, community = found
        sheet = ranking_sheet(ranking, community, page_words(signed.desk.locale))
        return file_response(f"ranking_{ranking.month}.xlsx", to_xlsx(sheet), XLSX)


PHOTO_CACHE = "private, max-age=3600"  # the viewer's browser only; a revoked session stops new fetches
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(filename: str, content_type: str) -> dict[str, str]:
    return {"Content-Type": content_type, "Content-Disposition": f'attachment; filename="{filename}"'}


def file_response(filename: str, content: bytes, content_type: str) -> web.Response:
    return web.Response(body=content, headers=HEADERS | attachment(filename, content_type))
