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
