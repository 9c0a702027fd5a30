"""The OpenAPI document tells clients every answer a route can give, in the shape it is given."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter

from bots.container import build
from tests.conftest import LiveServer, admin_headers, make_settings, viewer_headers


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrors(BaseModel):
    detail: list[FieldError]


class Message(BaseModel):
    detail: str


def _schema_name(response: dict[str, Any]) -> str:
    ref: str = response["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


def test_every_api_route_documents_its_auth_and_lookup_answers(live_server: LiveServer) -> None:
    """401 and 429 (with Retry-After) on every /api/v1 route, 403 where only admins may, 404
    where a path names one thing; each with the {detail} model the server really sends."""
    spec = httpx.get(f"{live_server.url}/openapi.json").json()
    admin_only = {("post", "/api/v1/invitations"), ("patch", "/api/v1/cases/{case_id}")}
    admin_only.add(("delete", "/api/v1/contacts/{address}"))
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in operations.items():
            answers = operation["responses"]
            assert {"401", "429"} <= set(answers), (method, path)
            assert "Retry-After" in answers["429"]["headers"]
            expected = {"401", "429"}
            if (method, path) in admin_only:
                expected.add("403")
            if "{" in path:
                expected.add("404")
            assert expected <= set(answers), (method, path)
            for code in expected:
                assert _schema_name(answers[code]) == "ErrorOut", (method, path, code)


def test_twilio_webhooks_document_their_refusals(database_url: str) -> None:
    """400 (a missing or malformed parameter) and 403 (signature) on each Twilio webhook."""
    container = build(make_settings(database_url, twilio_skip_signature=True))
    with LiveServer(container) as server:
        spec = httpx.get(f"{server.url}/openapi.json").json()
    container.close()
    for path in ("/webhooks/twilio/messaging", "/webhooks/twilio/status"):
        answers = spec["paths"][path]["post"]["responses"]
        assert {"400", "403", "413", "415"} <= set(answers)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("get", "/api/v1/flows", {}, 401),
        ("post", "/api/v1/invitations", {"headers": viewer_headers(), "json": {}}, 403),
        ("get", "/api/v1/invitations/nope", {"headers": admin_headers()}, 404),
        ("patch", "/api/v1/cases/7", {"headers": admin_headers(), "json": {"status": "open"}}, 404),
        ("delete", "/api/v1/contacts/12345", {"headers": admin_headers()}, 404),
    ],
)
def test_hand_raised_errors_have_the_documented_detail(
    live_server: LiveServer, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    """Each of these answers is exactly {"detail": "<a sentence>"}."""
    reply = httpx.request(method, f"{live_server.url}{path}", **kwargs)
    assert reply.status_code == status
    Message.model_validate(reply.json())


@pytest.mark.parametrize(
    "query",
    ["metric=bogus", "metric=nps&group_by=bogus", "metric=nps&from=yesterday", "flow=nope"],
)
def test_hand_raised_422s_have_fastapis_field_error_shape(
    live_server: LiveServer, query: str
) -> None:
    """A bad report parameter answers like any validation error: detail is a field-error list."""
    reply = httpx.get(f"{live_server.url}/api/v1/metrics?{query}", headers=viewer_headers())
    assert reply.status_code == 422
    errors = TypeAdapter(ValidationErrors).validate_python(reply.json())
    assert errors.detail[0].loc[0] == "query"
