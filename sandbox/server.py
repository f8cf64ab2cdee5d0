"""A local Telegram-Bot-API-compatible HTTP server for the test suite and the sandbox: the HTTP side (requests,
the answers in Telegram's format, the call recorder tests wait on, webhook delivery). The world it keeps is
`sandbox.state`, the methods it answers `sandbox.methods`, Telegram's limits `sandbox.limits`, formatted text
`sandbox.entities`.

The real python-telegram-bot client talks to it over HTTP through ``base_url``; it answers in the
Bot API wire format, keeps a per-chat message store, records every call and lets tests inject
updates, failures and Telegram's flood limits.

Wire format notes (python-telegram-bot 22.8): every request is a POST. Without files the body is
``application/x-www-form-urlencoded`` where each non-string value is JSON-encoded (``chat_id=-100…``,
``disable_notification=true``, ``reply_markup={"inline_keyboard": …}``); with files it is
``multipart/form-data`` with the same string fields plus one file part per upload, named after the
parameter (``photo``). JSON bodies and query strings are accepted too. Values are decoded back into
Python objects, except parameters that are strings in the Bot API (``text``, ``caption``, ``data``…),
which stay as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from sandbox.limits import MAX_UPLOAD_BYTES, BotApiError, FloodLimits, ForcedFailure, bad_request, chat_id_of
from sandbox.methods import BotApiMethods
from sandbox.state import DeliverMode, UploadedFile, unix_now, wait_event

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Clock = Callable[[], float]
CallPredicate = Callable[["RecordedCall"], bool]
#: Parameters that are strings in the Bot API: never JSON-decoded, even when they look like numbers.
STRING_PARAMS = frozenset({
    "text", "caption", "parse_mode", "callback_query_id", "url", "secret_token", "ip_address",
    "language_code", "inline_message_id", "business_connection_id", "message_effect_id", "file_id",
    "photo", "document", "audio", "video", "animation", "voice", "sticker", "thumbnail", "description",
    "short_description", "name", "title", "data", "action", "emoji", "query", "custom_title",
    "invite_link", "address", "phone_number", "first_name", "last_name", "vcard", "question",
    "explanation", "payload", "currency", "provider_token", "start_parameter", "web_app_query_id",
    "certificate", "user_chat_id_text",
})  # fmt: skip


@dataclass
class RecordedCall:
    """One Bot API call as it arrived (parameters decoded) and what was answered."""

    method: str
    params: JsonDict
    at: float
    response: JsonDict

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call (None otherwise)."""
        return self.response.get("result")

    @property
    def error_code(self) -> int | None:
        """The error code of a failed call."""
        code = self.response.get("error_code")
        return int(code) if code is not None else None

    def summary(self) -> str:
        """One line for assertion messages."""
        shown = {k: v for k, v in self.params.items() if k in ("chat_id", "message_id", "text", "data")}
        outcome = "ok" if self.ok else f"error {self.error_code}"
        return f"{self.method}({json.dumps(shown, ensure_ascii=False, default=str)[:160]}) -> {outcome}"


@dataclass
class WebhookDelivery:
    """One POST of an update to the webhook URL."""

    update: JsonDict
    url: str
    status: int | None
    error: str | None = None


@dataclass
class Outcome:
    status: int
    payload: JsonDict
    drop_connection: bool = False

    @classmethod
    def success(cls, result: Any) -> Outcome:
        return cls(200, {"ok": True, "result": result})

    @classmethod
    def failure(cls, error: BotApiError) -> Outcome:
        return cls(error.error_code, error.payload())

    @classmethod
    def dropped(cls) -> Outcome:
        return cls(0, {"ok": False, "description": "connection dropped without an answer"}, True)

    @classmethod
    def forced(cls, failure: ForcedFailure) -> Outcome:
        return cls.dropped() if failure.drop_connection else cls.failure(failure.error())


def decode_param(name: str, value: Any) -> Any:
    """Turn one wire value back into a Python value (JSON-decoding non-string parameters)."""
    if not isinstance(value, str) or name in STRING_PARAMS:
        return value
    stripped = value.strip()
    if not stripped or not (stripped[0] in '{["-' or stripped[0].isdigit() or stripped in ("true", "false")):
        return value
    try:
        return json.loads(stripped)
    except ValueError:
        return value


