"""Logs never carry the bot token, the webhook secret or the database password."""

from __future__ import annotations

import logging

import pytest
import structlog

from bot.logs import Redactor, configure_logging

TOKEN = "7012345678:AAH-fake_token_value_for_the_test_0123"


def test_configured_secrets_and_token_shapes_are_scrubbed() -> None:
    redactor = Redactor(["s3cret-webhook-value", "postgresql://linli:pa55word@db/linli", ""])
    line = f"POST https://api.telegram.org/bot{TOKEN}/getUpdates secret=s3cret-webhook-value"
    assert redactor.scrub(line) == "POST https://api.telegram.org/bot***/getUpdates secret=***"
    assert "pa55word" not in redactor.scrub("db postgresql://linli:pa55word@db/linli down")


def test_library_and_structlog_lines_are_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", ["s3cret-webhook-value"])
    try:
        logging.getLogger("telegram.ext").warning("request to bot%s failed", TOKEN)
        structlog.get_logger("test").info("webhook.set", secret="s3cret-webhook-value")
        err = capsys.readouterr().err
    finally:
        logging.getLogger().handlers.clear()
        structlog.reset_defaults()
    assert TOKEN not in err and "s3cret-webhook-value" not in err
    assert "request to bot*** failed" in err and "secret='***'" in err


def test_exceptions_are_logged_by_kind_and_place_never_by_message(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", [])
    try:
        try:
            raise ValueError("王小明 13812345678")
        except ValueError:
            structlog.get_logger("test").exception("outbox.deliver_crashed", row=7)
            logging.getLogger("aiohttp.server").exception("Error handling request")
        err = capsys.readouterr().err
    finally:
        logging.getLogger().handlers.clear()
        structlog.reset_defaults()
    assert "13812345678" not in err and "王小明" not in err and "Traceback" not in err
    assert "row=7 error='ValueError' where='test_logs.py:" in err
    assert "Error handling request error=ValueError where=test_logs.py:" in err
