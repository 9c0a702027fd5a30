"""WhatsApp surveys end to end: content synced through the real twilio client against a fake
Content API, the 24-hour window, templates outside it, and taps on buttons and lists."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bots.container import Container
from bots.twilio.client import TwilioContent
from bots.twilio.content_sync import SyncLine, sync
from flows.buttons import encode, encode_band
from scoring.tables import Invitation, Response, WhatsAppContent
from tests.conftest import admin_headers
from tests.e2e.twilio.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CUSTOMER,
    WHATSAPP_FROM,
    Twilio,
    create_invitation,
    rows,
)
from tests.e2e.twilio.fake_twilio import FakeTwilioServer, Recorded


def sync_content(container: Container, fake_twilio: FakeTwilioServer) -> list[SyncLine]:
    """`surveybot whatsapp sync`, as the command runs it, through the real twilio client."""
    api = TwilioContent(ACCOUNT_SID, AUTH_TOKEN, fake_twilio.url)
    try:
        return asyncio.run(
            sync(
                api,
                container.db.engine,
                container.flows,
                container.service.render,
                lambda: datetime.now(UTC),
            )
        )
    finally:
        api.close()


def content_row(container: Container, flow: str, locale: str, purpose: str) -> WhatsAppContent:
    [row] = rows(container, WhatsAppContent, flow_id=flow, locale=locale, purpose=purpose)
    assert isinstance(row, WhatsAppContent)
    return row


def whatsapp_sends(twilio: Twilio) -> list[Recorded]:
    return [r for r in twilio.fake.of_kind("Messages") if r.one("To").startswith("whatsapp:")]


def variables(sent: Recorded) -> dict[str, str]:
    result: dict[str, str] = json.loads(sent.one("ContentVariables"))
    return result


def tap(twilio: Twilio, payload: str, title: str, *, list_row: bool = False) -> list[str]:
    """The customer taps a button (or picks a list row) under our message."""
    fields: dict[str, str] = (
        {"ListId": payload, "ListTitle": title, "MessageType": "interactive"}
        if list_row
        else {"ButtonPayload": payload, "ButtonText": title, "MessageType": "button"}
    )
    return twilio.sms_replies(title, whatsapp=True, **fields)


@pytest.fixture
def synced(container: Container, fake_twilio: FakeTwilioServer) -> list[SyncLine]:
    return sync_content(container, fake_twilio)


def approve_templates(container: Container, fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.fake.content.approve_all()
    sync_content(container, fake_twilio)  # reads WhatsApp's decision back


def test_sync_creates_every_flows_content_and_submits_templates_for_approval(
    container: Container, fake_twilio: FakeTwilioServer, synced: list[SyncLine]
) -> None:
    """Each flow gets a template (submitted as UTILITY) and session content per locale."""
    content = fake_twilio.fake.content
    by_key = {(line.flow_id, line.locale, line.purpose): line for line in synced}
    assert not [line for line in synced if line.action == "failed"]
    for flow in container.flows:
        for locale in ("nl", "en"):
            assert by_key[(flow, locale, "template")].status == "received"
            assert (flow, locale, "session") in by_key
    nps_nl = content.get(by_key[("nps", "nl", "template")].content_sid)
    assert nps_nl is not None
    assert nps_nl.kind == "twilio/quick-reply"
    assert [a["title"] for a in nps_nl.types["twilio/quick-reply"]["actions"]] == [
        "0-6",
        "7-8",
        "9-10",
    ]
    csat_session = content.get(by_key[("csat", "en", "session")].content_sid)
    assert csat_session is not None
    assert csat_session.kind == "twilio/list-picker"
    assert len(csat_session.types["twilio/list-picker"]["items"]) == 5
    assert {payload["category"] for _, payload in content.submissions} == {"UTILITY"}
    # The session list-picker can't be approved and is never submitted.
    assert {sid for sid, _ in content.submissions} == {
        line.content_sid for line in synced if line.purpose == "template"
    }
    again = sync_content(container, fake_twilio)
    assert {line.action for line in again} == {"kept"}
    assert len(content.resources) == len(synced)


def test_sync_reads_back_approval_and_rejection(
    container: Container, fake_twilio: FakeTwilioServer, synced: list[SyncLine]
) -> None:
    """After WhatsApp decides, a second sync stores approved, rejected (and why) and paused."""
    content = fake_twilio.fake.content
    sid = {
        (line.flow_id, line.locale): line.content_sid
        for line in synced
        if line.purpose == "template"
    }
    content.approve(sid[("csat", "nl")])
    content.reject(sid[("nps", "nl")], "INVALID_FORMAT")
    content.pause(sid[("ces", "en")])

    sync_content(container, fake_twilio)

    assert content_row(container, "csat", "nl", "template").approval_status == "approved"
    rejected = content_row(container, "nps", "nl", "template")
    assert (rejected.approval_status, rejected.rejection_reason) == ("rejected", "INVALID_FORMAT")
    assert content_row(container, "ces", "en", "template").approval_status == "paused"


def test_inside_the_window_csat_goes_as_a_list_and_one_tap_answers_it(
    twilio: Twilio, container: Container, synced: list[SyncLine]
) -> None:
    """The customer wrote within 24 hours: the question is a list-picker; a row tap scores."""
    twilio.sms_replies("Hoi, mijn pakket is aangekomen", whatsapp=True)
    invitation = create_invitation(
        twilio, channel="whatsapp", address=CUSTOMER, flow="csat", locale="nl"
    )
    assert invitation["status"] == "open"
    [sent] = whatsapp_sends(twilio)
    assert "Body" not in sent.form
    assert sent.one("ContentSid") == content_row(container, "csat", "nl", "session").content_sid
    payloads = variables(sent)
    assert payloads["4"] == encode(invitation["id"], 4)

    replies = tap(twilio, payloads["4"], "4 · Tevreden", list_row=True)

    [response] = rows(container, Response)
    assert (response.value, response.channel) == (4, "whatsapp")
    assert replies  # the thanks (or the follow-up) rides on the webhook's reply


def test_outside_the_window_nps_goes_as_the_template_then_band_then_exact_score(
    twilio: Twilio, container: Container, fake_twilio: FakeTwilioServer, synced: list[SyncLine]
) -> None:
    """A day after the call: the approved template's band buttons, then the band's scores."""
    approve_templates(container, fake_twilio)
    invitation = create_invitation(
        twilio, channel="whatsapp", address=CUSTOMER, flow="nps", locale="en", whatsapp_opt_in=True
    )
    assert invitation["status"] == "open", invitation
    [question] = whatsapp_sends(twilio)
    assert "Body" not in question.form
    assert question.one("ContentSid") == content_row(container, "nps", "en", "template").content_sid
    bands = variables(question)
    assert bands["3"] == encode_band(invitation["id"], 9, 10)

    assert tap(twilio, bands["3"], "9-10") == []  # the second step goes as its own message
    assert rows(container, Response) == []
    second = whatsapp_sends(twilio)[1]
    band_content = content_row(container, "nps", "en", "band:9-10").content_sid
    assert second.one("ContentSid") == band_content
    exact = variables(second)
    assert exact == {"1": encode(invitation["id"], 9), "2": encode(invitation["id"], 10)}

    tap(twilio, exact["1"], "9")

    [response] = rows(container, Response)
    assert response.value == 9


def test_a_typed_negen_at_the_first_step_is_taken_at_once(
    twilio: Twilio, container: Container, fake_twilio: FakeTwilioServer, synced: list[SyncLine]
) -> None:
    """The customer types instead of tapping a band: the normaliser reads 9, no second step."""
    approve_templates(container, fake_twilio)
    create_invitation(
        twilio, channel="whatsapp", address=CUSTOMER, flow="nps", locale="nl", whatsapp_opt_in=True
    )

    twilio.sms_replies("negen", whatsapp=True)

    [response] = rows(container, Response)
    assert (response.value, response.raw_text) == (9, "negen")
    assert len(whatsapp_sends(twilio)) == 1


def test_without_a_template_nothing_is_sent_and_the_reason_is_recorded(
    twilio: Twilio, container: Container
) -> None:
    """Outside the window and nothing synced: not sent, never as free-form text."""
    invitation = create_invitation(
        twilio, channel="whatsapp", address=CUSTOMER, flow="csat", whatsapp_opt_in=True
    )

    assert (invitation["status"], invitation["status_reason"]) == (
        "failed",
        "whatsapp_template_missing",
    )
    assert whatsapp_sends(twilio) == []
    funnel = twilio.http.get("/api/v1/funnel", headers=admin_headers()).json()
    assert funnel["overall"]["invited"] == 1
    assert funnel["overall"]["sent"] == 0
    assert funnel["not_sent"] == [
        {"channel": "whatsapp", "reason": "whatsapp_template_missing", "count": 1}
    ]


def test_a_rejected_template_is_not_sent_and_says_so(
    twilio: Twilio, container: Container, fake_twilio: FakeTwilioServer, synced: list[SyncLine]
) -> None:
    """WhatsApp rejected the template: the invitation records that it is not approved."""
    template = content_row(container, "csat", "nl", "template").content_sid
    fake_twilio.fake.content.reject(template, "TAG_CONTENT_MISMATCH")
    sync_content(container, fake_twilio)

    invitation = create_invitation(
        twilio, channel="whatsapp", address=CUSTOMER, flow="csat", locale="nl", whatsapp_opt_in=True
    )

    assert invitation["status_reason"] == "whatsapp_template_not_approved"
    assert whatsapp_sends(twilio) == []


def test_outside_the_window_without_opt_in_the_invitation_is_refused(
    twilio: Twilio, container: Container, fake_twilio: FakeTwilioServer, synced: list[SyncLine]
) -> None:
    """No consent recorded: the template is approved, yet nothing goes out."""
    approve_templates(container, fake_twilio)

    invitation = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="csat")

    assert (invitation["status"], invitation["status_reason"]) == ("failed", "whatsapp_no_opt_in")
    assert whatsapp_sends(twilio) == []


def test_consent_once_given_covers_the_next_invitation(
    twilio: Twilio, container: Container, fake_twilio: FakeTwilioServer, synced: list[SyncLine]
) -> None:
    """The opt-in is kept for the contact and sender: a later invitation need not repeat it."""
    approve_templates(container, fake_twilio)
    create_invitation(
        twilio, channel="whatsapp", address=CUSTOMER, flow="csat", whatsapp_opt_in=True
    )
    twilio.sms_replies("5", whatsapp=True)

    later = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="ces")

    assert later["status"] == "open", later


def test_a_63016_falls_back_to_the_template_once(
    twilio: Twilio, container: Container, fake_twilio: FakeTwilioServer, synced: list[SyncLine]
) -> None:
    """The CRM said the customer wrote, WhatsApp says the window is closed: the template goes."""
    approve_templates(container, fake_twilio)
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    invitation = create_invitation(
        twilio,
        channel="whatsapp",
        address=CUSTOMER,
        flow="csat",
        locale="nl",
        last_customer_message_at=an_hour_ago,
        whatsapp_opt_in=True,
    )
    [session] = whatsapp_sends(twilio)
    assert session.one("ContentSid") == content_row(container, "csat", "nl", "session").content_sid

    [answer] = twilio.deliver_statuses()  # failed, ErrorCode 63016

    assert answer.status_code == 200
    template_send = whatsapp_sends(twilio)[1]
    assert (
        template_send.one("ContentSid")
        == content_row(container, "csat", "nl", "template").content_sid
    )
    [row] = rows(container, Invitation, public_id=invitation["id"])
    assert row.status == "open"
    assert row.provider_message_id == template_send.sid
    assert twilio.deliver_statuses() == []  # the template was delivered
    tap(twilio, variables(template_send)["5"], "5 · Zeer tevreden")
    assert [r.value for r in rows(container, Response)] == [5]


def test_a_63016_without_an_approved_template_records_why(
    twilio: Twilio, container: Container, synced: list[SyncLine]
) -> None:
    """The fallback has nothing to send: the invitation fails with the template reason."""
    recently = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    invitation = create_invitation(
        twilio,
        channel="whatsapp",
        address=CUSTOMER,
        flow="csat",
        last_customer_message_at=recently,
        whatsapp_opt_in=True,
    )

    twilio.deliver_statuses()

    [row] = rows(container, Invitation, public_id=invitation["id"])
    assert (row.status, row.status_reason) == ("failed", "whatsapp_template_not_approved")
    assert len(whatsapp_sends(twilio)) == 1


def test_a_forged_payload_stores_nothing(
    twilio: Twilio, container: Container, synced: list[SyncLine]
) -> None:
    """Someone else's invitation id, a payload we never made, an old version: nothing stored."""
    twilio.sms_replies("hallo", whatsapp=True)
    invitation = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="csat")
    assert invitation["status"] == "open"

    for payload in (
        encode(str(uuid.uuid4()), 5),
        "sb1:not-an-id:5",
        "sb0:" + uuid.UUID(invitation["id"]).hex + ":5",
        encode(invitation["id"], 9),  # off the 1-5 scale
    ):
        tap(twilio, payload, "5")

    assert rows(container, Response) == []
    [row] = rows(container, Invitation, public_id=invitation["id"])
    assert row.status == "open"


