"""Failed authentication is throttled per client on every instance; sign-out ends a session
on every instance. Two live servers share one database, as instances behind a balancer do."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from bots.cli.main import proxy_options
from bots.container import build
from bots.settings import Settings
from tests.conftest import ADMIN_TOKEN, VIEWER_TOKEN, LiveServer, admin_headers, make_settings

LIMIT = 3
METRICS_TOKEN = "metrics-token-0123456789abcdef"


def throttled_settings(database_url: str, **overrides: object) -> Settings:
    return make_settings(
        database_url,
        auth_failure_limit=LIMIT,
        auth_failure_window_seconds=600,
        metrics_token=METRICS_TOKEN,
        **overrides,
    )


@pytest.fixture
def two_instances(database_url: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two app instances on one database, each started the way `surveybot serve` starts it."""
    settings = throttled_settings(database_url)
    first, second = build(settings), build(settings, migrate=False)
    with (
        LiveServer(first, **proxy_options(settings)) as a,
        LiveServer(second, **proxy_options(settings)) as b,
    ):
        yield a, b
    first.close()
    second.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_wrong_api_tokens_on_one_instance_block_the_client_on_the_other(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    """After LIMIT wrong tokens, every instance answers 429 with Retry-After, even to the right
    token (a blocked client must not learn whether a guess was right)."""
    a, b = two_instances
    answers = [
        httpx.get(f"{a.url}/api/v1/flows", headers=bearer(f"wrong-{n}")).status_code
        for n in range(LIMIT)
    ]
    assert answers == [401] * LIMIT
    for url, headers in (
        (f"{b.url}/api/v1/flows", admin_headers()),
        (f"{b.url}/api/v1/flows", bearer("wrong-again")),
        (f"{b.url}/metrics", bearer(METRICS_TOKEN)),
    ):
        refused = httpx.get(url, headers=headers)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 600
        assert refused.json() == {"detail": "too many failed attempts: try again later"}


def test_wrong_sign_ins_are_throttled_across_instances(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    """The sign-in form counts wrong tokens too; the 429 page says to wait, in the user's words."""
    a, b = two_instances
    for _ in range(LIMIT):
        assert httpx.post(f"{a.url}/admin/login", data={"token": "guess"}).status_code == 401
    last = httpx.post(f"{b.url}/admin/login", data={"token": "guess"})
    assert last.status_code == 429
    refused = httpx.post(f"{a.url}/admin/login?lang=en", data={"token": ADMIN_TOKEN})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "set-cookie" not in refused.headers
    assert "Te veel foute tokens" in refused.text  # the default locale, nl


def test_the_default_limit_answers_ten_failures_401_and_the_eleventh_attempt_429(
    database_url: str,
) -> None:
    """As the README says: 429 comes after 10 failures, on the API, the sign-in form and
    /metrics alike; each of the 10 wrong tokens itself is answered 401."""
    settings = make_settings(database_url, metrics_token=METRICS_TOKEN)
    assert settings.auth_failure_limit == 10
    container = build(settings)
    with LiveServer(container) as server:
        for method, path, wrong in (
            ("GET", "/api/v1/flows", {"headers": bearer("wrong")}),
            ("POST", "/admin/login", {"data": {"token": "wrong"}}),
            ("GET", "/metrics", {"headers": bearer("wrong")}),
        ):
            with container.db.engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM auth_failure"))
            answers = [
                httpx.request(method, f"{server.url}{path}", **wrong).status_code  # type: ignore[arg-type]
                for _ in range(11)
            ]
            assert answers == [401] * 10 + [429], path
    container.close()


def test_successful_authentication_is_never_throttled(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    """Right tokens, many times over, after a few typos below the limit, are all let in."""
    a, b = two_instances
    for _ in range(LIMIT - 1):
        httpx.get(f"{a.url}/api/v1/flows", headers=bearer("typo"))
    ok = [
        httpx.get(f"{server.url}/api/v1/flows", headers=bearer(token)).status_code
        for server in (a, b)
        for token in (ADMIN_TOKEN, VIEWER_TOKEN) * 10
    ]
    assert ok == [200] * 40
    signed_in = httpx.post(f"{b.url}/admin/login", data={"token": ADMIN_TOKEN})
    assert signed_in.status_code == 303
    # Requests without any token are clients that were not set up, not guesses.
    missing = [httpx.get(f"{a.url}/api/v1/flows").status_code for _ in range(LIMIT + 2)]
    assert missing == [401] * (LIMIT + 2)


def test_a_forged_forwarded_for_does_not_escape_the_block_by_default(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    """Without SURVEYBOT_TRUSTED_PROXIES the client is the socket peer, whatever it claims."""
    a, _ = two_instances
    answers = [
        httpx.get(
            f"{a.url}/api/v1/flows",
            headers={**bearer("guess"), "X-Forwarded-For": f"198.51.100.{n}"},
        ).status_code
        for n in range(LIMIT + 1)
    ]
    assert answers[-1] == 429


def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(database_url: str) -> None:
    """With the proxy trusted, X-Forwarded-For names the client: one's block is not another's."""
    settings = throttled_settings(database_url, trusted_proxies="127.0.0.1")
    container = build(settings)
    with LiveServer(container, **proxy_options(settings)) as server:

        def get(client: str, token: str) -> int:
            headers = {**bearer(token), "X-Forwarded-For": client}
            return httpx.get(f"{server.url}/api/v1/flows", headers=headers).status_code

        assert [get("198.51.100.7", "guess") for _ in range(LIMIT + 1)][-1] == 429
        assert get("198.51.100.7", ADMIN_TOKEN) == 429
        assert get("203.0.113.9", ADMIN_TOKEN) == 200
    container.close()


def test_sign_out_revokes_the_cookie_on_every_instance(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    """A copy of the session cookie works on both instances until sign-out, then on neither."""
    a, b = two_instances
    with httpx.Client(base_url=a.url) as browser:
        assert browser.post("/admin/login", data={"token": ADMIN_TOKEN}).status_code == 303
        cookie = dict(browser.cookies)
        assert httpx.get(f"{b.url}/admin/cases", cookies=cookie).status_code == 200
        page = browser.get("/admin/cases")
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        assert browser.post("/admin/logout", data={"csrf": csrf}).status_code == 303
    for server in (a, b):
        stale = httpx.get(f"{server.url}/admin/cases", cookies=cookie)
        assert stale.status_code == 303
        assert stale.headers["location"].startswith("/admin/login")
