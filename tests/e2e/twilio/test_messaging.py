"""SMS and WhatsApp surveys end to end: invitation API -> fake Twilio -> signed webhooks."""

from __future__ import annotations

from bots.container import Container
from scoring.tables import (
    Comment,
    InboundEvent,
    Invitation,
    OptOutRecord,
    OutboundMessage,
    Response,
)
from tests.e2e.twilio.conftest import (
    ACCOUNT_SID,
    CUSTOMER,
    CUSTOMER_EN,
    PUBLIC_URL,
    SMS_FROM,
    WHATSAPP_FROM,
    Twilio,
    create_invitation,
    rows,
)


def test_full_sms_survey_in_dutch_stores_score_and_comment(
    twilio: Twilio, container: Container
) -> None:
    """A Dutch CSAT by SMS: question sent, a vague reply re-asked, a 2, its comment, thanks."""
    invitation = create_invitation(
        twilio,
        channel="sms",
        address=CUSTOMER,
        flow="csat",
        locale="nl",
        interaction_id="case-1001",
        agent="anna",
        team="blauw",
    )
    [sent] = twilio.fake.of_kind("Messages")
    assert sent.account == ACCOUNT_SID
    assert sent.username == ACCOUNT_SID
    assert (sent.one("To"), sent.one("From")) == (CUSTOMER, SMS_FROM)
    assert sent.one("Body").startswith("Hoe tevreden ben je over je contact met Acme")
    assert sent.one("ValidityPeriod") == "14400"
    assert sent.one("StatusCallback") == f"{PUBLIC_URL}/webhooks/twilio/status"
    assert invitation["status"] == "open"
    assert invitation["delivery_status"] == "queued"

    assert twilio.sms_replies("weet ik veel") == [
        "Sorry, dat begreep ik niet. Antwoord met één cijfer van 1 (zeer ontevreden) tot 5 "
        "(zeer tevreden)."
    ]
    assert twilio.sms_replies("2") == ["Wat jammer. Wat had er beter gekund?"]
    assert twilio.sms_replies("Ik moest drie keer bellen") == [
        "Bedankt voor je toelichting. We gaan ermee aan de slag."
    ]

    [response] = rows(container, Response)
    assert (response.value, response.channel, response.agent, response.team) == (
        2,
        "sms",
        "anna",
        "blauw",
    )
    [comment] = rows(container, Comment)
    assert comment.text == "Ik moest drie keer bellen"
    [stored] = rows(container, Invitation)
    assert stored.status == "completed"
    assert stored.provider_message_id == sent.sid
    [outbound] = rows(container, OutboundMessage)
    assert (outbound.provider_message_id, outbound.status) == (sent.sid, "queued")


def test_whatsapp_survey_in_english_answers_from_a_whatsapp_address(
    twilio: Twilio, container: Container
) -> None:
    """An English NPS on WhatsApp: sent from and to whatsapp: addresses, a 9 gets thanks.

    The customer wrote first, so the 24-hour window is open; with no content synced the
    question goes as text, which WhatsApp allows inside the window only.
    """
    twilio.sms_replies("Hi, my parcel arrived", sender=CUSTOMER_EN, whatsapp=True)
    create_invitation(twilio, channel="whatsapp", address=CUSTOMER_EN, flow="nps", locale="en")
    [sent] = twilio.fake.of_kind("Messages")
    assert sent.one("To") == f"whatsapp:{CUSTOMER_EN}"
    assert sent.one("From") == f"whatsapp:{WHATSAPP_FROM}"
    assert sent.one("Body").startswith("How likely is it that you would recommend Acme")

    replies = twilio.sms_replies("9", sender=CUSTOMER_EN, whatsapp=True)

    assert replies == ["Thank you for your answer!"]
    [response] = rows(container, Response)
    assert (response.value, response.channel, response.locale) == (9, "whatsapp", "en")


def test_message_without_an_open_survey_gets_a_polite_reply_and_no_score(
    twilio: Twilio, container: Container
) -> None:
    """A stranger texting the survey number hears there is no open question; nothing scored."""
    replies = twilio.sms_replies("8")
    assert replies == [
        "Bedankt voor je bericht. Er staat op dit moment geen vraag voor je open. Voor hulp kun "
        "je contact opnemen met Acme."
    ]
    assert rows(container, Response) == []


