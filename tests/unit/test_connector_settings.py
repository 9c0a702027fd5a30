"""Connector settings: which pushes are queued, and what production refuses."""

from __future__ import annotations

import pytest

from bots.connectors.targets import push_targets
from bots.settings import ConfigError, Settings, load_settings

STRONG = "Xk9!mQ2#vL7$wR4%tZ8^nB3&hJ6*pD1@"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_pushes_are_queued_only_for_configured_targets() -> None:
    """No URL and no platform API: a score queues nothing; each one set adds its target."""
    assert push_targets(settings()) == ()
    assert push_targets(settings(push_webhook_url="https://crm.example.com/hook")) == ("webhook",)
    zendesk = settings(
        zendesk_api_url="https://acme.zendesk.com",
        zendesk_email="bot@acme.example",
        zendesk_api_token="t",
        chatwoot_api_url="https://app.chatwoot.com",
        chatwoot_api_token="c",
    )
    assert push_targets(zendesk) == ("zendesk", "chatwoot")
    quiet = zendesk.model_copy(update={"zendesk_comment": False, "chatwoot_note": False})
    assert push_targets(quiet) == ()


def test_a_platform_url_without_a_scheme_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """'acme.zendesk.com' alone: the variable is named, with an example."""
    monkeypatch.setenv("SURVEYBOT_ZENDESK_API_URL", "acme.zendesk.com")
    with pytest.raises(ConfigError, match="SURVEYBOT_ZENDESK_API_URL: must be an http"):
        load_settings(_env_file=None)


def test_production_refuses_a_weak_generic_or_push_secret() -> None:
    """Our own signing secrets follow the rules of every other secret."""
    with pytest.raises(ValueError, match="SURVEYBOT_PUSH_WEBHOOK_SECRET must be at least 24"):
        settings(
            env="production",
            admin_token=STRONG,
            secret_key=STRONG,
            push_webhook_secret="short-Zx81",
        )
