"""The invitations API over real HTTP, against the real app on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest

from bots.container import Container
from flows.ports import Sender
from tests.conftest import LiveServer, admin_headers, viewer_headers
from tests.fakes import RecordingSender

BODY = {
    "channel": "sms",
    "address": "+31612345678",
    "journey_stage": "complaint",
    "locale": "en",
    "interaction_id": "crm-8812",
    "agent": "anna",
    "team": "billing",
    "tags": ["vip"],
}


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def senders(sender: RecordingSender) -> dict[str, Sender]:
    """The server sends SMS through a recorder, unless a test says otherwise."""
    return {"sms": sender}


def post(server: LiveServer, body: Mapping[str, object], headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/invitations", json=body, headers=headers, timeout=10)


def test_invitation_is_created_and_its_question_sent(
    sender: RecordingSender, live_server: LiveServer
) -> None:
    """A complaint invitation picks CES, sends the English question and comes back open."""
    response = post(live_server, BODY, admin_headers())
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["flow"], body["status"], body["locale"], body["tags"]) == (
        "ces",
        "open",
        "en",
        ["vip"],
    )
    [sent] = sender.sent
    assert sent.address == "+31612345678"
    assert sent.reply.text.startswith("Acme made it easy for me to handle my issue.")
    again = httpx.get(
        f"{live_server.url}/api/v1/invitations/{body['id']}", headers=viewer_headers(), timeout=10
    )
    assert again.json()["delivery_status"] == "queued"


def test_same_interaction_posted_twice_sends_once(
    sender: RecordingSender, live_server: LiveServer
) -> None:
    """A CRM retry returns the same invitation and does not text the customer twice."""
    first = post(live_server, BODY, admin_headers()).json()
    second = post(live_server, BODY, admin_headers()).json()
    assert first["id"] == second["id"]
    assert len(sender.sent) == 1


def test_admin_api_requires_a_token(container: Container, live_server: LiveServer) -> None:
    """No token is 401, a viewer token may not create invitations (403)."""
    assert post(live_server, BODY, {}).status_code == 401
    assert post(live_server, BODY, {"Authorization": "Bearer nope"}).status_code == 401
    assert post(live_server, BODY, viewer_headers()).status_code == 403


def test_unknown_flow_is_a_clear_422_and_stores_nothing(
    container: Container, live_server: LiveServer
) -> None:
    """Naming a flow that does not exist lists the flows that do."""
    response = post(live_server, {**BODY, "flow": "nope"}, admin_headers())
    assert response.status_code == 422
    [error] = response.json()["detail"]  # FastAPI's documented field-error shape
    assert error["loc"] == ["body", "flow"]
    assert "unknown flow 'nope'" in error["msg"]
    assert "nps" in error["msg"]


def test_bad_phone_number_is_refused(container: Container, live_server: LiveServer) -> None:
    """A local number without country code gets a 422 that says what form is expected."""
    response = post(live_server, {**BODY, "address": "0612345678"}, admin_headers())
    assert response.status_code == 422
    assert "E.164" in response.text


@pytest.mark.parametrize("senders", [{}])
def test_unconfigured_channel_is_refused(container: Container, live_server: LiveServer) -> None:
    """Without Twilio settings, an SMS invitation is refused instead of stored and forgotten."""
    response = post(live_server, BODY, admin_headers())
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", "channel"], "value_error")
    assert "not configured" in error["msg"]


def test_health_reports_the_database(live_server: LiveServer) -> None:
    """/healthz answers ok with the database dialect."""
    body = httpx.get(f"{live_server.url}/healthz", timeout=10).json()
    assert body["status"] == "ok"
    assert body["database"] in {"sqlite", "postgresql"}


def test_openapi_lists_the_invitation_routes(live_server: LiveServer) -> None:
    """/docs is backed by an OpenAPI schema that documents the API."""
    schema = httpx.get(f"{live_server.url}/openapi.json", timeout=10).json()
    assert "/api/v1/invitations" in schema["paths"]
    assert schema["paths"]["/api/v1/invitations"]["post"]["summary"]