class LocalBotApi(BotApiMethods):
    """An in-process Bot API server on 127.0.0.1 with a message store, call recorder and injectors."""

    def __init__(
        self,
        *,
        token: str | None = None,
        port: int = 0,
        bot_id: int = 8000000001,
        bot_username: str = "linli_test_bot",
        bot_first_name: str = "邻里小助手",
        can_read_all_group_messages: bool = True,
        deliver_mode: DeliverMode = "auto",
        enforce_limits: bool = False,
        clock: Clock = time.monotonic,
        latency: float = 0.0,
        strict_chats: bool = True,
        first_update_id: int = 500000001,
    ) -> None:
        super().__init__(
            bot_id=bot_id,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            can_read_all_group_messages=can_read_all_group_messages,
            strict_chats=strict_chats,
            first_update_id=first_update_id,
            deliver_mode=deliver_mode,
        )
        self.token = token
        self.latency = latency
        self.limits = FloodLimits(enforce=enforce_limits, clock=clock)
        self.calls: list[RecordedCall] = []
        self.throttled = 0
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_redirect = ""  # post webhook updates here instead (a bot on 127.0.0.1 behind an https URL)
        self.webhook_retry_seconds = 0.5
        self._clock = clock
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._consumed: set[int] = set()
        self._in_flight = 0
        self._posting = False
        self._calls_changed = asyncio.Event()
        table = self.method_table()
        self._handlers = {name.lower(): handler for name, handler in table.items()}
        self._canonical_names = {name.lower(): name for name in table}
        self.app = self._build_app()

    # ---- lifecycle ------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 (random port unless one was given)."""
        self._closing = False
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._requested_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._session = ClientSession(timeout=ClientTimeout(total=10))
        self._webhook_task = asyncio.create_task(self._webhook_worker(), name="localapi-webhook")
        self._last_activity = asyncio.get_running_loop().time()

    async def stop(self) -> None:
        """Release waiting long polls, stop webhook delivery and close the server."""
        self._closing = True
        self._wake(self._updates_changed)
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (after ``start``)."""
        if self._port is None:
            raise RuntimeError("LocalBotApi is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Value for PTB's ``base_url``: PTB appends the token and ``/method``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's ``base_file_url``."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ---- HTTP handling --------------------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api_request)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file_download)
        return app

    async def _handle_api_request(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        counts_as_work = method.lower() != "getupdates"
        self._in_flight += counts_as_work
        try:
            outcome, params = await self._answer(request, method)
        finally:
            self._in_flight -= counts_as_work
            if counts_as_work:
                self._touch()
        self._record(method, params, outcome)
        if outcome.drop_connection:
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        return web.json_response(outcome.payload, status=outcome.status, dumps=dumps)

    async def _answer(self, request: web.Request, method: str) -> tuple[Outcome, JsonDict]:
        try:
            params = await self._read_params(request)
        except BotApiError as error:
            return Outcome.failure(error), {}
        if self.latency:
            await asyncio.sleep(self.latency)
        return await self._dispatch(request.match_info["token"], method, params), params

    async def _read_params(self, request: web.Request) -> JsonDict:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON body") from exc
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object")
            raw.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                raw[key] = form_value(value)
        return {key: decode_param(key, value) for key, value in raw.items()}

    async def _dispatch(self, token: str, method: str, params: JsonDict) -> Outcome:
        if self.token is not None and token != self.token:
            return Outcome.failure(BotApiError(401, "Unauthorized"))
        handler = self._handlers.get(method.lower())
        if handler is None:
            return Outcome.failure(BotApiError(404, "Not Found"))
        forced = self.limits.take_forced_failure(method, params)
        try:
            if forced is not None and not forced.after_effect:
                return Outcome.forced(forced)
            self._check_not_removed(params)
            self.limits.check(method, params)
            result = await handler(params)
            self.limits.count(method, params)
        except BotApiError as error:
            return Outcome.failure(error)
        if forced is not None:
            return Outcome.forced(forced)
        return Outcome.success(result)

    async def _handle_file_download(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        stored = next((f for f in self._files.values() if f.file_path == path), None)
        if stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _record(self, method: str, params: JsonDict, outcome: Outcome) -> None:
        name = self._canonical_names.get(method.lower(), method)
        response = dict(outcome.payload)
        if outcome.payload.get("error_code") == 429:
            self.throttled += 1
        self.calls.append(RecordedCall(name, params, self._clock(), response))
        self._wake(self._calls_changed)

    # ---- recording and waiting ------------------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[RecordedCall]:
        """Every recorded call of ``method`` (case-insensitive), oldest first."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of successful sendMessage calls (to ``chat_id`` if given), as sent."""
        return [
            str(call.params.get("text"))
            for call in self.calls_of("sendMessage")
            if call.ok and (chat_id is None or chat_id_of(call.params) == chat_id)
        ]

    async def wait_for_call(
        self,
        predicate: CallPredicate | str,
        timeout: float = 5.0,
    ) -> RecordedCall:
        """First recorded call matching ``predicate`` (or a method name) not returned by an earlier wait."""
        matches = as_predicate(predicate)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, call in enumerate(self.calls):
                if index not in self._consumed and matches(call):
                    self._consumed.add(index)
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(self._timeout_report(predicate, timeout))
            await wait_event(self._calls_changed, remaining)

    def _timeout_report(self, predicate: CallPredicate | str, timeout: float) -> str:
        wanted = predicate if isinstance(predicate, str) else getattr(predicate, "__name__", repr(predicate))
        recent = [call for call in self.calls if call.method != "getUpdates"][-15:]
        lines = "\n".join(f"  {call.summary()}" for call in recent) or "  (none)"
        return f"no call matching {wanted} within {timeout:.1f}s; last calls (getUpdates omitted):\n{lines}"

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until every update was handed to the bot and no call has arrived for ``quiet`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            now = loop.time()
            busy = self._in_flight or self._posting or self._has_undelivered_updates()
            if not busy and now - self._last_activity >= quiet:
                return
            if now >= deadline:
                raise AssertionError(
                    f"server not idle after {timeout:.1f}s: {self._in_flight} calls in flight, "
                    f"{sum(not p.handed_out for p in self._pending)} updates not yet delivered"
                )
            await asyncio.sleep(0.02)

    def _has_undelivered_updates(self) -> bool:
        return any(not pending.handed_out for pending in self._pending)

    def unconfirmed_updates(self) -> int:
        """Updates the bot has not yet confirmed (by a later getUpdates offset, or a webhook's 2xx): those it has not
        stored yet, as it confirms only what it has stored."""
        return len(self._pending)

    # ---- failures -------------------------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        chat_id: int | None = None,
        *,
        drop_connection: bool = False,
        after_effect: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id`` if given) fail.

        ``drop_connection`` closes the connection without an answer; ``after_effect`` lets the call take
        effect first (the message is sent, but the bot sees the failure).
        """
        self.limits.fail_next(
            method,
            error_code,
            retry_after,
            description,
            times,
            chat_id,
            drop_connection=drop_connection,
            after_effect=after_effect,
        )

    # ---- webhook posting ------------------------------------------------------------------------------------------

    async def _webhook_worker(self) -> None:
        """Post pending updates one at a time; like Telegram, an update the webhook did not take (no 2xx, or no
        answer) is posted again after a pause."""
        while not self._closing:
            url = self.webhook_redirect or self.webhook_url if self.webhook_url else ""
            if url:
                self._drop_disallowed_updates()
            pending = self._pending[0] if self._pending else None
            if not url or pending is None:
                await wait_event(self._updates_changed, 1.0)
                continue
            self._posting = True
            try:
                taken = await self._post_update(url, pending.update)
            finally:
                self._posting = False
            if taken and pending in self._pending:
                self._pending.remove(pending)
                self._touch()
            else:
                await asyncio.sleep(self.webhook_retry_seconds)

    async def _post_update(self, url: str, update: JsonDict) -> bool:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        secret = self._webhook.get("secret_token")
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(secret)
        try:
            async with self._session.post(url, data=dumps(update), headers=headers) as response:
                await response.read()
                status: int | None = response.status
                error = None if 200 <= response.status < 300 else f"Wrong response from the webhook: {status}"
        except (ClientError, TimeoutError) as exc:
            status, error = None, f"Connection failed: {exc!r}"
        if error:
            self._last_webhook_error = (unix_now(), error)
            logger.warning("webhook delivery of update %s failed: %s", update.get("update_id"), error)
        self.webhook_deliveries.append(WebhookDelivery(update, url, status, error))
        return error is None


def dumps(data: Any) -> str:
    """JSON as Telegram writes it: UTF-8, with a lone surrogate (a name cut in the middle of an emoji) escaped."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        return json.dumps(data)
    return text


def form_value(value: Any) -> Any:
    if isinstance(value, web.FileField):
        return UploadedFile(value.filename, value.content_type, value.file.read())
    return value


def as_predicate(predicate: CallPredicate | str) -> CallPredicate:
    if isinstance(predicate, str):
        method = predicate.lower()
        return lambda call: call.method.lower() == method
    return predicate
