"""Structured logs (structlog) that never carry tokens, secrets or residents' message text."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import traceback
from collections import Counter
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)
ROOT = str(Path(__file__).resolve().parents[1])
TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
QUIET_LIBRARIES = (
    "httpx",
    "httpcore",
    "apscheduler",
    "aiohttp.access",
    "telegram.ext.Updater",
    "jieba",
    "telegram._bot",  # at DEBUG these print call arguments and result rows: residents' text and names
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
)


class Redactor:
    """Replaces configured secrets and anything shaped like a bot token with ***."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return TOKEN_PATTERN.sub("***", text)

    def __call__(self, _logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        return {k: self.scrub(v) if isinstance(v, str) else v for k, v in event.items()}


class RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.scrub(record.getMessage())
        record.args = ()
        return True


def failure(error: BaseException) -> dict[str, str]:
    """What a log line may say about an exception: its kind and where it was raised, never its message (which can
    carry SQL parameters, message text or names)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if ROOT in f.filename and "/.venv/" not in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    return {"error": type(error).__name__, "where": where}


class RefusalCounter:
    """Counts refusals of one kind (forged webhook requests, bad signatures) and logs them as one line per minute:
    the first right away, the rest summed at the end of the minute."""

    def __init__(self, event: str, window_seconds: float = 60.0) -> None:
        self._event, self._window = event, window_seconds
        self._counts: Counter[str] = Counter()
        self._flush: asyncio.TimerHandle | None = None

    def refuse(self, reason: str) -> None:
        if self._flush is None:
            log.warning(self._event, reason=reason, count=1, window_seconds=self._window)
            self._flush = asyncio.get_running_loop().call_later(self._window, self.flush)
            return
        self._counts[reason] += 1

    def flush(self) -> None:
        self._flush = None
        for reason, count in sorted(self._counts.items()):
            log.warning(self._event, reason=reason, count=count, window_seconds=self._window)
        self._counts.clear()

    def close(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
        self.flush()


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter(redactor))
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redactor,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"], sort_keys=False),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=False,
    )
