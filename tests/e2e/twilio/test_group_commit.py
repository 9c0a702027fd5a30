"""Answers arriving together share one COMMIT, and each is answered only once it is stored.

Many signed SMS answers are posted at once over real HTTP to the live server. On SQLite they
run in the same turns of the event loop and share transactions (scoring.group_commit); on
PostgreSQL each has its own. Either way every customer gets the thanks, every score is stored
exactly once, and no reply goes out before its score can be read from another connection.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import sqlalchemy as sa
from sqlmodel import Session, select

from bots.container import Container
from scoring.tables import InboundEvent, Response
from tests.conftest import admin_headers
from tests.e2e.twilio.conftest import Twilio, create_invitation, rows

THANKS = "Bedankt"
COUNT = 24


def customer(i: int) -> str:
    return f"+316100{i:05d}"


def open_surveys(twilio: Twilio, count: int) -> None:
    for i in range(count):
        create_invitation(twilio, channel="sms", address=customer(i), flow="csat", locale="nl")


def score_of(container: Container, phone_index: int) -> list[int]:
    """The scores stored for one customer, read on a connection of its own."""
    with container.db.engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT r.value FROM response r JOIN invitation i ON i.id = r.invitation_id "
                "JOIN contact c ON c.id = i.contact_id WHERE c.address = :address"
            ),
            {"address": customer(phone_index)},
        )
        return [int(v) for (v,) in found]


async def post_all(
    twilio: Twilio, container: Container, params: list[dict[str, str]]
) -> list[tuple[int, str, list[int]]]:
    """Post every webhook at once; for each, its status, its reply, and what was stored for
    that customer the moment the reply arrived."""
    path = "/webhooks/twilio/messaging"
    limits = httpx.Limits(max_connections=len(params))
    async with httpx.AsyncClient(base_url=twilio.server.url, timeout=20, limits=limits) as http:

        async def one(p: dict[str, str]) -> tuple[int, str, list[int]]:
            signature = twilio.validator.compute_signature(twilio.signed_url(path), p)
            reply = await http.post(path, data=p, headers={"X-Twilio-Signature": signature})
            index = int(p["From"][-5:])
            return reply.status_code, reply.text, score_of(container, index)

        return list(await asyncio.gather(*(one(p) for p in params)))


def test_answers_sent_together_are_all_stored_and_each_reply_follows_its_commit(
    twilio: Twilio, container: Container
) -> None:
    open_surveys(twilio, COUNT)
    params = [twilio.message_params(str(1 + i % 5), sender=customer(i)) for i in range(COUNT)]
    group = container.db.group
    before = (group.commits, group.answers) if group is not None else (0, 0)

    results = asyncio.run(post_all(twilio, container, params))

    for i, (status, text, stored) in enumerate(results):
        assert status == 200, text
        # Each score is readable from another connection when its thanks arrives.
        assert stored == [1 + i % 5], (i, text)
    assert all(THANKS in text or "jammer" in text.lower() for _, text, _ in results)
    assert sorted(r.value for r in rows(container, Response)) == sorted(
        1 + i % 5 for i in range(COUNT)
    )
    assert len(rows(container, InboundEvent)) == COUNT
    if group is not None:
        # How many shared a COMMIT depends on how they arrived (tests/integration/
        # test_group_commit.py pins that down); every answer went through the group.
        commits, answers = group.commits - before[0], group.answers - before[1]
        assert answers == COUNT
        assert 1 <= commits <= COUNT
        metrics = twilio.http.get("/metrics").text
        found = re.search(r"^surveybot_sqlite_group_commit_answers_total (\S+)", metrics, re.M)
        assert found is not None
        assert float(found.group(1)) >= COUNT
        assert re.search(r"^surveybot_sqlite_group_commits_total \d", metrics, re.M)


def test_a_retry_racing_its_original_stores_one_score_and_replays_the_same_reply(
    twilio: Twilio, container: Container
) -> None:
    """Twilio retries a webhook it thinks timed out; both copies may land in one group."""
    open_surveys(twilio, 1)
    original = twilio.message_params("4", sender=customer(0))

    results = asyncio.run(post_all(twilio, container, [original, dict(original)]))

    (s1, t1, _), (s2, t2, _) = results
    assert (s1, s2) == (200, 200)
    assert t1 == t2
    assert THANKS in t1
    assert [r.value for r in rows(container, Response)] == [4]
    assert len(rows(container, InboundEvent)) == 1


def test_invitations_created_while_answers_arrive_wait_for_no_lock(
    twilio: Twilio, container: Container
) -> None:
    """The invitation API writes on its own connection while answers hold a group open."""
    open_surveys(twilio, COUNT)
    params = [twilio.message_params("5", sender=customer(i)) for i in range(COUNT)]

    async def both() -> tuple[list[tuple[int, str, list[int]]], list[httpx.Response]]:
        async with httpx.AsyncClient(base_url=twilio.server.url, timeout=20) as http:
            creating = [
                http.post(
                    "/api/v1/invitations",
                    json={"channel": "sms", "address": customer(100 + i), "flow": "csat"},
                    headers=admin_headers(),
                )
                for i in range(6)
            ]
            answering = asyncio.ensure_future(post_all(twilio, container, params))
            created = list(await asyncio.gather(*creating))
            return await answering, created

    answers, created = asyncio.run(both())

    assert [r.status_code for r in created] == [201] * 6, [r.text for r in created]
    assert all(status == 200 and stored == [5] for status, _, stored in answers)
    with Session(container.db.engine) as session:
        assert len(session.exec(select(Response)).all()) == COUNT
