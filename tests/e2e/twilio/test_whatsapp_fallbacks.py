"""WhatsApp refusals after the first round: SMS for numbers without WhatsApp, rate limits
that arrive in a status callback, through the real twilio client against the local fake."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from bots.container import Container
from bots.twilio.whatsapp import SENT_BY_SMS, Pacer, SharedPairs
from bots.worker import Worker
from flows.models import WhatsAppContentSids
from scoring.db import Database, make_engine
from scoring.storage import Pseudonymiser
from scoring.tables import Invitation, Response, SendJob
from tests.conftest import admin_headers
from tests.e2e.twilio.conftest import CUSTOMER, SMS_FROM, Twilio, create_invitation, rows
from tests.e2e.twilio.fake_twilio import FakeTwilioServer, Recorded
from tests.e2e.twilio.test_whatsapp import sync_content


@pytest.fixture
def sms_fallback(container: Container) -> None:
    """The csat flow says `[whatsapp] sms_fallback = true`."""
    flow = container.flows["csat"]
    container.flows["csat"] = flow.model_copy(
        update={"whatsapp": WhatsAppContentSids(sms_fallback=True)}
    )


def sms_sends(twilio: Twilio) -> list[Recorded]:
    return [r for r in twilio.fake.of_kind("Messages") if r.one("To") == CUSTOMER]


def whatsapp_sends(twilio: Twilio) -> list[Recorded]:
    return [r for r in twilio.fake.of_kind("Messages") if r.one("To").startswith("whatsapp:")]


def invitation_json(twilio: Twilio, public_id: str) -> dict[str, object]:
    response = twilio.http.get(f"/api/v1/invitations/{public_id}", headers=admin_headers())
    assert response.status_code == 200, response.text
    found: dict[str, object] = response.json()
    return found


def send_when_due(twilio: Twilio, container: Container, public_id: str, *, sends: int) -> None:
    """Let the queue's backoff pass (the job made due now) and run a worker until it sent."""
    [row] = rows(container, Invitation, public_id=public_id)
    with Session(container.db.engine) as session:
        [job] = [j for j in rows(container, SendJob, invitation_id=row.id) if j.kind == "invite"]
        job.due_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(job)
        session.commit()
    deadline = time.monotonic() + 10
    while len(whatsapp_sends(twilio)) < sends and time.monotonic() < deadline:
        asyncio.run(Worker(container).run_once())
        time.sleep(0.05)
    assert len(whatsapp_sends(twilio)) == sends


@pytest.mark.usefixtures("sms_fallback")
def test_a_number_without_whatsapp_gets_the_question_by_sms_and_answers_by_sms(
    twilio: Twilio, container: Container
) -> None:
    """63024 in the status callback: the question goes by SMS, and the SMS answer is scored."""
    twilio.sms_replies("hallo", whatsapp=True)
    twilio.fake.async_errors[CUSTOMER] = 63024
    invitation = create_invitation(
        twilio, channel="whatsapp", address=CUSTOMER, flow="csat", locale="nl"
    )

    [answer] = twilio.deliver_statuses()

    assert answer.status_code == 200
    [sms] = sms_sends(twilio)
    assert sms.one("From") == SMS_FROM
    assert sms.form["Body"][0]
    shown = invitation_json(twilio, invitation["id"])
    assert (shown["status"], shown["channel"], shown["status_reason"]) == (
        "open",
        "sms",
        SENT_BY_SMS,
    )
    funnel = twilio.http.get("/api/v1/funnel", headers=admin_headers()).json()
    assert funnel["not_sent"] == [{"channel": "sms", "reason": SENT_BY_SMS, "count": 1}]
    twilio.sms_replies("4")
    [response] = rows(container, Response)
    assert (response.value, response.channel) == (4, "sms")


@pytest.mark.usefixtures("sms_fallback")
def test_a_63003_refused_at_once_goes_by_sms_at_once(twilio: Twilio, container: Container) -> None:
    """Twilio refuses the send itself with 63003: the same request sends the SMS instead."""
    twilio.sms_replies("hello", whatsapp=True)
    twilio.fake.refuse[f"whatsapp:{CUSTOMER}"] = (400, 63003, "Channel could not find To address")
    invitation = create_invitation(
        twilio, channel="whatsapp", address=CUSTOMER, flow="csat", locale="en"
    )

    assert (invitation["status"], invitation["channel"]) == ("open", "sms")
    assert invitation["status_reason"] == SENT_BY_SMS
    [sms] = sms_sends(twilio)
    [row] = rows(container, Invitation, public_id=invitation["id"])
    assert row.provider_message_id == sms.sid


def test_without_the_flow_setting_a_number_without_whatsapp_still_fails(
    twilio: Twilio, container: Container
) -> None:
    twilio.sms_replies("hallo", whatsapp=True)
    twilio.fake.async_errors[CUSTOMER] = 63003
    invitation = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="csat")

    twilio.deliver_statuses()

    assert sms_sends(twilio) == []
    [row] = rows(container, Invitation, public_id=invitation["id"])
    assert (row.status, row.status_reason) == ("failed", "whatsapp_not_a_user")