def test_a_stale_tap_after_the_answer_changes_nothing(
    twilio: Twilio, container: Container, synced: list[SyncLine]
) -> None:
    """The first tap scores; tapping another row of the same list later stores nothing."""
    twilio.sms_replies("hallo", whatsapp=True)
    invitation = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="csat")
    [sent] = whatsapp_sends(twilio)
    payloads: dict[str, Any] = variables(sent)

    tap(twilio, payloads["2"], "2", list_row=True)
    tap(twilio, payloads["5"], "5", list_row=True)

    assert [r.value for r in rows(container, Response)] == [2]
    assert invitation["id"] in {r.public_id for r in rows(container, Invitation)}


def test_a_retried_band_tap_sends_the_second_step_once(
    twilio: Twilio, container: Container, fake_twilio: FakeTwilioServer, synced: list[SyncLine]
) -> None:
    """Twilio retries the webhook (same MessageSid): one second-step message, not two."""
    twilio.sms_replies("hallo", whatsapp=True)
    invitation = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="nps")
    band = encode_band(invitation["id"], 0, 6)
    params = twilio.message_params("0-6", whatsapp=True, ButtonPayload=band, ButtonText="0-6")

    for _ in range(2):
        assert twilio.post("/webhooks/twilio/messaging", params).status_code == 200

    sends = whatsapp_sends(twilio)
    assert len(sends) == 2  # the question and one list of 0..6
    assert len(variables(sends[1])) == 7
    assert WHATSAPP_FROM in sends[1].one("From")


def test_a_number_without_whatsapp_fails_with_that_reason(
    twilio: Twilio, container: Container, synced: list[SyncLine]
) -> None:
    """63024 in the status callback: the invitation says the number has no WhatsApp."""
    twilio.sms_replies("hallo", whatsapp=True)
    twilio.fake.async_errors[CUSTOMER] = 63024
    invitation = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="csat")

    twilio.deliver_statuses()

    [row] = rows(container, Invitation, public_id=invitation["id"])
    assert (row.status, row.status_reason) == ("failed", "whatsapp_not_a_user")


def test_a_rate_limited_send_waits_for_a_retry(
    twilio: Twilio, container: Container, synced: list[SyncLine]
) -> None:
    """63018 (the sender's rate) is not the customer's fault: the queue tries again later."""
    twilio.sms_replies("hallo", whatsapp=True)
    twilio.fake.refuse[f"whatsapp:{CUSTOMER}"] = (429, 63018, "Rate limit exceeded for Channel")

    invitation = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="csat")

    assert invitation["status"] == "pending", invitation
    assert invitation["waiting"]["reason"] == "retry"
    assert "63018" in invitation["waiting"]["detail"]
