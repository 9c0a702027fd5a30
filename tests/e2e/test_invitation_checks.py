"""What the invitations API refuses, with a message a contact centre's developer can act on."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest
from sqlmodel import Session, select

from bots.container import Container
from flows.ports import Sender
from scoring.tables import Invitation
from tests.conftest import LiveServer, admin_headers
from tests.fakes import RecordingSender

BODY = {"channel": "sms", "address": "+31612345678", "flow": "nps"}


@pytest.fixture
def senders() -> dict[str, Sender]:
    """The server sends SMS through a recorder, unless a test says otherwise."""
    return {"sms": RecordingSender()}


def post(server: LiveServer, body: Mapping[str, object]) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/invitations", json=body, headers=admin_headers(), timeout=10
    )


def stored(container: Container) -> int:
    with Session(container.db.engine) as session:
        return len(session.exec(select(Invitation)).all())


def test_unknown_locale_is_refused_with_the_known_ones(
    container: Container, live_server: LiveServer
) -> None:
    """`"locale": "de"` answers 422 naming nl and en, and stores nothing."""
    response = post(live_server, {**BODY, "locale": "de"})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "locale"]
    assert problem["msg"] == "Value error, unknown locale 'de'; known locales: nl, en"
    assert stored(container) == 0


@pytest.mark.parametrize("senders", [{}])
def test_unconfigured_channel_names_the_settings_it_needs(live_server: LiveServer) -> None:
    """A fresh server has no channel: the 422 says what to set, and points at the dev fakes."""
    response = post(live_server, BODY)
    assert response.status_code == 422
    [problem] = response.json()["detail"]  # FastAPI's documented field-error shape
    assert problem["loc"] == ["body", "channel"]
    assert problem["msg"] == (
        "channel 'sms' is not configured on this server: it needs TWILIO_ACCOUNT_SID, "
        "TWILIO_AUTH_TOKEN and TWILIO_SMS_FROM (or try it locally with `surveybot dev-fakes`; "
        "see the README)"
    )


def test_made_up_time_zone_is_refused(container: Container, live_server: LiveServer) -> None:
    """`"timezone": "Mars/Olympus"` is a 422, not a send at the wrong hour."""
    response = post(live_server, {**BODY, "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "timezone"]
    assert "unknown time zone 'Mars/Olympus'" in problem["msg"]
    assert stored(container) == 0
