"""Settings: mirrored by .env.example, and refused when unsafe or malformed."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from bots.settings import ConfigError, Settings, load_settings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def env_name(field: str) -> str:
    return (
        field.upper()
        if field.startswith(("twilio_", "telegram_"))
        else f"SURVEYBOT_{field.upper()}"
    )


def test_every_setting_is_documented_in_env_example() -> None:
    """A new user finds every setting, with its default, in .env.example."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    missing = [env_name(f) for f in Settings.model_fields if f"{env_name(f)}=" not in text]
    assert missing == []


def test_env_example_loads_as_valid_development_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copying .env.example to .env gives a server that starts (in development)."""
    monkeypatch.chdir(ENV_EXAMPLE.parent)
    settings = Settings(_env_file=ENV_EXAMPLE)
    assert settings.env == "development"
    assert settings.window() is not None


def test_bad_send_window_is_a_clear_error() -> None:
    """'9-21' is not a window; the error says what one looks like."""
    with pytest.raises(ConfigError, match="send window must look like 09:00-21:00"):
        load_settings(_env_file=None, send_window="9-21")


def test_unknown_time_zone_is_refused() -> None:
    """A typo in the default time zone fails at start-up, not at 3 a.m."""
    with pytest.raises(ConfigError, match="unknown time zone 'Europe/Amsterdm'"):
        load_settings(_env_file=None, default_timezone="Europe/Amsterdm")


def test_production_refuses_a_short_secret_and_skipped_signatures() -> None:
    """Production mode needs a real HMAC key and signed Twilio webhooks."""
    with pytest.raises(ConfigError) as caught:
        load_settings(
            _env_file=None,
            env="production",
            admin_token="a-real-admin-token-value",
            secret_key="short",
            twilio_skip_signature=True,
        )
    assert "SURVEYBOT_SECRET_KEY must be at least 32 characters" in str(caught.value)
    assert "TWILIO_SKIP_SIGNATURE is refused in production" in str(caught.value)


def test_production_starts_with_strong_secrets() -> None:
    """Random secrets of the documented lengths and an https URL pass the production checks."""
    settings = load_settings(
        _env_file=None,
        env="production",
        admin_token=secrets.token_urlsafe(32),
        viewer_token=secrets.token_urlsafe(32),
        secret_key=secrets.token_urlsafe(48),
        public_url="https://surveys.example.com",
        telegram_webhook_secret=secrets.token_urlsafe(32),
        twilio_auth_token=secrets.token_hex(16),
        metrics_token=secrets.token_urlsafe(32),
        alert_webhook_url="https://hooks.example.com/surveybot",
        alert_webhook_secret=secrets.token_urlsafe(32),
    )
    assert settings.env == "production"


def test_production_refuses_alerts_over_plain_http_or_unsigned() -> None:
    """An alert carries the customer's comment: never in clear text, never unsigned."""
    with pytest.raises(ConfigError) as caught:
        load_settings(
            _env_file=None,
            env="production",
            admin_token=secrets.token_urlsafe(32),
            secret_key=secrets.token_urlsafe(48),
            alert_webhook_url="http://hooks.example.com/surveybot",
        )
    assert "SURVEYBOT_ALERT_WEBHOOK_URL must be an https:// URL" in str(caught.value)
    assert "SURVEYBOT_ALERT_WEBHOOK_SECRET is missing" in str(caught.value)


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    """A typo in SURVEYBOT_TRUSTED_PROXIES fails at start-up instead of trusting nobody."""
    assert load_settings(_env_file=None, trusted_proxies="10.0.0.0/8, ::1").proxies() == [
        "10.0.0.0/8",
        "::1",
    ]
    with pytest.raises(ConfigError, match=r"'proxy\.internal' is not an IP address or network"):
        load_settings(_env_file=None, trusted_proxies="10.0.0.1,proxy.internal")
