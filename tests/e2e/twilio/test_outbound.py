"""Outbound sends through the real twilio library against a fake Twilio REST API, and the
status callbacks that follow them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bots.container import Container
from scoring.tables import Invitation, OptOutRecord, OutboundMessage, Response
from tests.e2e.twilio.conftest import (
    ACCOUNT_SID,
    CUSTOMER,
    PUBLIC_URL,
    SMS_FROM,
    VOICE_FROM,
    Twilio,
    create_invitation,
    rows,
)


def status_params(message_sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": SMS_FROM,
        "To": CUSTOMER,
        "MessageSid": message_sid,
        "SmsSid": message_sid,
        "MessageStatus": status,
        "SmsStatus": status,
        **extra,
    }


def test_opted_out_error_21610_puts_the_person_on_the_opt_out_list(
    twilio: Twilio, container: Container
) -> None:
    """Twilio refusing with 21610 (they texted STOP to our number) opts them out everywhere."""
    twilio.fake.refuse[CUSTOMER] = (
        400,
        21610,
        f"Attempt to send to unsubscribed recipient {CUSTOMER}",
    )

    invitation = create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat")

    assert invitation["status"] == "opted_out"
    assert invitation["delivery_status"] == "failed"
    assert CUSTOMER not in (invitation["status_reason"] or "")  # no numbers in stored reasons
    assert len(rows(container, OptOutRecord)) == 1
    [failed] = rows(container, OutboundMessage)
    assert (failed.status, failed.error_code) == ("failed", "21610")
    blocked = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="csat")
    assert blocked["status"] == "opted_out"
    assert len(twilio.fake.of_kind("Messages")) == 1


def test_a_refused_send_fails_the_invitation_with_the_twilio_code(
    twilio: Twilio, container: Container
) -> None:
    """An invalid number (21211) fails the invitation; no opt-out is recorded."""
    twilio.fake.refuse[CUSTOMER] = (400, 21211, f"The 'To' number {CUSTOMER} is not valid.")

    invitation = create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat")

    assert invitation["status"] == "failed"
    assert "<number>" in invitation["status_reason"]
    assert rows(container, OptOutRecord) == []
    [failed] = rows(container, OutboundMessage)
    assert failed.error_code == "21211"


def test_status_callbacks_move_delivery_forward_only(twilio: Twilio, container: Container) -> None:
    """sent then delivered is recorded on the message and the invitation; a late 'sent' is not."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat")
    [sent] = twilio.fake.of_kind("Messages")
    assert sent.sid is not None

    for status in ("sent", "delivered", "sent"):
        response = twilio.post("/webhooks/twilio/status", status_params(sent.sid, status))
        assert response.status_code == 200

    [message] = rows(container, OutboundMessage)
    assert message.status == "delivered"
    [invitation] = rows(container, Invitation)
    assert (invitation.delivery_status, invitation.status) == ("delivered", "open")


def test_undelivered_question_closes_the_survey_as_failed(
    twilio: Twilio, container: Container
) -> None:
    """An 'undelivered' callback (30003 unreachable) marks the open survey failed."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat")
    [sent] = twilio.fake.of_kind("Messages")
    assert sent.sid is not None

    twilio.post(
        "/webhooks/twilio/status", status_params(sent.sid, "undelivered", ErrorCode="30003")
    )

    [message] = rows(container, OutboundMessage)
    assert (message.status, message.error_code) == ("undelivered", "30003")
    [invitation] = rows(container, Invitation)
    assert (invitation.status, invitation.delivery_status) == ("failed", "undelivered")
    assert "30003" in (invitation.status_reason or "")


def test_status_callback_for_an_unknown_sid_is_accepted_and_ignored(
    twilio: Twilio, container: Container
) -> None:
    """Another app's message on the same number: 200, nothing changes."""
    response = twilio.post("/webhooks/twilio/status", status_params("SM" + "a" * 32, "delivered"))
    assert response.status_code == 200
    assert rows(container, OutboundMessage) == []


def test_outbound_survey_call_opens_its_invitation_when_answered(
    twilio: Twilio, container: Container
) -> None:
    """A voice invitation places a call whose URL opens that invitation; the callee scores 9."""
    invitation = create_invitation(
        twilio, channel="voice", address=CUSTOMER, flow="nps", locale="en", agent="bo"
    )
    [call] = twilio.fake.of_kind("Calls")
    assert (call.one("To"), call.one("From")) == (CUSTOMER, VOICE_FROM)
    url = urlsplit(call.one("Url"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{PUBLIC_URL}/webhooks/twilio/voice"
    assert parse_qs(url.query)["invitation"] == [invitation["id"]]
    assert call.one("StatusCallback") == f"{PUBLIC_URL}/webhooks/twilio/status"
    assert invitation["status"] == "open"
    assert call.sid is not None

    # The callee picks up: Twilio fetches the call's Url (Direction outbound-api, To = callee).
    answered = twilio.twiml(
        twilio.follow(
            call.one("Url"), twilio.call_params(call.sid, caller=CUSTOMER, direction="outbound-api")
        )
    )
    [gather] = answered.findall("Gather")
    assert gather.attrib["language"] == "en-US"
    done = twilio.twiml(
        twilio.gather_result(gather, call.sid, digits="9", direction="outbound-api")
    )

    assert [s.text for s in done.iter("Say")] == ["Thank you for your answer!"]
    [response] = rows(container, Response)
    assert (response.value, response.agent, response.channel) == (9, "bo", "voice")
    [stored] = rows(container, Invitation)
    assert (stored.status, stored.provider_message_id) == ("completed", call.sid)


def test_outbound_call_not_answered_closes_the_survey(twilio: Twilio, container: Container) -> None:
    """A call status 'no-answer' marks the survey failed with the reason."""
    create_invitation(twilio, channel="voice", address=CUSTOMER, flow="nps")
    [call] = twilio.fake.of_kind("Calls")
    assert call.sid is not None
    params = twilio.call_params(call.sid, direction="outbound-api", CallStatus="no-answer")

    response = twilio.post("/webhooks/twilio/status", params)

    assert response.status_code == 200
    [invitation] = rows(container, Invitation)
    assert (invitation.status, invitation.delivery_status) == ("failed", "no-answer")
    assert invitation.status_reason == "call no-answer"
