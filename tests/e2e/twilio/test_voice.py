"""Voice surveys end to end: a caller redirected into the survey answers on keypad or by voice."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET

from bots.container import Container
from scoring.tables import Comment, InboundEvent, Invitation, Response
from tests.e2e.twilio.conftest import CUSTOMER, PUBLIC_URL, Twilio, rows, sid

ENTRY = "/webhooks/twilio/voice?flow=nps&interaction=call-42&agent=anna&team=blauw&locale=nl"


def enter(twilio: Twilio, call_sid: str, path: str = ENTRY, **kwargs: str) -> ET.Element:
    """The contact centre's <Redirect> lands the caller on our entry URL."""
    return twilio.twiml(twilio.post(path, twilio.call_params(call_sid, **kwargs)))


def only_gather(root: ET.Element) -> ET.Element:
    [gather] = root.findall("Gather")
    return gather


def spoken(root: ET.Element) -> list[str]:
    return [say.text or "" for say in root.iter("Say")]


def test_entry_asks_the_question_in_dutch_with_a_keypad_and_speech_gather(
    twilio: Twilio, container: Container
) -> None:
    """The Gather takes 0..10 on the keypad (2 digits, '#', timeout) and speech, in nl-NL."""
    root = enter(twilio, sid("CA"))

    gather = only_gather(root)
    assert gather.attrib["input"] == "dtmf speech"
    assert gather.attrib["numDigits"] == "2"
    assert gather.attrib["finishOnKey"] == "#"
    assert int(gather.attrib["timeout"]) <= 5
    assert gather.attrib["language"] == "nl-NL"
    assert gather.attrib["actionOnEmptyResult"] == "true"
    assert gather.attrib["method"] == "POST"
    hints = gather.attrib["hints"].split(", ")
    assert {"nul", "tien", "zeer waarschijnlijk"} <= set(hints)
    action = urlsplit(gather.attrib["action"])
    assert f"{action.scheme}://{action.netloc}" == PUBLIC_URL
    assert parse_qs(action.query)["step"] == ["1"]
    [say] = gather.findall("Say")
    assert say.attrib["language"] == "nl-NL"
    assert (say.text or "").startswith("Hoe waarschijnlijk is het dat je Acme aanbeveelt")
    [invitation] = rows(container, Invitation)
    assert (invitation.channel, invitation.status, invitation.interaction_id) == (
        "voice",
        "open",
        "call-42",
    )


def test_keypad_ten_is_stored_as_ten_and_the_call_ends_with_thanks(
    twilio: Twilio, container: Container
) -> None:
    """Pressing 1, 0 (two digits) scores 10: thanks, then <Hangup/>."""
    call = sid("CA")
    gather = only_gather(enter(twilio, call))

    root = twilio.twiml(twilio.gather_result(gather, call, digits="10"))

    assert spoken(root) == ["Bedankt voor je antwoord!"]
    assert root.find("Hangup") is not None
    assert root.find("Gather") is None
    [response] = rows(container, Response)
    assert (response.value, response.channel, response.agent, response.team) == (
        10,
        "voice",
        "anna",
        "blauw",
    )


def test_keypad_zero_is_a_score_and_the_follow_up_is_taken_by_speech(
    twilio: Twilio, container: Container
) -> None:
    """A single '0' (ended by the timeout) scores 0; the follow-up listens for speech only."""
    call = sid("CA")
    first = only_gather(enter(twilio, call))

    follow_up = twilio.twiml(twilio.gather_result(first, call, digits="0"))
    gather = only_gather(follow_up)
    assert gather.attrib["input"] == "speech"
    assert "numDigits" not in gather.attrib
    assert parse_qs(urlsplit(gather.attrib["action"]).query)["step"] == ["2"]
    assert spoken(follow_up) == [
        "Bedankt. Vertel ons in een paar woorden wat we kunnen verbeteren."
    ]

    done = twilio.twiml(
        twilio.gather_result(gather, call, speech="Ik werd drie keer doorverbonden.")
    )
    assert spoken(done) == ["Bedankt voor je toelichting. We gaan ermee aan de slag."]
    assert done.find("Hangup") is not None
    [response] = rows(container, Response)
    assert response.value == 0
    [comment] = rows(container, Comment)
    assert comment.text == "Ik werd drie keer doorverbonden."