def test_help_keyword_gets_help_text(twilio: Twilio, container: Container) -> None:
    """HELP during a survey explains the survey and how to stop; the survey stays open."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat", locale="en")
    [reply] = twilio.sms_replies("HELP")
    assert "Send STOP to unsubscribe" in reply
    [invitation] = rows(container, Invitation)
    assert invitation.status == "open"


def test_stop_opts_out_on_every_channel_and_start_reverses_it(
    twilio: Twilio, container: Container
) -> None:
    """STOP closes the survey and blocks WhatsApp too; START allows surveys again."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat", locale="nl")

    [stopped] = twilio.sms_replies("STOP")
    assert stopped.startswith("Je bent afgemeld")
    assert len(rows(container, OptOutRecord)) == 1
    [closed] = rows(container, Invitation)
    assert closed.status == "opted_out"

    blocked = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="csat")
    assert blocked["status"] == "opted_out"
    assert len(twilio.fake.of_kind("Messages")) == 1  # nothing sent on WhatsApp

    [started] = twilio.sms_replies("AANMELDEN")
    assert started.startswith("Je bent weer aangemeld")
    assert rows(container, OptOutRecord) == []
    again = create_invitation(
        twilio, channel="sms", address=CUSTOMER, flow="csat", interaction_id="next"
    )
    assert again["status"] == "open"
    assert len(twilio.fake.of_kind("Messages")) == 2


def test_twilio_advanced_opt_out_is_recorded_but_not_answered_twice(
    twilio: Twilio, container: Container
) -> None:
    """When Twilio already answered STOP itself (OptOutType), we record it and stay quiet."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat")
    assert twilio.sms_replies("STOP", OptOutType="STOP") == []
    assert len(rows(container, OptOutRecord)) == 1


def test_retried_message_sid_is_stored_once_and_gets_the_same_reply(
    twilio: Twilio, container: Container
) -> None:
    """A retry of the same MessageSid replays the reply; one score, one event row."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="nps", locale="en")
    params = twilio.message_params("3")

    first = twilio.post("/webhooks/twilio/messaging", params)
    second = twilio.post("/webhooks/twilio/messaging", params)

    assert first.status_code == second.status_code == 200
    assert first.text == second.text
    assert "What should we improve?" in first.text
    assert len(rows(container, Response)) == 1
    assert len(rows(container, InboundEvent, event_key=params["MessageSid"])) == 1
    assert rows(container, Comment) == []  # the retry was not taken as the comment


def test_an_idempotency_token_without_a_message_sid_is_refused(
    twilio: Twilio, container: Container
) -> None:
    """The unsigned I-Twilio-Idempotency-Token never stands in for the signed MessageSid."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat", locale="en")
    params = twilio.message_params("4")
    for name in ("MessageSid", "SmsSid", "SmsMessageSid"):
        del params[name]
    headers = {"I-Twilio-Idempotency-Token": "b9e1c4a2-6f0e-4c3e-9d1e-2f6c7a8b9c0d"}

    response = twilio.post("/webhooks/twilio/messaging", params, headers=headers)

    assert response.status_code == 400
    assert rows(container, Response) == []


def test_message_without_from_or_sid_is_a_400_that_says_why(
    twilio: Twilio, container: Container
) -> None:
    """Partial bodies get a 4xx naming the missing field, never a 500, and nothing stored."""
    no_from = twilio.message_params("5")
    del no_from["From"]
    response = twilio.post("/webhooks/twilio/messaging", no_from)
    assert response.status_code == 400
    assert "From" in response.json()["detail"]

    no_sid = twilio.message_params("5")
    for name in ("MessageSid", "SmsSid", "SmsMessageSid"):
        del no_sid[name]
    response = twilio.post("/webhooks/twilio/messaging", no_sid)
    assert response.status_code == 400
    assert "MessageSid" in response.json()["detail"]

    bad_sid = twilio.message_params("5", MessageSid="SM'; DROP TABLE--")
    response = twilio.post("/webhooks/twilio/messaging", bad_sid)
    assert response.status_code == 400
    assert rows(container, InboundEvent) == []


def test_body_that_is_not_form_data_is_refused_with_a_reason(twilio: Twilio) -> None:
    """JSON or broken UTF-8 instead of Twilio's form body: 415/400 with the reason."""
    as_json = twilio.http.post("/webhooks/twilio/messaging", json={"Body": "5"})
    assert as_json.status_code == 415
    assert "x-www-form-urlencoded" in as_json.json()["detail"]

    broken = twilio.http.post(
        "/webhooks/twilio/messaging",
        content=b"Body=%FF%FE&From=%2B31612345678",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert broken.status_code == 400
    assert "form data" in broken.json()["detail"]
