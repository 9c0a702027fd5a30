"""Security headers: on the dashboard, the API, webhooks and error answers alike."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bots.container import build
from tests.conftest import ADMIN_TOKEN, LiveServer, admin_headers, make_settings

COMMON = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
def production(database_url: str) -> Iterator[LiveServer]:
    """The app with SURVEYBOT_ENV=production (and Twilio on, unsigned requests refused)."""
    container = build(
        make_settings(
            database_url,
            env="production",
            twilio_account_sid="AC" + "0" * 32,
            twilio_auth_token="f3a9c07e5b1d42e8a6c39f0b7d2e4a18",
        )
    )
    with LiveServer(container) as server:
        yield server
    container.close()


def _assert_common(reply: httpx.Response) -> None:
    for name, value in COMMON.items():
        assert reply.headers.get(name) == value, (reply.url, name)
    csp = reply.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp


def test_every_kind_of_answer_carries_the_headers(production: LiveServer) -> None:
    """Dashboard, API, webhook refusals and a 413 all get CSP, nosniff, frame and HSTS headers."""
    with httpx.Client(base_url=production.url) as client:
        answers = [
            client.get("/admin/login"),
            client.get("/api/v1/flows", headers=admin_headers()),
            client.get("/api/v1/flows"),  # 401
            client.post("/webhooks/twilio/messaging", data={"Body": "1"}),  # 403: unsigned
            client.post("/webhooks/telegram", json={}),  # 401 or 404: no Telegram here
            client.post("/api/v1/invitations", content=b"x" * (2 * 1024 * 1024)),  # 413
            client.get("/healthz"),
        ]
    assert [a.status_code for a in answers][:4] == [200, 200, 401, 403]
    assert answers[5].status_code == 413
    for reply in answers:
        _assert_common(reply)
        assert reply.headers["strict-transport-security"].startswith("max-age=")
        assert reply.headers["cache-control"] == "no-store"


def test_dashboard_policy_allows_only_our_stylesheet_and_no_script(
    live_server: LiveServer,
) -> None:
    """The signed-in pages hold no inline script or style; the stylesheet may be cached."""
    with httpx.Client(base_url=live_server.url) as client:
        client.post("/admin/login", data={"token": ADMIN_TOKEN, "next": "/admin"})
        pages = [client.get(path) for path in ("/admin", "/admin/responses", "/admin/cases")]
        css = client.get("/admin/static/admin.css")
    for page in pages:
        assert page.status_code == 200
        _assert_common(page)
        csp = page.headers["content-security-policy"]
        assert "script-src" not in csp  # none at all: default-src 'none' covers it
        assert "style-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "<script" not in page.text
        assert "style=" not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in page.headers  # development: plain http
    assert css.status_code == 200
    assert "no-store" not in css.headers.get("cache-control", "")


def test_api_docs_get_a_policy_that_lets_swagger_run(live_server: LiveServer) -> None:
    """/docs loads Swagger UI from our own assets with an inline bootstrap script, no other host."""
    docs = httpx.get(f"{live_server.url}/docs")
    assert docs.status_code == 200
    _assert_common(docs)
    policy = docs.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "http" not in policy
