"""Every response, back to the contact: the signed push webhook from a durable outbox."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bots.admin import auth
from bots.connectors.outbound import ResponsePusher
from bots.container import Container, build
from bots.settings import Settings
from bots.worker import Worker
from tests.conftest import ADMIN_TOKEN, LiveServer
from tests.e2e.connectors.conftest import (
    PUSH_SECRET,
    connector_settings,
    post_generic,
    pushes,
)
from tests.e2e.connectors.fake_platforms import FakeServer
from tests.e2e.twilio.conftest import Twilio
from tests.e2e.twilio.fake_twilio import FakeTwilioServer

CUSTOMER = "+31612345678"


class Clock:
    """The container's clock, moved by the test (retries wait real minutes otherwise)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(database_url: str, fake_twilio: FakeTwilioServer, receiver: FakeServer) -> Settings:
    return connector_settings(
        database_url,
        fake_twilio.url,
        push_webhook_url=receiver.url + "/surveybot",
        push_webhook_secret=PUSH_SECRET,
        push_attempts=2,
    )


@pytest.fixture
def container(settings: Settings, clock: Clock) -> Iterator[Container]:
    built = build(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def twilio(live_server: LiveServer, fake_twilio: FakeTwilioServer) -> Iterator[Twilio]:
    client = Twilio(live_server, fake_twilio.fake)
    yield client
    client.close()


def survey(http: httpx.Client, interaction: str = "case-1001") -> None:
    answer = post_generic(
        http,
        {
            "event_id": f"evt-{interaction}",
            "channel": "sms",
            "address": CUSTOMER,
            "interaction_id": interaction,
            "flow": "nps",
            "locale": "nl",
            "agents": ["anna"],
            "teams": ["billing"],
        },
    )
    assert answer.json()["outcome"] == "invited", answer.text


async def test_a_score_and_its_comment_reach_the_webhook_once_signed(
    http: httpx.Client, twilio: Twilio, container: Container, receiver: FakeServer
) -> None:
    """The push waits for the comment, then goes once, signed; another round sends nothing."""
    pusher = ResponsePusher(container)
    survey(http)
    twilio.sms_replies("3")
    assert await pusher.run_once() == 0  # the follow-up question is still open
    twilio.sms_replies("Ik moest drie keer bellen")

    assert await pusher.run_once() == 1
    assert await pusher.run_once() == 0
    await pusher.close()

    [delivery] = receiver.fake.received
    body = delivery.json()
    assert body["response"]["score"] == 3
    assert body["response"]["comment"] == "Ik moest drie keer bellen"
    assert body["invitation"]["interaction_id"] == "case-1001"
    assert body["invitation"]["agent"] == "anna"
    assert body["links"]["response"].endswith(f"/admin/responses/{body['response']['id']}")
    stamp = delivery.headers["x-surveybot-timestamp"]
    mac = hmac.new(PUSH_SECRET.encode(), stamp.encode() + b"." + delivery.body, hashlib.sha256)
    assert delivery.headers["x-surveybot-signature"] == "sha256=" + mac.hexdigest()
    assert delivery.headers["x-surveybot-delivery"] == f"response-{body['response']['id']}"
    assert [p.status for p in pushes(container)] == ["sent"]


async def test_a_score_without_a_comment_goes_once_the_hold_is_over(
    http: httpx.Client, twilio: Twilio, container: Container, receiver: FakeServer, clock: Clock
) -> None:
    """No comment within SURVEYBOT_PUSH_HOLD_MINUTES: the score goes on its own."""
    pusher = ResponsePusher(container)
    survey(http)
    twilio.sms_replies("4")
    clock.advance(minutes=61)

    assert await pusher.run_once() == 1
    await pusher.close()
    [delivery] = receiver.fake.received
    assert delivery.json()["response"]["comment"] is None


async def test_a_refusing_receiver_is_retried_with_backoff_then_kept_as_a_dead_letter(
    http: httpx.Client,
    twilio: Twilio,
    container: Container,
    receiver: FakeServer,
    clock: Clock,
) -> None:
    """500s: tried again after 30 s, dead after SURVEYBOT_PUSH_ATTEMPTS; the dashboard lists
    it and its retry button sends it once the receiver is back."""
    pusher = ResponsePusher(container)
    receiver.fake.status = 500
    survey(http)
    twilio.sms_replies("10")
    clock.advance(minutes=61)

    assert await pusher.run_once() == 1
    assert await pusher.run_once() == 0  # backing off
    clock.advance(seconds=31)
    assert await pusher.run_once() == 1
    [push] = pushes(container)
    assert (push.status, push.attempts) == ("dead", 2)
    assert push.last_error is not None
    assert push.last_error.startswith("HTTP 500")

    with httpx.Client(base_url=twilio.server.url) as client:
        login = client.post("/admin/login", data={"token": ADMIN_TOKEN, "next": "/admin"})
        # The cookie is Secure (the public URL is https): hand it over on this loopback test.
        cookie = login.cookies[auth.COOKIE]
        client.headers["Cookie"] = f"{auth.COOKIE}={cookie}"
        page = client.get("/admin/pushes?lang=en")
        assert f'data-push="{push.id}"' in page.text
        assert "HTTP 500" in page.text
        csrf = auth.csrf_token(container.settings, cookie)
        assert client.post(f"/admin/pushes/{push.id}/retry", data={}).status_code == 403
        retried = client.post(f"/admin/pushes/{push.id}/retry", data={"csrf": csrf})
        assert retried.status_code == 303
        dutch = client.get("/admin/pushes?lang=nl")
        assert "Onbestelbaar" in dutch.text

    receiver.fake.status = 200
    assert await pusher.run_once() == 1
    await pusher.close()
    assert [p.status for p in pushes(container)] == ["sent"]
    assert len(receiver.fake.received) == 3


async def test_no_push_is_queued_when_no_target_is_set(
    http: httpx.Client, database_url: str, fake_twilio: FakeTwilioServer
) -> None:
    """Without a push target a score writes no outbox row (and costs the answer nothing)."""
    container = build(connector_settings(database_url, fake_twilio.url))
    try:
        with LiveServer(container) as server, httpx.Client(base_url=server.url) as client:
            survey(client)
            twilio = Twilio(server, fake_twilio.fake)
            twilio.sms_replies("9")
            twilio.close()
        assert pushes(container) == []
    finally:
        container.close()


async def test_the_send_worker_drains_the_pushes(
    http: httpx.Client, twilio: Twilio, container: Container, receiver: FakeServer, clock: Clock
) -> None:
    """`surveybot worker` (and serve's in-process worker) sends pushes on its own loop."""
    survey(http)
    twilio.sms_replies("9")
    clock.advance(minutes=61)
    worker = Worker(container, poll_seconds=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop))
    try:
        for _ in range(200):
            if receiver.fake.received:
                break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await running
    [delivery] = receiver.fake.received
    assert delivery.json()["response"]["score"] == 9
