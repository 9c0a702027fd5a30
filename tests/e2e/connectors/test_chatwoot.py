"""The Chatwoot connector: `conversation_resolved` (and `conversation_status_changed` to
resolved).

Payload shape from Chatwoot's "Webhook Events" page
(https://www.chatwoot.com/docs/product/others/webhook-events, sample "conversation_resolved"):
the conversation object with `meta.sender` (the contact), `meta.assignee`, `channel`, `id`,
`messages[].account_id`, `timestamp`. Signing as the webhook `secret` is documented in
Chatwoot's API reference: X-Chatwoot-Signature = "sha256=" + hex HMAC-SHA256 of
"{timestamp}.{raw_request_body}", with X-Chatwoot-Timestamp and X-Chatwoot-Delivery.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from bots.container import Container
from tests.e2e.connectors.conftest import connector_events, invitations, post_chatwoot
from tests.e2e.twilio.fake_twilio import FakeTwilioServer

CUSTOMER = "+31612345678"


def resolved(**changes: Any) -> dict[str, Any]:
    """Chatwoot's documented conversation_resolved sample, on a WhatsApp inbox.

    The contact's message is dated five minutes ago (the sample's is from 2021), so the
    WhatsApp 24-hour window is open as it is right after a real conversation.
    """
    body: dict[str, Any] = {
        "additional_attributes": {},
        "can_reply": True,
        "channel": "Channel::Whatsapp",
        "id": 10,
        "inbox_id": 1,
        "contact_inbox": {
            "id": 12,
            "contact_id": 12,
            "inbox_id": 1,
            "source_id": "31612345678",
            "created_at": "2021-07-23T18:01:48.739Z",
            "updated_at": "2021-07-23T18:02:59.053Z",
            "hmac_verified": False,
        },
        "messages": [
            {
                "id": 120,
                "content": "Bedankt!",
                "account_id": 1,
                "inbox_id": 1,
                "conversation_id": 10,
                "message_type": 0,
                "created_at": int(time.time()) - 300,
                "private": False,
                "status": "sent",
                "content_type": "text",
            }
        ],
        "meta": {
            "sender": {
                "additional_attributes": {},
                "custom_attributes": {},
                "email": "jane@acme.inc",
                "id": 12,
                "identifier": None,
                "name": "jane",
                "phone_number": CUSTOMER,
                "type": "contact",
            },
            "assignee": {
                "id": 1,
                "name": "John",
                "available_name": "John",
                "type": "user",
                "availability_status": "online",
            },
            "team": {"id": 3, "name": "Support NL"},
        },
        "status": "resolved",
        "unread_count": 0,
        "agent_last_seen_at": 1627063520,
        "contact_last_seen_at": 0,
        "timestamp": 1627063520,
        "event": "conversation_resolved",
    }
    body.update(changes)
    return body


def test_a_resolved_conversation_sends_the_contact_a_survey(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """Contact phone, assignee and team: one WhatsApp survey, and where to write back."""
    answer = post_chatwoot(http, resolved())

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "invited"
    [invitation] = invitations(container)
    assert (invitation.channel, invitation.agent, invitation.team) == (
        "whatsapp",
        "John",
        "Support NL",
    )
    assert invitation.interaction_id == "10"
    [message] = fake_twilio.fake.of_kind("Messages")
    assert message.one("To") == f"whatsapp:{CUSTOMER}"
    [event] = connector_events(container)
    assert event.external_ref == "1/10"  # account 1, conversation 10


def test_a_conversation_whose_window_has_closed_is_skipped_with_the_whatsapp_reason(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """The contact last wrote two days ago and no template is approved: no free-form text."""
    old = {**resolved()["messages"][0], "created_at": int(time.time()) - 2 * 86400}
    answer = post_chatwoot(http, resolved(messages=[old]))

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "skipped"
    assert answer.json()["reason"].startswith("whatsapp_")
    assert fake_twilio.fake.of_kind("Messages") == []
    [invitation] = invitations(container)
    assert invitation.status == "failed"


def test_a_status_change_to_resolved_counts_and_other_changes_do_not(
    http: httpx.Client, container: Container
) -> None:
    """conversation_status_changed: only 'resolved' starts a survey."""
    opened = post_chatwoot(http, resolved(event="conversation_status_changed", status="open"))
    assert opened.json()["outcome"] == "unmapped"
    assert "not a resolved conversation" in opened.json()["reason"]

    done = post_chatwoot(http, resolved(event="conversation_status_changed", timestamp=1627063999))
    assert done.json()["outcome"] == "invited"


def test_a_forged_chatwoot_signature_is_refused_and_nothing_is_stored(
    http: httpx.Client, container: Container
) -> None:
    """Another secret: 403, nothing stored."""
    answer = post_chatwoot(http, resolved(), secret="someone-elses-secret")

    assert answer.status_code == 403
    assert invitations(container) == []
    assert connector_events(container) == []


def test_a_redelivered_resolution_is_one_invitation(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """The same resolution twice: one invitation, one message."""
    first = post_chatwoot(http, resolved()).json()
    again = post_chatwoot(http, resolved()).json()

    assert again["duplicate"] is True
    assert again["invitation_id"] == first["invitation_id"]
    assert len(invitations(container)) == 1
    assert len(fake_twilio.fake.of_kind("Messages")) == 1


def test_a_web_widget_visitor_is_unmapped_with_the_reason(
    http: httpx.Client, container: Container
) -> None:
    """A web chat visitor has no phone: 200, the reason, stored; no invitation."""
    sender = {**resolved()["meta"]["sender"], "phone_number": None}
    web = resolved(
        channel="Channel::WebWidget",
        meta={**resolved()["meta"], "sender": sender},
        contact_inbox={**resolved()["contact_inbox"], "source_id": "405f1d30-1af3-4fa0"},
    )
    answer = post_chatwoot(http, web)

    assert answer.status_code == 200
    assert answer.json()["outcome"] == "unmapped"
    assert "channel" in answer.json()["reason"]
    assert invitations(container) == []
    assert [e.outcome for e in connector_events(container)] == ["unmapped"]
