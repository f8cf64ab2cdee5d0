"""Limits: what Telegram refuses and how it answers (the error format, message and caption lengths, callback data,
30 messages a second per bot and 20 a minute per group), and failures a test queues on purpose (`fail_next`)."""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JsonDict = dict[str, Any]
Clock = Callable[[], float]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
BOT_MESSAGES_PER_SECOND = 30
GROUP_MESSAGES_PER_MINUTE = 20
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class BotApiError(Exception):
    """An error answered in the Bot API format: ``{"ok": false, "error_code": …, "description": …}``."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        """The JSON body Telegram would send for this error."""
        body: JsonDict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> BotApiError:
    """A 400 error with Telegram's ``Bad Request: …`` prefix."""
    return BotApiError(400, f"Bad Request: {reason}")


def too_many_requests(retry_after: int) -> BotApiError:
    """A 429 flood-control error carrying ``parameters.retry_after``."""
    return BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


@dataclass
class ForcedFailure:
    """A failure queued by ``fail_next``."""

    method: str
    error_code: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | None
    drop_connection: bool
    after_effect: bool

    def matches(self, method: str, chat_id: int | None) -> bool:
        """Whether this failure applies to a call of ``method`` aimed at ``chat_id``."""
        if self.remaining <= 0 or self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> BotApiError:
        """The error to answer."""
        return BotApiError(self.error_code, self.description, self.retry_after)


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds, measured with ``clock``."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: deque[float] = deque()

    def _forget_old(self, now: float) -> None:
        while self._events and self._events[0] <= now - self.window:
            self._events.popleft()

    def retry_after(self) -> int | None:
        """Seconds (ceil, at least 1) until a slot frees, or None when one is free now."""
        now = self._clock()
        self._forget_old(now)
        if len(self._events) < self.limit:
            return None
        return max(1, math.ceil(self._events[0] + self.window - now))

    def record(self) -> None:
        """Count one event now."""
        self._events.append(self._clock())


def chat_id_of(params: JsonDict) -> int | None:
    """The integer ``chat_id`` of a call, if it has one."""
    value = params.get("chat_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def default_description(error_code: int, retry_after: int | None) -> str:
    return {
        400: "Bad Request: forced failure",
        403: "Forbidden: bot was kicked from the group chat",
        429: f"Too Many Requests: retry after {retry_after}",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(error_code, f"Error {error_code}")


class FloodLimits:
    """The failures queued by `fail_next` and, when enforced, Telegram's flood limits (a 429 with retry_after)."""

    def __init__(self, *, enforce: bool, clock: Clock) -> None:
        self.enforce = enforce
        self._clock = clock
        self._failures: list[ForcedFailure] = []
        self._bot_window = SlidingWindow(BOT_MESSAGES_PER_SECOND, 1.0, clock)
        self._group_windows: dict[int, SlidingWindow] = {}

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
        if error_code == 429 and retry_after is None:
            retry_after = 5
        self._failures.append(
            ForcedFailure(
                method,
                error_code,
                description or default_description(error_code, retry_after),
                retry_after if error_code == 429 else None,
                times,
                chat_id,
                drop_connection,
                after_effect,
            )
        )

    def take_forced_failure(self, method: str, params: JsonDict) -> ForcedFailure | None:
        chat_id = chat_id_of(params)
        for failure in self._failures:
            if failure.matches(method, chat_id):
                failure.remaining -= 1
                return failure
        return None

    def check(self, method: str, params: JsonDict) -> None:
        if not self.enforce:
            return
        waits = [w for w in (window.retry_after() for window in self._windows_for(method, params)) if w]
        if waits:
            raise too_many_requests(max(waits))

    def count(self, method: str, params: JsonDict) -> None:
        if self.enforce:
            for window in self._windows_for(method, params):
                window.record()

    def _windows_for(self, method: str, params: JsonDict) -> list[SlidingWindow]:
        name = method.lower()
        is_send = name.startswith("send") and name != "sendchataction"
        if not (is_send or name.startswith("edit")):
            return []
        windows = [self._bot_window]
        chat_id = chat_id_of(params)
        if is_send and chat_id is not None and chat_id < 0:
            window = self._group_windows.get(chat_id)
            if window is None:
                window = SlidingWindow(GROUP_MESSAGES_PER_MINUTE, 60.0, self._clock)
                self._group_windows[chat_id] = window
            windows.append(window)
        return windows
