"""Typed settings read from the environment and `.env` (pydantic-settings)."""

import re
from itertools import pairwise
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.common.numbers import parse_id

DEFAULT_SQLITE_URL = "sqlite:///data/linli.db"
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "your-secret", "xxx"}


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one line for the operator."""


class Settings(BaseSettings):
    """Every setting Linli reads; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    database_url: str = DEFAULT_SQLITE_URL
    timezone: str = "Asia/Shanghai"
    locale: Literal["zh", "en"] = "zh"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 90)
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    inbox_max_attempts: int = Field(default=3, ge=1, le=20)
    bot_rate_per_second: float = Field(default=30.0, gt=0)
    group_rate_per_minute: int = Field(default=20, ge=1)
    sla_confirm_hours: float = Field(default=2, gt=0)
    sla_repair_hours: float = Field(default=24, gt=0)
    sla_sanitation_hours: float = Field(default=24, gt=0)
    sla_dispute_hours: float = Field(default=72, gt=0)
    verify_after_hours: float = Field(default=48, gt=0)
    report_in_hours: float = Field(default=2, gt=0)
    duplicate_window_hours: float = Field(default=72, gt=0)
    sweep_seconds: float = Field(default=30, gt=0)
    working_hours: str = ""
    emergency_numbers: str = "119 火警,120 急救,110 报警"
    wecom_corp_id: str = ""
    wecom_agent_id: int | None = None
    wecom_app_secret: str = ""
    wecom_app_token: str = ""
    wecom_app_aes_key: str = ""
    wecom_bot_token: str = ""
    wecom_bot_aes_key: str = ""
    wecom_api_base_url: str = "https://qyapi.weixin.qq.com"
    wecom_robot_per_minute: int = Field(default=20, ge=1, le=20)
    wecom_image_max_mb: int = Field(default=10, ge=1, le=20)  # a received image kept up to this size
    link_code_ttl_minutes: int = Field(default=10, ge=1, le=24 * 60)
    shop_hold_hours: float = Field(default=72, gt=0)
    passbook_cap_staff: int = Field(default=200, ge=0)
    passbook_cap_grid_worker: int = Field(default=100, ge=0)
    passbook_cap_building_head: int = Field(default=50, ge=0)
    passbook_ticket_repair_points: int = Field(default=10, ge=0)
    passbook_ticket_sanitation_points: int = Field(default=5, ge=0)
    passbook_ticket_dispute_points: int = Field(default=10, ge=0)
    passbook_report_points: int = Field(default=2, ge=0)
    passbook_help_points: int = Field(default=10, ge=0)
    help_escalate_hours: int = Field(default=4, ge=1, le=24 * 7)
    help_auto_confirm_hours: int = Field(default=48, ge=1, le=24 * 30)
    passbook_report_daily_cap: int = Field(default=6, ge=0)
    passbook_event_points: int = Field(default=5, ge=0)
    passbook_stars: str = "50,150,300,600,1000"
    passbook_award_group_line: bool = True
    passbook_star_group_line: bool = False
    console_base_url: str = ""
    console_link_minutes: int = Field(default=5, ge=1, le=60)
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    retention_months: int = Field(default=0, ge=0, le=600)

    @field_validator("working_hours")
    @classmethod
    def _working_hours_shape(cls, value: str) -> str:
        if value.strip() and not re.fullmatch(r"\s*\d{2}:\d{2}\s*-\s*\d{2}:\d{2}\s*", value):
            raise ValueError("use HH:MM-HH:MM, e.g. 08:30-17:30, or leave it empty")
        return value

    @field_validator("emergency_numbers")
    @classmethod
    def _numbers_with_names(cls, value: str) -> str:
        if any(not part.strip() for part in value.split(",")) and value.strip():
            raise ValueError("use numbers with their names separated by commas, e.g. 119 火警,120 急救,110 报警")
        return value

    @field_validator("passbook_stars")
    @classmethod
    def _rising_thresholds(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        numbers = [number for number in map(parse_id, parts) if number]
        if len(numbers) != len(parts) or any(low >= high for low, high in pairwise(numbers)):
            raise ValueError("use rising point thresholds separated by commas, e.g. 50,150,300,600,1000")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (try Asia/Shanghai)") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> "Settings":
        if self.telegram_webhook_url:
            if not self.telegram_webhook_url.startswith("https://"):
                raise ValueError("TELEGRAM_WEBHOOK_URL must be an https:// URL Telegram can reach")
            secret = self.telegram_webhook_secret
            if len(secret) < 16 or secret.lower() in PLACEHOLDER_SECRETS:
                raise ValueError("TELEGRAM_WEBHOOK_SECRET must be set to at least 16 random characters")
        return self

    @field_validator("wecom_agent_id", mode="before")
    @classmethod
    def _empty_agent_id_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("wecom_app_aes_key", "wecom_bot_aes_key")
    @classmethod
    def _aes_key_shape(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9+/]{43}", value):
            raise ValueError("must be the 43-character EncodingAESKey from the WeCom admin console")
        return value

    @field_validator("wecom_api_base_url")
    @classmethod
    def _api_base_shape(cls, value: str) -> str:
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("must be an https:// URL (or a local http:// test server)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _wecom_settings_complete(self) -> "Settings":
        app = {
            "WECOM_CORP_ID": self.wecom_corp_id,
            "WECOM_AGENT_ID": self.wecom_agent_id,
            "WECOM_APP_SECRET": self.wecom_app_secret,
            "WECOM_APP_TOKEN": self.wecom_app_token,
            "WECOM_APP_AES_KEY": self.wecom_app_aes_key,
        }
        missing = [name for name, value in app.items() if not value]
        if len(missing) < len(app) and missing:
            raise ValueError(f"the WeCom app needs {', '.join(missing)} as well")
        if bool(self.wecom_bot_token) != bool(self.wecom_bot_aes_key):
            raise ValueError("the WeCom AI bot needs both WECOM_BOT_TOKEN and WECOM_BOT_AES_KEY")
        return self

    @property
    def wecom_app_enabled(self) -> bool:
        """The self-built app: 1:1 callbacks, private replies, app group chats (appchat)."""
        return bool(self.wecom_corp_id and self.wecom_app_secret)

    @property
    def wecom_bot_enabled(self) -> bool:
        """The AI bot (智能机器人): group @mentions and 1:1 messages, one reply per message via response_url."""
        return bool(self.wecom_bot_token)

    @property
    def wecom_enabled(self) -> bool:
        return self.wecom_app_enabled or self.wecom_bot_enabled

    @property
    def sandbox(self) -> bool:
        """No token means the embedded sandbox: a local Bot API server and a chat page."""
        return not self.telegram_bot_token

    @property
    def star_thresholds(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.passbook_stars.split(",") if p.strip())

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def async_database_url(self) -> str:
        return to_async_url(self.database_url)


def to_async_url(url: str) -> str:
    """Pick the async driver for a plain SQLAlchemy URL (aiosqlite / asyncpg)."""
    scheme, sep, rest = url.partition("://")
    base = scheme.split("+")[0]
    if base in ("postgres", "postgresql"):
        return f"postgresql+asyncpg{sep}{rest}"
    return f"sqlite+aiosqlite{sep}{rest}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL, or None for PostgreSQL and in-memory SQLite."""
    scheme, _, rest = url.partition("://")
    if not scheme.startswith("sqlite") or rest in ("", "/", "/:memory:"):
        return None
    return Path(rest[1:]) if rest.startswith("/") else Path(rest)


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]).upper() or "settings"
        raise ConfigError(f"配置错误 / invalid setting {field}: {first['msg']}") from None
