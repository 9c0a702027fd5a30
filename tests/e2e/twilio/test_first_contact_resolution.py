"""The bundled `resolved` flow end to end: keypad 1/2 on a call, ja/nee and 👍/👎 by SMS."""

from __future__ import annotations

import httpx

from bots.container import Container
from flows.version import flow_version
from scoring.tables import Response
from tests.conftest import viewer_headers
from tests.e2e.twilio.conftest import Twilio, create_invitation, rows, sid
from tests.e2e.twilio.test_voice import enter, only_gather, spoken

ENTRY = "/webhooks/twilio/voice?flow=resolved&interaction=call-7&agent=anna&locale=nl"


def test_a_caller_presses_1_for_yes_and_hears_the_dutch_question(
    twilio: Twilio, container: Container
) -> None:
    """The question asks 'in één keer opgelost?'; 1 stores yes (value 1) with its version."""
    call = sid("CA")
    gather = only_gather(enter(twilio, call, path=ENTRY))
    assert "Is je vraag in één keer opgelost?" in spoken(enter(twilio, call, path=ENTRY))[0]
    root = twilio.twiml(twilio.gather_result(gather, call, digits="1"))
    assert spoken(root) == ["Bedankt voor je antwoord!"]
    [response] = rows(container, Response)
    assert (response.flow_id, response.metric, response.value) == ("resolved", "fcr", 1)
    assert response.flow_version == flow_version(container.flows["resolved"])


def test_sms_answers_yes_no_and_thumbs_give_the_resolution_rate(
    twilio: Twilio, container: Container
) -> None:
    """ja, 👍, yes: resolved; nee, 👎: not; 'ja, na 3 keer bellen' is asked again, never a yes."""
    answers = ["ja", "👍", "yes", "nee", "👎"] * 2  # ten: a score shows from n = 10
    for i, text in enumerate(answers):
        phone = f"+3161234{i:04d}"
        create_invitation(twilio, channel="sms", address=phone, flow="resolved", locale="nl")
        twilio.sms_replies(text, sender=phone)
    unclear = "+31612349999"
    create_invitation(twilio, channel="sms", address=unclear, flow="resolved", locale="nl")
    [again] = twilio.sms_replies("ja, na 3 keer bellen", sender=unclear)
    assert again.startswith("Sorry, dat begreep ik niet. Antwoord met ja of nee")
    stored = sorted(r.value for r in rows(container, Response))
    assert stored == [1] * 6 + [2] * 4
    report = httpx.get(
        f"{twilio.http.base_url}/api/v1/metrics",
        params={"flow": "resolved"},
        headers=viewer_headers(),
    ).json()
    assert report["metric"] == "fcr"
    assert (report["overall"]["n"], report["overall"]["score"]) == (10, 60.0)
    assert report["overall"]["categories"] == {"not_resolved": 4, "neutral": 0, "resolved": 6}