def test_spoken_english_answer_is_understood(twilio: Twilio, container: Container) -> None:
    """A caller saying 'Eight.' in an English NPS gets 8 stored and thanks in English."""
    call = sid("CA")
    root = enter(twilio, call, path="/webhooks/twilio/voice?flow=nps&locale=en&team=red")
    gather = only_gather(root)
    assert gather.attrib["language"] == "en-US"
    assert "ten" in gather.attrib["hints"].split(", ")

    done = twilio.twiml(twilio.gather_result(gather, call, speech="Eight."))

    assert spoken(done) == ["Thank you for your answer!"]
    [response] = rows(container, Response)
    assert (response.value, response.locale, response.team, response.raw_text) == (
        8,
        "en",
        "red",
        "Eight.",
    )


def test_silence_is_asked_again_then_the_call_ends_politely(
    twilio: Twilio, container: Container
) -> None:
    """Saying nothing gets the re-prompt twice, then goodbye and <Hangup/>; nothing scored."""
    call = sid("CA")
    gather = only_gather(enter(twilio, call))
    reprompt = "Sorry, dat heb ik niet verstaan. Toets een cijfer van 0 tot 10 en daarna een hekje."

    for step in (2, 3):
        root = twilio.twiml(twilio.gather_result(gather, call))
        gather = only_gather(root)
        assert spoken(root) == [reprompt]
        assert parse_qs(urlsplit(gather.attrib["action"]).query)["step"] == [str(step)]
    goodbye = twilio.twiml(twilio.gather_result(gather, call))

    assert spoken(goodbye) == ["Geen probleem, we sluiten deze vraag af. Bedankt voor je tijd!"]
    assert goodbye.find("Hangup") is not None
    assert rows(container, Response) == []
    [invitation] = rows(container, Invitation)
    assert invitation.status == "unanswered"


def test_retried_gather_callback_is_stored_once_and_replayed(
    twilio: Twilio, container: Container
) -> None:
    """The same CallSid and Gather step twice: same TwiML, one score, one event."""
    call = sid("CA")
    gather = only_gather(enter(twilio, call))

    first = twilio.gather_result(gather, call, digits="3")
    second = twilio.gather_result(gather, call, digits="3")

    assert first.text == second.text
    assert only_gather(twilio.twiml(second)).attrib["input"] == "speech"
    assert len(rows(container, Response)) == 1
    assert len(rows(container, InboundEvent, event_key=f"{call}:1")) == 1


def test_retried_entry_request_resumes_the_same_survey(
    twilio: Twilio, container: Container
) -> None:
    """A repeated entry webhook for the same call asks again without a second invitation."""
    call = sid("CA")
    bare = "/webhooks/twilio/voice"
    first = enter(twilio, call, path=bare)
    second = enter(twilio, call, path=bare)

    assert spoken(first) == spoken(second)
    [invitation] = rows(container, Invitation)
    # Without query parameters: TWILIO_VOICE_FLOW (nps) and the call as the interaction.
    assert (invitation.flow_id, invitation.interaction_id) == ("nps", call)


def test_entry_with_an_unknown_flow_is_a_400_that_names_it(twilio: Twilio) -> None:
    """A typo in the <Redirect> URL shows up in Twilio's debugger as a 400 with the reason."""
    response = twilio.post(
        "/webhooks/twilio/voice?flow=nsp", twilio.call_params(sid("CA"), caller=CUSTOMER)
    )
    assert response.status_code == 400
    assert "nsp" in response.json()["detail"]


def test_call_webhook_without_call_sid_is_a_400(twilio: Twilio, container: Container) -> None:
    """A partial voice body gets a 400 naming CallSid; no invitation is made."""
    params = twilio.call_params(sid("CA"))
    del params["CallSid"]
    response = twilio.post(ENTRY, params)
    assert response.status_code == 400
    assert "CallSid" in response.json()["detail"]
    assert rows(container, Invitation) == []


def test_entry_with_an_unknown_locale_is_refused_for_the_debugger(
    twilio: Twilio, container: Container
) -> None:
    """`locale=de` in the <Redirect> URL is a 400 naming the known locales; no survey starts."""
    path = "/webhooks/twilio/voice?flow=nps&locale=de"
    response = twilio.post(path, twilio.call_params(sid("CA")))
    assert response.status_code == 400
    assert response.json()["detail"] == "unknown locale 'de'; known locales: nl, en"
    assert rows(container, Invitation) == []
