"""The score on the contact itself: a Zendesk ticket comment and custom field, a Chatwoot
private note, each against a local fake of that platform's API (tests/e2e/connectors/
fake_platforms.py names the endpoints and error answers it copies)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import SQLModel

from bots.connectors.outbound import ResponsePusher
from bots.container import Container
from bots.settings import Settings
from tests.conftest import LiveServer
from tests.e2e.connectors.conftest import (
    CHATWOOT_SECRET,
    CHATWOOT_TOKEN,
    ZENDESK_EMAIL,
    ZENDESK_TOKEN,
    connector_settings,
    post_chatwoot,
    post_generic,
    post_zendesk,
    pushes,
)
from tests.e2e.connectors.fake_platforms import FakeServer
from tests.e2e.connectors.test_chatwoot import resolved
from tests.e2e.connectors.test_zendesk import solved
from tests.e2e.twilio.conftest import Twilio
from tests.e2e.twilio.fake_twilio import FakeTwilioServer


@pytest.fixture
def settings(
    database_url: str,
    fake_twilio: FakeTwilioServer,
    zendesk_api: FakeServer,
    chatwoot_api: FakeServer,
) -> Settings:
    return connector_settings(
        database_url,
        fake_twilio.url,
        zendesk_api_url=zendesk_api.url,
        zendesk_email=ZENDESK_EMAIL,
        zendesk_api_token=ZENDESK_TOKEN,
        zendesk_score_field_id=360001,
        chatwoot_api_url=chatwoot_api.url,
        chatwoot_api_token=CHATWOOT_TOKEN,
        push_hold_minutes=0,
        push_attempts=2,
    )


@pytest.fixture
def twilio(live_server: LiveServer, fake_twilio: FakeTwilioServer) -> Iterator[Twilio]:
    client = Twilio(live_server, fake_twilio.fake)
    yield client
    client.close()


async def test_the_score_lands_on_the_zendesk_ticket_as_a_private_comment_and_field(
    http: httpx.Client, twilio: Twilio, container: Container, zendesk_api: FakeServer
) -> None:
    """One ticket update: a private comment in the survey's language and the score field."""
    assert post_zendesk(http, solved()).json()["outcome"] == "invited"
    twilio.sms_replies("4")
    pusher = ResponsePusher(container)

    await pusher.run_once()
    await pusher.close()

    [update] = zendesk_api.fake.received
    assert (update.method, update.path) == ("PUT", "/api/v2/tickets/4711.json")
    ticket = update.json()["ticket"]
    assert ticket["custom_fields"] == [{"id": 360001, "value": 4}]
    assert ticket["comment"]["public"] is False
    assert ticket["comment"]["body"].startswith("Klantonderzoek (csat): score 4 op 1-5.")
    assert sorted(p.target for p in pushes(container) if p.status == "sent") == ["zendesk"]
    # The contact did not come from Chatwoot: nothing to write there.
    assert sorted(p.target for p in pushes(container) if p.status == "skipped") == ["chatwoot"]


async def test_the_score_and_comment_land_on_the_chatwoot_conversation_as_a_private_note(
    http: httpx.Client, twilio: Twilio, container: Container, chatwoot_api: FakeServer
) -> None:
    """A private note on account 1, conversation 10, with the customer's words."""
    assert post_chatwoot(http, resolved()).json()["outcome"] == "invited"
    twilio.sms_replies("2", whatsapp=True)
    twilio.sms_replies("Niemand belde terug", whatsapp=True)
    pusher = ResponsePusher(container)

    await pusher.run_once()
    await pusher.close()

    [note] = chatwoot_api.fake.received
    assert (note.method, note.path) == ("POST", "/api/v1/accounts/1/conversations/10/messages")
    body = note.json()
    assert (body["private"], body["message_type"]) == (True, "outgoing")
    assert "score 2 op 1-5" in body["content"]
    assert "Niemand belde terug" in body["content"]


async def test_a_revoked_zendesk_token_is_retried_with_zendesks_words_kept(
    http: httpx.Client,
    twilio: Twilio,
    container: Container,
    zendesk_api: FakeServer,
) -> None:
    """401 from Zendesk: nothing lost, the push waits for another try and says why."""
    post_zendesk(http, solved())
    twilio.sms_replies("5")
    zendesk_api.fake.zendesk_token = "revoked-in-the-admin-center"
    pusher = ResponsePusher(container)

    await pusher.run_once()
    await pusher.close()

    zendesk = next(p for p in pushes(container) if p.target == "zendesk")
    assert (zendesk.status, zendesk.attempts) == ("queued", 1)
    assert "HTTP 401" in (zendesk.last_error or "")
    assert "Couldn't authenticate you" in (zendesk.last_error or "")


async def test_a_contact_from_elsewhere_writes_nothing_back(
    http: httpx.Client,
    twilio: Twilio,
    container: Container,
    zendesk_api: FakeServer,
    chatwoot_api: FakeServer,
) -> None:
    """A generic-webhook contact: both write-backs skipped, no call to either platform."""
    post_generic(http, {"event_id": "e-9", "channel": "sms", "address": "+31612345678"})
    twilio.sms_replies("5")
    pusher = ResponsePusher(container)

    await pusher.run_once()
    await pusher.close()

    assert sorted(p.status for p in pushes(container)) == ["skipped", "skipped"]
    assert zendesk_api.fake.received == []
    assert chatwoot_api.fake.received == []


def _crash_after_sending(container: Container, target: str) -> None:
    """As if the worker stopped between the platform's 2xx and recording it: the row stays
    claimed, with a lease that has run out."""
    engine = container.db.engine
    table = SQLModel.metadata.tables["response_push"]
    with engine.begin() as conn:
        conn.execute(
            table.update()
            .where(table.c.target == target)
            .values(status="sending", locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )


async def test_a_note_already_written_by_a_stopped_worker_is_not_written_twice(
    http: httpx.Client,
    twilio: Twilio,
    container: Container,
    zendesk_api: FakeServer,
    chatwoot_api: FakeServer,
) -> None:
    """The next worker finds the response's own link on the ticket and the conversation."""
    post_zendesk(http, solved())
    post_chatwoot(http, resolved(), secret=CHATWOOT_SECRET)
    twilio.sms_replies("4")  # the Zendesk contact's SMS survey
    twilio.sms_replies("5", whatsapp=True)  # the Chatwoot contact's WhatsApp survey
    pusher = ResponsePusher(container)
    await pusher.run_once()
    _crash_after_sending(container, "zendesk")
    _crash_after_sending(container, "chatwoot")

    await pusher.run_once()
    await pusher.close()

    assert len(zendesk_api.fake.comments[4711]) == 1
    assert len([m for m in chatwoot_api.fake.messages[(1, 10)] if m["private"]]) == 1
    assert {p.status for p in pushes(container) if p.target != "webhook"} <= {"sent", "skipped"}
