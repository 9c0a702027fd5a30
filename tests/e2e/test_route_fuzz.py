"""Every route of the API and the dashboard, fed out-of-range numbers: 404 or 422, never 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from bots.admin import auth
from bots.app import create_app
from bots.container import Container
from tests.conftest import ADMIN_TOKEN, LiveServer, admin_headers

HUGE = "99999999999999999999"
NASTY = (HUGE, "-" + HUGE, "2147483648", "9223372036854775808", "0", "-1", "1e309", "9" * 5000)


@pytest.fixture
def admin(live_server: LiveServer) -> Iterator[httpx.Client]:
    """A dashboard session of the admin, and its CSRF token in the client's headers."""
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        signed = client.post("/admin/login", data={"token": ADMIN_TOKEN, "next": "/admin"})
        assert signed.status_code == 303
        yield client


def csrf(client: httpx.Client, container: Container) -> str:
    return auth.csrf_token(container.settings, client.cookies[auth.COOKIE])


def test_the_reported_overflows_are_404_or_a_bounded_page(
    live_server: LiveServer, admin: httpx.Client, container: Container
) -> None:
    """A huge case or response id is 404; a huge dashboard page number shows a page."""
    api = httpx.patch(
        f"{live_server.url}/api/v1/cases/{HUGE}",
        json={"status": "closed"},
        headers=admin_headers(),
    )
    assert api.status_code == 404
    assert api.json() == {"detail": "no such case"}
    form = admin.post(
        f"/admin/cases/{HUGE}", data={"status": "closed", "csrf": csrf(admin, container)}
    )
    assert form.status_code == 404
    assert admin.get(f"/admin/responses/{HUGE}").status_code == 404
    assert admin.get(f"/admin/responses?page={HUGE}").status_code == 200


def _api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI's included-router wrapper
        if inner is not None:
            yield from _api_routes(inner.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix, route


def _routes(container: Container) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for prefix, route in _api_routes(create_app(container=container).routes):
        path = prefix + route.path
        # Webhooks have their own fuzz tests; signing out would end the fuzzing session.
        if not path.startswith(("/webhooks/", "/admin/logout")):
            found.extend((method, path) for method in sorted((route.methods or set()) - {"HEAD"}))
    assert len(found) > 20  # the walk found the app's routes
    return found


def test_no_route_answers_500_to_out_of_range_numbers(
    live_server: LiveServer, admin: httpx.Client, container: Container
) -> None:
    """Each path parameter and every numeric query parameter gets absurd numbers."""
    token = csrf(admin, container)
    failures = []
    for method, path in _routes(container):
        for value in NASTY:
            url = re.sub(r"\{[^}]+\}", value, path)
            query = {"page": value, "page_size": value, "limit": value, "min_n": value}
            api = path.startswith("/api/")
            body = {"status": "closed"}  # what the case routes take; others refuse it early
            reply = admin.request(
                method,
                url,
                params=query,
                headers=admin_headers() if api else {},
                json=body if api and method != "GET" else None,
                data={**body, "csrf": token} if not api and method == "POST" else None,
            )
            if reply.status_code >= 500:
                failures.append(f"{method} {url[:60]} -> {reply.status_code}")
    assert failures == []


def test_nul_characters_in_api_input_are_a_422_on_both_stores(
    live_server: LiveServer, admin: httpx.Client
) -> None:
    """PostgreSQL cannot hold or compare text with NUL: the API says so instead of a 500."""
    base = live_server.url
    body = {"channel": "telegram", "interaction_id": "a\x00b", "agent": "an\x00na"}
    created = httpx.post(f"{base}/api/v1/invitations", json=body, headers=admin_headers())
    assert created.status_code == 422
    assert "NUL" in created.text
    for path in (
        "/api/v1/metrics?metric=nps&agent=a%00b",
        "/api/v1/invitations/a%00b",
        "/api/v1/responses?team=%00",
    ):
        reply = httpx.get(f"{base}{path}", headers=admin_headers())
        assert reply.status_code == 422, path
        assert reply.json() == {"detail": "NUL characters are not allowed in the URL"}
    assert admin.get("/admin/responses?agent=a%00b").status_code == 422
