"""Webhooks an attacker or a broken client could send: NUL bytes and re-split signed forms."""

from __future__ import annotations

from bots.container import Container
from scoring.tables import InboundEvent, Invitation, OutboundMessage, Response
from tests.e2e.twilio.conftest import CUSTOMER, Twilio, create_invitation, rows, sid
from tests.e2e.twilio.test_outbound import status_params
from tests.e2e.twilio.test_voice import ENTRY, enter, only_gather, spoken

MESSAGING = "/webhooks/twilio/messaging"


def test_nul_bytes_in_a_text_answer_are_stored_and_answered(
    twilio: Twilio, container: Container
) -> None:
    """A NUL in Body and From (PostgreSQL refuses NUL in text) still scores and replies."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat", locale="en")

    replies = twilio.sms_replies("4\x00", From=f"{CUSTOMER}\x00")

    assert replies == ["Thank you for your answer!"]
    [response] = rows(container, Response)
    assert response.value == 4
    assert "\x00" not in (response.raw_text or "")


def test_nul_bytes_in_a_voice_answer_and_a_status_callback_are_stored(
    twilio: Twilio, container: Container
) -> None:
    """Digits, SpeechResult, the entry URL's metadata and ErrorCode with a NUL are all kept."""
    call = sid("CA")
    gather = only_gather(enter(twilio, call, ENTRY.replace("agent=anna", "agent=an%00na")))
    root = twilio.twiml(twilio.gather_result(gather, call, digits="9\x00", speech="\x00"))
    assert spoken(root) == ["Bedankt voor je antwoord!"]
    [response] = rows(container, Response)
    assert response.value == 9
    [invitation] = rows(container, Invitation)
    assert invitation.agent == "an na"

    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat")
    [sent] = twilio.fake.of_kind("Messages")
    assert sent.sid is not None
    answer = twilio.post(
        "/webhooks/twilio/status", status_params(sent.sid, "undelivered", ErrorCode="300\x0003")
    )
    assert answer.status_code == 200
    [message] = rows(container, OutboundMessage, provider_message_id=sent.sid)
    assert (message.status, message.error_code) == ("undelivered", "300 03")


def _fold_sids_into_neighbours(params: dict[str, str]) -> dict[str, str]:
    """The same signed string with no SID parameter: each SID name and value moved into the
    value sorted just before it (Twilio concatenates name+value pairs without separators)."""
    forged = dict(params)
    message_sid = forged.pop("MessageSid")
    del forged["SmsMessageSid"], forged["SmsSid"]
    forged["FromZip"] += "MessageSid" + message_sid
    forged["ReferralNumMedia"] += "SmsMessageSid" + message_sid + "SmsSid" + message_sid
    return forged


def test_replay_with_the_sids_folded_into_other_values_is_refused(
    twilio: Twilio, container: Container
) -> None:
    """A captured answer re-split so that it carries no SID keeps its signature but is a 400,
    whatever idempotency token the replay carries; the answer is stored once."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat", locale="en")
    original = twilio.message_params("1")
    url = twilio.signed_url(MESSAGING)
    signature = twilio.validator.compute_signature(url, original)
    assert twilio.post(MESSAGING, original, signature=signature).status_code == 200

    forged = _fold_sids_into_neighbours(original)
    assert twilio.validator.validate(url, forged, signature)  # still validly signed
    for n in range(3):
        token = {"I-Twilio-Idempotency-Token": f"replay-{n}"}
        replay = twilio.post(MESSAGING, forged, signature=signature, headers=token)
        assert replay.status_code == 400
        assert "MessageSid" in replay.json()["detail"]

    assert len(rows(container, Response)) == 1
    assert len(rows(container, InboundEvent)) == 1


def test_message_sids_that_disagree_or_are_not_message_sids_are_refused(
    twilio: Twilio, container: Container
) -> None:
    """MessageSid, SmsMessageSid and SmsSid name one message; a call SID is no message SID."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat", locale="en")
    disagree = twilio.message_params("4", SmsSid=sid("SM"))
    assert twilio.post(MESSAGING, disagree).status_code == 400
    call_sid = sid("CA")
    wrong_kind = twilio.message_params(
        "4", MessageSid=call_sid, SmsSid=call_sid, SmsMessageSid=call_sid
    )
    assert twilio.post(MESSAGING, wrong_kind).status_code == 400
    assert rows(container, InboundEvent) == []


def test_status_callback_with_disagreeing_or_folded_sids_is_refused(
    twilio: Twilio, container: Container
) -> None:
    """A delivery status whose SID copies disagree, or whose SIDs were folded away, is a 400."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat")
    [sent] = twilio.fake.of_kind("Messages")
    assert sent.sid is not None
    disagree = status_params(sent.sid, "undelivered", SmsSid=sid("SM"))
    assert twilio.post("/webhooks/twilio/status", disagree).status_code == 400

    signed = status_params(sent.sid, "undelivered", ErrorCode="30003")
    url = twilio.signed_url("/webhooks/twilio/status")
    signature = twilio.validator.compute_signature(url, signed)
    folded = dict(signed)
    del folded["MessageSid"], folded["SmsSid"]
    folded["From"] += "MessageSid" + sent.sid
    folded["MessageStatus"] += "SmsSid" + sent.sid
    assert twilio.validator.validate(url, folded, signature)
    assert twilio.post("/webhooks/twilio/status", folded, signature=signature).status_code == 400

    [invitation] = rows(container, Invitation)
    assert invitation.status == "open"


def test_voice_answer_with_a_folded_neighbour_in_digits_is_refused(
    twilio: Twilio, container: Container
) -> None:
    """Digits holding more than keypad keys (a neighbour folded in) is a 400, nothing stored."""
    call = sid("CA")
    gather = only_gather(enter(twilio, call))
    refused = twilio.gather_result(gather, call, digits="9Directioninbound")
    assert refused.status_code == 400
    assert rows(container, Response) == []
