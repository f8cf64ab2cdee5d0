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
        if record.exc_info and record.exc_info[1] is not None:  # a library's traceback: its kind and place only
            summary = failure(record.exc_info[1])
            record.msg += f" error={summary['error']} where={summary['where']}"
            record.exc_info, record.exc_text = None, None
        return True


def exception_summary(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """`log.exception(…)` anywhere logs the exception's kind and place, never its message or traceback text (an
    IntegrityError's DETAIL names the values, a feature's message may quote a resident)."""
    exc_info = event.pop("exc_info", None)
    error = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1] if exc_info else None
    if error is not None:
        event.update(failure(error))
    return event


def failure(error: BaseException) -> dict[str, str]:
    """What a log line may say about an exception: its kind and where it was raised, never its message (which can
    carry SQL parameters, message text or names)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if ROOT in f.filename and "/.venv/" not in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    return {"error": type(error).__name__, "where": where}


class RefusalCounter:
    """Counts refusals (forged webhook requests, bad signatures) and logs them as counts, one line per kind a
    minute: the first refusal of a minute right away, the rest summed when the minute is over."""

    def __init__(self, event: str, window_seconds: float = 60.0) -> None:
        self._event, self._window = event, window_seconds
        self._counts: Counter[tuple[tuple[str, Any], ...]] = Counter()
        self._flush: asyncio.TimerHandle | None = None

    def refuse(self, **fields: Any) -> None:
        """One refusal; `fields` say what kind (never what was sent)."""
        if self._flush is None:
            log.warning(self._event, count=1, window_seconds=self._window, **fields)
            self._flush = asyncio.get_running_loop().call_later(self._window, self.flush)
            return
        self._counts[tuple(sorted(fields.items()))] += 1

    def flush(self) -> None:
        self._flush = None
        for kind, count in self._counts.items():
            log.warning(self._event, count=count, window_seconds=self._window, **dict(kind))
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
            exception_summary,
            redactor,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"], sort_keys=False),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=False,
    )
