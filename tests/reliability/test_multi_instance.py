"""Several app instances and workers on one PostgreSQL: nothing sent twice, nothing lost."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from bots.container import build
from flows.ports import SendResult
from flows.service import NewInvitation
from scoring.channels import Channel
from tests.conftest import _truncate_all, make_settings
from tests.e2e.twilio.fake_twilio import FakeTwilioServer
from tests.reliability.cluster import ACCOUNT_SID, ADMIN_TOKEN, AUTH_TOKEN, Cluster

pytestmark = [pytest.mark.reliability, pytest.mark.postgres]

DEADLINE_S = 120


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    _truncate_all(postgres_url)
    return postgres_url


@pytest.fixture
def twilio() -> Iterator[FakeTwilioServer]:
    with FakeTwilioServer() as server:
        yield server


def phone(n: int) -> str:
    return f"+3162{n:07d}"


async def post_invitations(apps: list[str], count: int, concurrency: int = 16) -> list[int]:
    """POST `count` SMS invitations, spread over the app instances; returns the status codes."""
    numbers = iter(range(count))
    codes: list[int] = []

    async def client_loop(app: str) -> None:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with httpx.AsyncClient(base_url=app, headers=headers, timeout=30) as client:
            for n in numbers:
                body = {
                    "channel": "sms",
                    "address": phone(n),
                    "flow": "nps",
                    "interaction_id": f"i{n}",
                }
                codes.append((await client.post("/api/v1/invitations", json=body)).status_code)

    await asyncio.gather(*(client_loop(apps[i % len(apps)]) for i in range(concurrency)))
    return codes


def statuses(url: str) -> collections.Counter[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT status, count(*) FROM invitation GROUP BY status")
        ).all()
    engine.dispose()
    return collections.Counter({str(s): int(n) for s, n in rows})


def wait_until_all_sent(url: str, count: int) -> collections.Counter[str]:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        now = statuses(url)
        if now["open"] == count:
            return now
        time.sleep(0.5)
    return statuses(url)


def sends_per_number(twilio: FakeTwilioServer) -> collections.Counter[str]:
    return collections.Counter(r.one("To") for r in twilio.fake.of_kind("Messages") if r.sid)


def test_two_apps_and_three_workers_send_5000_invitations_exactly_once(
    pg_url: str, twilio: FakeTwilioServer, tmp_path: Path
) -> None:
    """5,000 invitations through 2 instances and 3 workers: 5,000 messages, one per number."""
    count = 5000
    with Cluster(pg_url, twilio.url, tmp_path, SURVEYBOT_SEND_DELAY_MINUTES="0.02") as cluster:
        apps = [cluster.start_app(), cluster.start_app()]
        for n in range(3):
            cluster.start_worker(f"worker-{n}")
        codes = asyncio.run(post_invitations(apps, count))
        assert collections.Counter(codes) == {201: count}
        final = wait_until_all_sent(pg_url, count)
    assert final == {"open": count}
    per_number = sends_per_number(twilio)
    assert len(per_number) == count
    assert set(per_number.values()) == {1}


def test_killing_a_worker_mid_run_loses_nothing_and_sends_nothing_twice(
    pg_url: str, twilio: FakeTwilioServer, tmp_path: Path
) -> None:
    """kill -9 one of three workers while sends are in flight; the others finish the job once."""
    count = 2000
    twilio.fake.delay_s = 0.02  # sends take time, so the kill lands in the middle of some
    settings = {"SURVEYBOT_SEND_DELAY_MINUTES": "0.02", "SURVEYBOT_WORKER_LEASE_SECONDS": "5"}
    with Cluster(pg_url, twilio.url, tmp_path, **settings) as cluster:
        apps = [cluster.start_app(), cluster.start_app()]
        victim = cluster.start_worker("victim")
        cluster.start_worker("worker-1")
        cluster.start_worker("worker-2")
        codes = asyncio.run(post_invitations(apps, count))
        assert collections.Counter(codes) == {201: count}
        deadline = time.monotonic() + DEADLINE_S
        while len(twilio.fake.of_kind("Messages")) < count // 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim.kill()  # SIGKILL: no clean-up, its claimed jobs keep their lease
        victim.wait()
        final = wait_until_all_sent(pg_url, count)
    assert final == {"open": count}
    per_number = sends_per_number(twilio)
    assert len(per_number) == count
    assert set(per_number.values()) == {1}


def test_1000_concurrent_answers_with_retries_are_each_stored_once(
    pg_url: str, tmp_path: Path, twilio: FakeTwilioServer
) -> None:
    """500 answers, each delivered twice at once to two instances: 500 scores, same replies."""
    answers = 500
    container = build(make_settings(pg_url))
    for n in range(answers):
        invitation = container.service.create_invitation(
            NewInvitation(Channel.SMS, phone(n), flow_id="nps", interaction_id=f"a{n}")
        )
        container.service.mark_sent(invitation.public_id, SendResult(f"SMq{n}", "sent"))
    container.close()
    validator = RequestValidator(AUTH_TOKEN)

    async def deliver_all(apps: list[str]) -> dict[str, list[str]]:
        replies: dict[str, list[str]] = collections.defaultdict(list)
        limit = asyncio.Semaphore(50)

        async def one(client: httpx.AsyncClient, app: str, n: int) -> None:
            url = f"{app}/webhooks/twilio/messaging"
            form = {
                "AccountSid": ACCOUNT_SID,
                "MessageSid": f"SM{n:032d}",
                "From": phone(n),
                "To": "+3197010000000",
                "Body": str(n % 11),
                "NumMedia": "0",
                "ApiVersion": "2010-04-01",
            }
            headers = {"X-Twilio-Signature": validator.compute_signature(url, form)}
            async with limit:
                response = await client.post(url, data=form, headers=headers)
            assert response.status_code == 200
            replies[form["MessageSid"]].append(response.text)

        async with httpx.AsyncClient(timeout=30) as client:
            await asyncio.gather(
                *(one(client, apps[copy], n) for n in range(answers) for copy in (0, 1))
            )
        return replies

    with Cluster(pg_url, twilio.url, tmp_path) as cluster:
        apps = [cluster.start_app(), cluster.start_app()]
        replies = asyncio.run(deliver_all(apps))
    assert all(len(set(pair)) == 1 and len(pair) == 2 for pair in replies.values())
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT count(*), count(DISTINCT invitation_id) FROM response")
        ).one()
        events = conn.execute(sa.text("SELECT count(*) FROM inboundevent")).scalar_one()
    engine.dispose()
    assert tuple(stored) == (answers, answers)
    assert events == answers
