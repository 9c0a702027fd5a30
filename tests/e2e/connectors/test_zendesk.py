"""The Zendesk connector: a trigger's webhook on "ticket solved".

Signing as https://developer.zendesk.com/documentation/webhooks/verifying/ documents it:
X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, timestamp + body)), the timestamp in
X-Zendesk-Webhook-Signature-Timestamp. The body is what the trigger's JSON template renders from
Zendesk placeholders (https://support.zendesk.com/hc/en-us/articles/4408886858138, "Zendesk
Support placeholders reference": ticket.id, ticket.status, ticket.requester.phone,
ticket.requester.language, ticket.assignee.name, ticket.group.name).
"""

from __future__ import annotations

import httpx
from sqlmodel import Session

from bots.container import Container
from scoring.tables import Contact
from tests.e2e.connectors.conftest import connector_events, invitations, post_zendesk
from tests.e2e.twilio.fake_twilio import FakeTwilioServer

CUSTOMER = "+31612345678"


def solved(**changes: object) -> dict[str, object]:
    """The README's trigger body, as Zendesk renders it for a solved ticket."""
    body: dict[str, object] = {
        "ticket_id": "4711",
        "status": "Solved",
        "requester_phone": "+31 6 1234 5678",
        "requester_language": "Dutch",
        "assignee": "Anna de Vries",
        "group": "Billing",
        "brand": "Acme",
    }
    body.update(changes)
    return body


def test_a_solved_ticket_texts_the_requester_a_survey(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """Requester phone, assignee, group and language land on one invitation; the SMS goes out."""
    answer = post_zendesk(http, solved())

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "invited"
    [invitation] = invitations(container)
    assert (invitation.interaction_id, invitation.agent, invitation.team) == (
        "4711",
        "Anna de Vries",
        "Billing",
    )
    assert (invitation.locale, invitation.flow_id, invitation.queue) == ("nl", "csat", "Acme")
    with Session(container.db.engine) as session:
        contact = session.get(Contact, invitation.contact_id)
    assert contact is not None
    assert contact.address == CUSTOMER
    [sms] = fake_twilio.fake.of_kind("Messages")
    assert sms.one("To") == CUSTOMER
    [event] = connector_events(container)
    assert event.external_ref == "4711"  # where the score is written back


def test_a_forged_zendesk_signature_is_refused_and_nothing_is_stored(
    http: httpx.Client, container: Container
) -> None:
    """Signed with another secret: 403 and nothing stored."""
    answer = post_zendesk(http, solved(), secret="c29tZW9uZSBlbHNlJ3Mgc2VjcmV0")

    assert answer.status_code == 403
    assert invitations(container) == []
    assert connector_events(container) == []


def test_a_retried_solved_ticket_is_one_invitation(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """Zendesk retries, or the ticket is solved again: one invitation, one SMS."""
    first = post_zendesk(http, solved()).json()
    again = post_zendesk(http, solved(assignee="Bram")).json()

    assert again == {**first, "duplicate": True}
    assert len(invitations(container)) == 1
    assert len(fake_twilio.fake.of_kind("Messages")) == 1


def test_a_requester_without_a_phone_is_unmapped_with_the_reason(
    http: httpx.Client, container: Container
) -> None:
    """No phone on the requester: 200, a clear reason, stored; no invitation."""
    answer = post_zendesk(http, solved(requester_phone=""))

    assert answer.status_code == 200
    assert answer.json()["outcome"] == "unmapped"
    assert "requester_phone" in answer.json()["reason"]
    assert invitations(container) == []
    assert [e.outcome for e in connector_events(container)] == ["unmapped"]


def test_a_ticket_that_is_not_solved_starts_no_survey(
    http: httpx.Client, container: Container
) -> None:
    """A trigger that fires on another status: told so, and a later 'solved' still counts."""
    pending = post_zendesk(http, solved(status="Pending")).json()
    assert pending["outcome"] == "unmapped"
    assert "not solved" in pending["reason"]

    assert post_zendesk(http, solved()).json()["outcome"] == "invited"
