"""All configuration, from the environment (and `.env`), validated once at start-up."""

from __future__ import annotations

import ipaddress
import logging
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.eligibility import Eligibility
from flows.schedule import SendWindow

log = logging.getLogger(__name__)

PLACEHOLDERS = frozenset(
    {"", "change-me", "changeme", "changethis", "secret", "placeholder", "xxx"}
)
MIN_TOKEN_CHARS = 24
MIN_KEY_CHARS = 32
# A random secret of 24+ characters has far more different characters than this; a run of one
# character, or a short word repeated, has fewer.
MIN_DISTINCT_CHARS = 8
# Words from placeholder values and password lists; a secret that holds one was typed by a
# person, not drawn at random, and is the first thing a guesser tries.
PLACEHOLDER_WORDS = (
    "change-me",
    "changeme",
    "change_me",
    "changethis",
    "placeholder",
    "password",
    "passwd",
    "secret",
    "admin",
    "letmein",
    "qwerty",
    "123456",
    "test",
    "example",
    "token",
    "default",
    "welcome",
    "dummy",
)
DEFAULT_JOURNEY_FLOWS = {
    "purchase": "nps",
    "complaint": "ces",
    "service": "csat",
    "contact": "csat",
}


class ConfigError(Exception):
    """Settings that must not be used to start the service."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SURVEYBOT_",
        env_file=".env",
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
    )

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./surveybot.db"
    admin_token: SecretStr | None = None
    viewer_token: SecretStr | None = None
    secret_key: SecretStr | None = None
    public_url: str | None = None
    flows_dir: Path | None = None
    company_name: str = "Acme"
    default_locale: Literal["nl", "en"] = "nl"
    default_flow: str = "csat"
    journey_flows: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_JOURNEY_FLOWS))
    log_level: str = "INFO"

    # Dispatch: fatigue rules, quiet hours, reminders, retries (flows can override some).
    cooldown_days: float = Field(default=30, ge=0)
    sample_percent: float = Field(default=100, gt=0, le=100)
    one_open_survey: bool = True
    send_delay_minutes: float = Field(default=0, ge=0)
    send_window: str = "09:00-21:00"  # recipient's local time; "off" sends at any hour
    default_timezone: str = "Europe/Amsterdam"
    reminder_hours: float = Field(default=24, ge=0)  # 0 turns reminders off
    send_attempts: int = Field(default=3, ge=1, le=10)
    in_process_worker: bool = True
    worker_lease_seconds: float = Field(default=120, gt=0)  # a dead worker's jobs return after it
    # Reports: day/week/month buckets in this zone; groups below this n hide the score.
    report_timezone: str = "Europe/Amsterdam"
    min_group_n: int = Field(default=10, ge=0)
    # Viewers also lose the drill-down and the responses export of a group below min_group_n.
    small_groups_strict: bool = False
    # Public holidays of this country name the days of the time-effects report (ISO 3166).
    holiday_country: str = "NL"
    # Whose score a response is in reports by agent or team: the chain's last, first or every
    # member (read from the stored chain, so changing it re-reads history).
    attribution: Literal["last", "first", "all"] = "last"
    # Eligibility, checked when an invitation arrives (flows can override all but the numbers).
    exclude_queues: str = ""  # comma-separated
    exclude_dispositions: str = ""  # comma-separated
    skip_bot_only: bool = True
    skip_auto_closed: bool = True
    min_handle_seconds: int = Field(default=0, ge=0)
    skip_outbound: bool = False
    agent_numbers: str = ""  # the agents' own phones, E.164, comma-separated
    # Detractor alerts: an HMAC-signed webhook and/or a Telegram admin chat.
    alert_webhook_url: str | None = None
    alert_webhook_secret: SecretStr | None = None
    alert_telegram_chat_id: str | None = None
    # Operations: personal data older than this is erased; /metrics bearer token
    # (unset: open, as Prometheus scrapers expect); log lines as JSON (default in production).
    retention_days: int = Field(default=365, ge=1)
    metrics_token: SecretStr | None = None
    log_format: Literal["json", "text"] | None = None
    # Failed authentication (admin sign-in, API and metrics tokens): at most this many per
    # client in each window, then 429 until the window ends; counted in the database.
    auth_failure_limit: int = Field(default=10, ge=1)
    auth_failure_window_seconds: int = Field(default=300, ge=1, le=86400)
    # Reverse proxies whose X-Forwarded-For names the client (IPs or CIDRs, comma-separated).
    # Empty: the client is the socket peer, and nothing a client sends can change that.
    trusted_proxies: str = ""

    # Connectors (README "Connectors"): each inbound webhook is on when its secret is set; the
    # field mapping can be changed per connector in a TOML file.
    connectors_file: Path | None = None
    generic_webhook_secret: SecretStr | None = None
    zendesk_webhook_secret: SecretStr | None = None
    chatwoot_webhook_secret: SecretStr | None = None
    flex_connector: bool = False  # TaskRouter event callbacks, signed with TWILIO_AUTH_TOKEN
    # Every response, back to the contact: a signed webhook and the platforms' own APIs.
    push_webhook_url: str | None = None
    push_webhook_secret: SecretStr | None = None
    push_hold_minutes: float = Field(default=60, ge=0)  # wait this long for the comment
    push_attempts: int = Field(default=8, ge=1, le=20)
    zendesk_api_url: str | None = None  # https://acme.zendesk.com
    zendesk_email: str | None = None
    zendesk_api_token: SecretStr | None = None
    zendesk_comment: bool = True  # a private comment on the ticket
    zendesk_score_field_id: int | None = None  # and/or the score in this custom ticket field
    chatwoot_api_url: str | None = None  # https://app.chatwoot.com
    chatwoot_api_token: SecretStr | None = None  # a user's or bot's access token
    chatwoot_note: bool = True  # a private note on the conversation

    twilio_account_sid: str | None = Field(
        default=None, validation_alias=_env("TWILIO_ACCOUNT_SID")
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None, validation_alias=_env("TWILIO_AUTH_TOKEN")
    )
    twilio_api_base_url: str = Field(
        default="https://api.twilio.com", validation_alias=_env("TWILIO_API_BASE_URL")
    )
    twilio_sms_from: str | None = Field(default=None, validation_alias=_env("TWILIO_SMS_FROM"))
    twilio_whatsapp_from: str | None = Field(
        default=None, validation_alias=_env("TWILIO_WHATSAPP_FROM")
    )
    twilio_voice_from: str | None = Field(default=None, validation_alias=_env("TWILIO_VOICE_FROM"))
    twilio_content_base_url: str = Field(
        default="https://content.twilio.com", validation_alias=_env("TWILIO_CONTENT_BASE_URL")
    )
    # Messages per second our WhatsApp sender may send (Twilio queues beyond its own rate).
    twilio_whatsapp_rate: float = Field(
        default=10, gt=0, le=1000, validation_alias=_env("TWILIO_WHATSAPP_RATE")
    )
    # WhatsApp's pair rate: no faster than this to one person (replies in a webhook are fine).
    twilio_whatsapp_pair_seconds: float = Field(
        default=6, ge=0, le=60, validation_alias=_env("TWILIO_WHATSAPP_PAIR_SECONDS")
    )
    twilio_voice_flow: str = Field(default="nps", validation_alias=_env("TWILIO_VOICE_FLOW"))
    # Development only: accept unsigned Twilio requests. Refused in production.
    twilio_skip_signature: bool = Field(
        default=False, validation_alias=_env("TWILIO_SKIP_SIGNATURE")
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("TELEGRAM_BOT_TOKEN")
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET")
    )
    telegram_api_base_url: str | None = Field(
        default=None, validation_alias=_env("TELEGRAM_API_BASE_URL")
    )

    @field_validator("database_url")
    @classmethod
    def _database_is_supported(cls, value: str) -> str:
        from sqlalchemy.engine import make_url  # noqa: PLC0415
        from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

        from scoring.db import normalise_url  # noqa: PLC0415

        try:
            backend = make_url(normalise_url(value)).get_backend_name()
        except ArgumentError:
            backend = ""
        if backend not in {"sqlite", "postgresql"}:
            raise ValueError(
                "must be sqlite:///path/to/file.db or postgresql://user@host:5432/database"
            )
        return value

    @field_validator("send_window")
    @classmethod
    def _window_parses(cls, value: str) -> str:
        if value.strip().lower() not in {"off", ""}:
            SendWindow.parse(value)
        return value

    @field_validator("holiday_country")
    @classmethod
    def _calendar_exists(cls, value: str) -> str:
        import holidays  # noqa: PLC0415  (only needed to check the setting)

        if value not in holidays.list_supported_countries():
            raise ValueError(f"no public-holiday calendar for {value!r}; use an ISO code, e.g. NL")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def window(self) -> SendWindow | None:
        text = self.send_window.strip().lower()
        return None if text in {"off", ""} else SendWindow.parse(text)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        for item in _split(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    def proxies(self) -> list[str]:
        return _split(self.trusted_proxies)

    @field_validator("zendesk_api_url", "chatwoot_api_url", "push_webhook_url")
    @classmethod
    def _is_http_url(cls, value: str | None) -> str | None:
        if value and not value.lower().startswith(("https://", "http://")):
            raise ValueError("must be an http(s):// URL, like https://acme.zendesk.com")
        return value.rstrip("/") if value else value

    @field_validator("agent_numbers")
    @classmethod
    def _numbers_are_e164(cls, value: str) -> str:
        for position, item in enumerate(_split(value), 1):
            if not re.fullmatch(r"\+[1-9][0-9]{6,14}", item.replace(" ", "")):
                # By position, not by value: the setting holds phone numbers.
                raise ValueError(
                    f"entry {position} is not an E.164 number; write +31612345678, comma-separated"
                )
        return value

    def eligibility(self) -> Eligibility:
        """The global eligibility rules (a flow's `[eligibility]` table overrides them)."""
        return Eligibility(
            exclude_queues=frozenset(_split(self.exclude_queues)),
            exclude_dispositions=frozenset(_split(self.exclude_dispositions)),
            skip_bot_only=self.skip_bot_only,
            skip_auto_closed=self.skip_auto_closed,
            min_handle_seconds=self.min_handle_seconds,
            skip_outbound=self.skip_outbound,
            agent_numbers=frozenset(_split(self.agent_numbers)),
        )

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _production_is_locked_down(self) -> Settings:
        if self.env != "production":
            return self
        problems = [
            f"SURVEYBOT_{name.upper()} is missing"
            for name in ("admin_token", "secret_key")
            if getattr(self, name) is None
        ]
        # (variable, value, minimum length); an unset optional secret is checked elsewhere.
        secrets: list[tuple[str, SecretStr | None, int]] = [
            ("SURVEYBOT_ADMIN_TOKEN", self.admin_token, MIN_TOKEN_CHARS),
            ("SURVEYBOT_VIEWER_TOKEN", self.viewer_token, MIN_TOKEN_CHARS),
            ("SURVEYBOT_SECRET_KEY", self.secret_key, MIN_KEY_CHARS),
            ("SURVEYBOT_METRICS_TOKEN", self.metrics_token, MIN_TOKEN_CHARS),
            ("SURVEYBOT_ALERT_WEBHOOK_SECRET", self.alert_webhook_secret, MIN_TOKEN_CHARS),
            ("SURVEYBOT_GENERIC_WEBHOOK_SECRET", self.generic_webhook_secret, MIN_TOKEN_CHARS),
            ("SURVEYBOT_PUSH_WEBHOOK_SECRET", self.push_webhook_secret, MIN_TOKEN_CHARS),
            ("TELEGRAM_WEBHOOK_SECRET", self.telegram_webhook_secret, MIN_TOKEN_CHARS),
            # Twilio's auth tokens are 32 hex digits.
            ("TWILIO_AUTH_TOKEN", self.twilio_auth_token, 32),
        ]
        for variable, value, min_chars in secrets:
            if value is not None and (why := weakness(value.get_secret_value(), min_chars)):
                problems.append(f"{variable} {why}")
        if (
            self.admin_token is not None
            and self.viewer_token is not None
            and self.admin_token.get_secret_value() == self.viewer_token.get_secret_value()
        ):
            problems.append("SURVEYBOT_VIEWER_TOKEN must differ from SURVEYBOT_ADMIN_TOKEN")
        if self.public_url and not self.public_url.lower().startswith("https://"):
            problems.append(
                "SURVEYBOT_PUBLIC_URL must be an https:// URL (webhooks and sign-in cookies "
                "travel over it)"
            )
        if self.twilio_skip_signature:
            problems.append("TWILIO_SKIP_SIGNATURE is refused in production")
        problems += _alert_webhook_problems(self.alert_webhook_url, self.alert_webhook_secret)
        if problems:
            raise ValueError("; ".join(dict.fromkeys(problems)))
        return self

    def role_token(self, role: str) -> str | None:
        """The bearer token of a role ("admin" or "viewer"); None when unset or a placeholder.

        A placeholder such as 'change-me' from .env.example must never open the admin API.
        """
        token = self.admin_token if role == "admin" else self.viewer_token
        return None if _is_placeholder(token) or token is None else token.get_secret_value()

    def secret(self) -> str:
        """The HMAC key for contact pseudonyms (a fixed dev key outside production)."""
        if _is_placeholder(self.secret_key):
            return "surveybot-development-secret-not-for-production"
        assert self.secret_key is not None  # noqa: S101
        return self.secret_key.get_secret_value()

    def warnings(self) -> list[str]:
        """Loud warnings for development settings that would be errors in production."""
        notes = []
        if _is_placeholder(self.admin_token):
            notes.append("SURVEYBOT_ADMIN_TOKEN is not set: the admin API refuses every request")
        if _is_placeholder(self.secret_key):
            notes.append("SURVEYBOT_SECRET_KEY is not set: using a development key for pseudonyms")
        if self.twilio_skip_signature:
            notes.append("TWILIO_SKIP_SIGNATURE is on: Twilio requests are NOT authenticated")
        return notes


def _alert_webhook_problems(url: str | None, secret: SecretStr | None) -> list[str]:
    """Alerts carry a customer's comment: over TLS only, and signed so the receiver can check."""
    if not url:
        return []
    problems = []
    if not url.lower().startswith("https://"):
        problems.append(
            "SURVEYBOT_ALERT_WEBHOOK_URL must be an https:// URL (alerts carry comments)"
        )
    if secret is None:
        problems.append(
            "SURVEYBOT_ALERT_WEBHOOK_SECRET is missing (the receiver checks each alert's signature)"
        )
    return problems


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def weakness(value: str, min_chars: int) -> str | None:
    """Why `value` is no secret fit for production, or None when it is fine."""
    folded = value.strip().lower()
    if folded in PLACEHOLDERS or any(word in folded for word in PLACEHOLDER_WORDS):
        return "is a placeholder: set a real, random value"
    if len(value) < min_chars:
        return f"must be at least {min_chars} characters"
    if len(set(value)) < MIN_DISTINCT_CHARS:
        return "is too predictable (too few different characters): use a random value"
    return None


def _is_placeholder(value: SecretStr | None) -> bool:
    return value is None or value.get_secret_value().strip().lower() in PLACEHOLDERS


def env_name(field: str) -> str:
    """The environment variable that sets a settings field."""
    if field.isupper():  # already the variable's name (an alias)
        return field
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return f"SURVEYBOT_{field.upper()}"


_SETTINGS_SOURCE_FIELD = re.compile(r'error parsing value for field "(\w+)"')
JSON_EXAMPLES = {"journey_flows": '{"purchase": "nps", "complaint": "ces"}'}


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a clear ConfigError instead of a traceback."""
    from pydantic import ValidationError  # noqa: PLC0415
    from pydantic_settings import SettingsError  # noqa: PLC0415

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except SettingsError as exc:
        # A JSON-valued setting (a dict) that does not parse, before any validation.
        match = _SETTINGS_SOURCE_FIELD.search(str(exc))
        field = match.group(1) if match else "settings"
        example = JSON_EXAMPLES.get(field, "{}")
        raise ConfigError(f"{env_name(field)} is not valid JSON; write it like {example}") from None
    except ValidationError as exc:
        lines = []
        for e in exc.errors(include_url=False):
            message = e["msg"].removeprefix("Value error, ")
            if e["loc"]:
                where = env_name(str(e["loc"][0])) + "".join(f"[{p!r}]" for p in e["loc"][1:])
                lines.append(f"{where}: {message}")
            else:  # the production checks: one problem a line, without pydantic's prefix
                lines.extend(message.split("; "))
        if len(lines) == 1:
            raise ConfigError(f"invalid configuration: {lines[0]}") from None
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
