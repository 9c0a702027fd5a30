"""Hardening at the edges: body limits, report ranges, tokens, deep links."""

from __future__ import annotations

import logging

import httpx
import pytest

from bots.alerts import _describe
from bots.container import Container, build
from bots.settings import ConfigError, load_settings
from flows.service import NewInvitation
from scoring.channels import Channel
from tests.conftest import LiveServer, admin_headers, make_settings, viewer_headers


def test_an_oversized_body_is_refused_before_it_is_read(live_server: LiveServer) -> None:
    """2 MB posted to a webhook (declared or chunked) gets 413, not a buffered body."""
    big = b"x" * (2 * 1024 * 1024)
    declared = httpx.post(f"{live_server.url}/webhooks/twilio/messaging", content=big, timeout=10)
    chunked = httpx.post(
        f"{live_server.url}/api/v1/invitations",
        content=iter([big[:1_000_000], big[1_000_000:]]),
        headers=admin_headers(),
        timeout=10,
    )
    assert (declared.status_code, chunked.status_code) == (413, 413)


def test_an_oversized_body_logs_one_short_line_and_no_traceback(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A chunked 2 MB webhook is refused with one WARNING line each; no ERROR, no traceback."""
    big = b"x" * (2 * 1024 * 1024)
    container = build(make_settings(database_url, twilio_skip_signature=True))
    with LiveServer(container) as server:
        caplog.clear()  # the start-up warnings about development mode
        with caplog.at_level(logging.INFO):
            for path in (
                "/webhooks/twilio/messaging",
                "/webhooks/twilio/voice",
                "/api/v1/invitations",
            ):
                refused = httpx.post(
                    f"{server.url}{path}",
                    content=iter([big[:1_000_000], big[1_000_000:]]),
                    headers=admin_headers(),
                    timeout=10,
                )
                assert refused.status_code == 413
    container.close()
    assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == ["WARNING"] * 3
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("metric=nps&group_by=day&from=1000-01-01&to=9999-12-30", "between 2000 and 2100"),
        ("metric=nps&to=9999-12-31", "is not a date"),
        ("metric=nps&group_by=bogus", "group_by"),
        ("metric=x%22;%20filename=evil.html", "metric"),
    ],
)
def test_report_parameters_are_checked_not_trusted(
    live_server: LiveServer, query: str, message: str
) -> None:
    """Absurd ranges, unknown groupings and metrics are a 422 that says why, never a 500."""
    response = httpx.get(
        f"{live_server.url}/api/v1/metrics?{query}", headers=viewer_headers(), timeout=10
    )
    assert response.status_code == 422
    assert message in str(response.json()["detail"])


def test_a_viewer_never_sees_the_deep_link_token(
    container: Container, live_server: LiveServer
) -> None:
    """The token opens the survey for whoever uses it first, so only admins get it."""
    invitation = container.service.create_invitation(
        NewInvitation(Channel.TELEGRAM, "", flow_id="nps")
    )
    url = f"{live_server.url}/api/v1/invitations/{invitation.public_id}"
    as_viewer = httpx.get(url, headers=viewer_headers(), timeout=10).json()
    as_admin = httpx.get(url, headers=admin_headers(), timeout=10).json()
    assert as_viewer["deep_link_token"] is None
    assert as_admin["deep_link_token"] == invitation.deep_link_token


def test_placeholder_admin_token_opens_nothing(database_url: str) -> None:
    """'change-me' from .env.example is not a password, even in development."""
    settings = load_settings(_env_file=None, database_url=database_url, admin_token="change-me")
    assert settings.role_token("admin") is None


def test_production_refuses_short_or_shared_tokens() -> None:
    """Production needs long tokens, and a viewer token that is not the admin's."""
    with pytest.raises(ConfigError) as caught:
        load_settings(
            _env_file=None,
            env="production",
            admin_token="short",
            viewer_token="short",
            secret_key="k" * 40,
        )
    text = str(caught.value)
    assert "SURVEYBOT_ADMIN_TOKEN must be at least 24 characters" in text
    assert "SURVEYBOT_VIEWER_TOKEN must differ from SURVEYBOT_ADMIN_TOKEN" in text


def test_a_failed_alert_is_described_without_its_url() -> None:
    """The Telegram alert URL holds the bot token: an error note must not quote it."""
    request = httpx.Request("POST", "https://api.telegram.org/bot123:SECRET/sendMessage")
    error = httpx.HTTPStatusError(
        "400", request=request, response=httpx.Response(400, request=request)
    )
    assert _describe(error) == "HTTP 400"
