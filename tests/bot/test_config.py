"""Settings: defaults, driver selection, and one clear line for a bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, sqlite_path, to_async_url

REPO = Path(__file__).resolve().parents[2]


def test_defaults_are_a_local_sqlite_file_in_shanghai_time(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TIMEZONE", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite:///data/linli.db" and settings.sandbox
    assert settings.timezone == "Asia/Shanghai" and settings.locale == "zh"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/linli.db", "sqlite+aiosqlite:///data/linli.db"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_the_async_driver_is_chosen_automatically(url: str, expected: str) -> None:
    assert to_async_url(url) == expected


def test_sqlite_paths() -> None:
    assert sqlite_path("sqlite:///data/linli.db") == Path("data/linli.db")
    assert sqlite_path("sqlite:////tmp/x.db") == Path("/tmp/x.db")
    assert sqlite_path("postgresql://h/db") is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "TIMEZONE"),
        ({"database_url": "mysql://x"}, "DATABASE_URL"),
        ({"web_port": 70000}, "WEB_PORT"),
        ({"locale": "fr"}, "LOCALE"),
        ({"working_hours": "9-5"}, "WORKING_HOURS"),
        ({"wecom_bot_aes_key": "too-short"}, "WECOM_BOT_AES_KEY"),
        ({"wecom_corp_id": "ww1", "wecom_app_secret": "s"}, ""),
        ({"wecom_bot_token": "t"}, ""),
        ({"wecom_api_base_url": "http://example.invalid"}, "WECOM_API_BASE_URL"),
        (
            {"telegram_webhook_url": "https://example.invalid/telegram/webhook", "telegram_webhook_secret": "changeme"},
            "",
        ),
    ],
)
def test_bad_settings_give_one_clear_line(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, **overrides)
    message = str(caught.value)
    assert "\n" not in message and field in message


@pytest.mark.parametrize("stars", ["50,1²", "50,1" + "0" * 400], ids=["superscript-digit", "400-digits"])
def test_star_thresholds_are_ascii_numbers_a_balance_can_reach(stars: str) -> None:
    with pytest.raises(ConfigError, match="rising point thresholds"):
        load_settings(_env_file=None, passbook_stars=stars)


def test_the_cli_prints_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "TIMEZONE": "Nowhere/Else", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "TIMEZONE" in result.stderr and "Traceback" not in result.stderr


def test_wecom_is_off_unless_configured_and_each_surface_stands_alone() -> None:
    plain = load_settings(_env_file=None)
    assert not plain.wecom_enabled
    key = "A" * 43
    bot_only = load_settings(_env_file=None, wecom_bot_token="t", wecom_bot_aes_key=key)
    assert bot_only.wecom_bot_enabled and not bot_only.wecom_app_enabled
    app = {"wecom_corp_id": "ww1", "wecom_agent_id": 1, "wecom_app_secret": "s", "wecom_app_token": "t"}
    app_only = load_settings(_env_file=None, wecom_app_aes_key=key, **app)
    assert app_only.wecom_app_enabled and not app_only.wecom_bot_enabled


def test_the_example_env_file_loads_as_it_is() -> None:
    settings = load_settings(_env_file=REPO / ".env.example")
    assert not settings.wecom_enabled and settings.wecom_agent_id is None and settings.wecom_robot_per_minute == 20