@pytest.mark.parametrize("code", [63018, 131056])
def test_a_rate_limit_in_the_status_callback_is_retried_not_failed(
    twilio: Twilio, container: Container, code: int
) -> None:
    """Twilio accepted the send and reports the rate limit later: the queue sends it again."""
    twilio.sms_replies("hallo", whatsapp=True)
    twilio.fake.async_errors[CUSTOMER] = code
    invitation = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="csat")
    assert invitation["status"] == "open"

    [answer] = twilio.deliver_statuses()

    assert answer.status_code == 200
    shown = invitation_json(twilio, invitation["id"])
    assert shown["status"] == "pending", shown
    waiting = shown["waiting"]
    assert isinstance(waiting, dict)
    assert waiting["reason"] == "retry"
    assert str(code) in str(waiting["detail"])

    # The backoff passes (made due now), the limit has lifted: the question goes again.
    del twilio.fake.async_errors[CUSTOMER]
    send_when_due(twilio, container, invitation["id"], sends=2)
    assert len(whatsapp_sends(twilio)) == 2
    [row] = rows(container, Invitation, public_id=invitation["id"])
    assert row.status == "open"
    assert row.provider_message_id == whatsapp_sends(twilio)[1].sid
    assert twilio.deliver_statuses() == []
    twilio.sms_replies("5", whatsapp=True)
    assert [r.value for r in rows(container, Response)] == [5]


def test_a_rate_limit_that_never_lifts_fails_once_the_attempts_are_used_up(
    twilio: Twilio, container: Container
) -> None:
    twilio.sms_replies("hallo", whatsapp=True)
    twilio.fake.async_errors[CUSTOMER] = 63018
    invitation = create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="csat")
    attempts = container.service.policy.for_flow(container.flows["csat"]).attempts
    for sends in range(2, attempts + 1):
        twilio.deliver_statuses()
        send_when_due(twilio, container, invitation["id"], sends=sends)

    twilio.deliver_statuses()

    [row] = rows(container, Invitation, public_id=invitation["id"])
    assert (row.status, row.status_reason) == ("failed", "message failed (Twilio error 63018)")
    assert len(whatsapp_sends(twilio)) == attempts


def test_two_instances_keep_one_pair_rate_per_person(container: Container) -> None:
    """Two app instances (own engines, own pacers) sending to one person: 6 s apart, not 0."""
    second = Database(make_engine(container.settings.database_url))
    pseudonymise = Pseudonymiser(container.settings.secret())
    waited: list[float] = []
    start = time.time()

    async def sleep(seconds: float) -> None:
        waited.append(round(seconds))

    def pacer(db: Database) -> Pacer:
        shared = SharedPairs(db, pseudonymise, "+31850000000", 6, wall=lambda: start)
        return Pacer(10, 6, clock=lambda: 0.0, sleep=sleep, shared=shared)

    async def run() -> None:
        one, two = pacer(container.db), pacer(second)
        await asyncio.gather(one.wait(CUSTOMER), two.wait(CUSTOMER))
        await one.wait(CUSTOMER)
        await two.wait("+31600000002")  # someone else need not wait

    try:
        asyncio.run(run())
    finally:
        second.engine.dispose()
    # The first send goes at once; the other instance's waits 6 s, the third 12 s; someone
    # else only waits for the sender's own rate (a tenth of a second, rounded to 0).
    assert sorted(waited) == [0, 6, 12]


def test_a_list_reply_without_its_id_is_read_from_the_item_title_in_body(
    twilio: Twilio, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """A picked list row whose id field we do not get still answers, through the normaliser.

    Twilio's page on its incoming-message webhook lists the request parameters
    (https://www.twilio.com/docs/messaging/guides/webhook-request); the parts of it we could
    read did not confirm the list-picker fields, so `ListId` / `ListTitle` stay unconfirmed.
    A row tap that carries only `Body` (the row's title, as the chat shows the reply) must
    still score the number in that title, and never anything else.
    """
    sync_content(container, fake_twilio)
    twilio.sms_replies("Hoi", whatsapp=True)
    invitation = create_invitation(
        twilio, channel="whatsapp", address=CUSTOMER, flow="csat", locale="nl"
    )
    [sent] = whatsapp_sends(twilio)
    assert "ContentSid" in sent.form
    assert invitation["status"] == "open"

    twilio.sms_replies("4 · Tevreden", whatsapp=True, MessageType="interactive")

    [response] = rows(container, Response)
    assert (response.value, response.channel) == (4, "whatsapp")


def test_a_band_title_without_its_payload_is_not_taken_as_a_score(
    twilio: Twilio, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """ "9-10" from a band button whose payload is missing is two scores: ask, never guess."""
    sync_content(container, fake_twilio)
    twilio.sms_replies("Hoi", whatsapp=True)
    create_invitation(twilio, channel="whatsapp", address=CUSTOMER, flow="nps", locale="nl")

    replies = twilio.sms_replies("9-10", whatsapp=True, MessageType="button")

    assert rows(container, Response) == []
    assert replies  # a re-prompt
