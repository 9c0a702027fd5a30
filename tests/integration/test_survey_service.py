"""The survey service on real SQLite and real PostgreSQL."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlmodel import Session, select

from bots.container import Container, build
from bots.dispatch import deliver
from bots.settings import Settings
from flows.ports import Sender, SendError
from flows.render import ReplyKind
from flows.service import Inbound, NewInvitation, SurveyService
from scoring.channels import Channel
from scoring.normalise import NORMALISER_VERSION
from scoring.tables import (
    Comment,
    Contact,
    InboundEvent,
    Invitation,
    LateAnswerRecord,
    OptOutRecord,
    Response,
)
from tests.fakes import RecordingSender, recording_senders

PHONE = "+31612345678"


@pytest.fixture
def senders() -> dict[str, Sender]:
    return recording_senders()


def open_invitation(container: Container, **kwargs: object) -> Invitation:
    """Create an invitation and 'send' it through a recording sender."""
    values: dict[str, object] = {"channel": Channel.SMS, "address": PHONE, "flow_id": "nps"}
    values.update(kwargs)
    new = NewInvitation(**values)  # type: ignore[arg-type]
    invitation = container.service.create_invitation(new)
    return asyncio.run(deliver(container, invitation.public_id))


def sms(
    service: SurveyService, text: str, key: str | None = None, address: str = PHONE
) -> list[str]:
    outcome = service.receive(
        Inbound(Channel.SMS, address, text, provider="twilio" if key else None, event_key=key)
    )
    return [r.kind.value for r in outcome.replies]


def rows(container: Container, model: type) -> list:  # type: ignore[type-arg]
    with Session(container.db.engine) as session:
        return list(session.exec(select(model)).all())


def test_sms_answer_is_stored_with_raw_text_and_normaliser_version(container: Container) -> None:
    """'negen' is stored as 9 with the raw text, the version and the invitation's metadata."""
    open_invitation(container, agent="anna", team="blue", interaction_id="call-1")
    assert sms(container.service, "negen") == ["thanks"]
    [response] = rows(container, Response)
    assert (response.value, response.raw_text, response.agent, response.team) == (
        9,
        "negen",
        "anna",
        "blue",
    )
    assert response.normaliser_version
    assert response.answered_at.tzinfo is not None


def test_stored_score_keeps_why_the_normaliser_read_it_so(container: Container) -> None:
    """The response keeps the deciding rule and each word's part beside raw text and version."""
    open_invitation(container)
    assert sms(container.service, "Ik geef jullie een zevne, want ze waren snel") == ["thanks"]
    [response] = rows(container, Response)
    assert response.value == 7
    assert response.raw_text == "Ik geef jullie een zevne, want ze waren snel"
    assert response.normaliser_version == NORMALISER_VERSION
    assert response.decision is not None
    assert response.decision.startswith("number 7; typo 'zevne' read as 'zeven'; reason clause")
    assert "jullie=filler" in response.decision


def test_detractor_comment_is_stored_against_the_response(container: Container) -> None:
    """A 4 gets the follow-up question; the free text lands in comments."""
    invitation = open_invitation(container)
    assert sms(container.service, "4") == ["follow_up"]
    assert sms(container.service, "Te lang in de wacht") == ["thanks"]
    [comment] = rows(container, Comment)
    assert comment.text == "Te lang in de wacht"
    assert container.service.get_invitation(invitation.public_id).status == "completed"


def test_duplicate_provider_event_is_stored_once_and_gets_the_same_reply(
    container: Container,
) -> None:
    """A retried webhook with the same MessageSid changes nothing and replays the reply."""
    open_invitation(container)
    first = container.service.receive(Inbound(Channel.SMS, PHONE, "3", "twilio", "SM1"))
    again = container.service.receive(Inbound(Channel.SMS, PHONE, "3", "twilio", "SM1"))
    assert again.duplicate
    assert [r.text for r in again.replies] == [r.text for r in first.replies]
    assert len(rows(container, Response)) == 1
    assert len(rows(container, InboundEvent)) == 1
    assert rows(container, Comment) == []


def test_first_valid_answer_wins(container: Container) -> None:
    """After the thanks, another number gets 'closed' and the score stays."""
    open_invitation(container)
    sms(container.service, "10")
    assert sms(container.service, "2") == ["closed"]
    assert [r.value for r in rows(container, Response)] == [10]


def test_only_the_newest_open_invitation_counts(container: Container) -> None:
    """Two open surveys on one number: the answer goes to the newer one."""
    older = open_invitation(container, flow_id="csat", interaction_id="a")
    newer = open_invitation(container, flow_id="nps", interaction_id="b")
    sms(container.service, "9")
    [response] = rows(container, Response)
    assert response.flow_id == "nps"
    assert response.invitation_id == newer.id != older.id


def test_text_without_open_invitation_gets_polite_reply_and_no_score(container: Container) -> None:
    """A stranger's '8' is answered politely and not stored as a score."""
    assert sms(container.service, "8", address="+31600000001") == ["no_survey"]
    assert rows(container, Response) == []


def test_stop_closes_surveys_on_every_channel_and_blocks_new_ones(container: Container) -> None:
    """STOP by SMS also ends the WhatsApp survey of the same number and blocks future sends."""
    whatsapp = open_invitation(container, channel=Channel.WHATSAPP, address=f"whatsapp:{PHONE}")
    open_invitation(container)
    assert sms(container.service, "STOP") == ["opted_out"]
    assert container.service.get_invitation(whatsapp.public_id).status == "opted_out"
    assert len(rows(container, OptOutRecord)) == 1
    later = open_invitation(container, interaction_id="later")
    assert later.status == "opted_out"
    assert container.senders["sms"].sent[-1].invitation_id != later.public_id  # type: ignore[attr-defined]


def test_start_reverses_an_opt_out(container: Container) -> None:
    """START (or AANMELDEN) takes the number off the opt-out list."""
    open_invitation(container)
    sms(container.service, "stop")
    assert sms(container.service, "AANMELDEN") == ["opted_in"]
    assert rows(container, OptOutRecord) == []
    assert open_invitation(container, interaction_id="again").status == "open"


def test_unreadable_answers_are_reprompted_then_closed(container: Container) -> None:
    """Two re-asks, then a polite close, and no score stored."""
    invitation = open_invitation(container)
    assert [sms(container.service, t)[0] for t in ("?", "7 of 8", "geen idee")] == [
        "reprompt",
        "reprompt",
        "give_up",
    ]
    assert container.service.get_invitation(invitation.public_id).status == "unanswered"
    assert rows(container, Response) == []


def test_conversation_survives_a_restart(settings: Settings) -> None:
    """State lives in the database: a new process picks up the follow-up where it was."""
    first = build(settings, senders=recording_senders())
    open_invitation(first)
    assert sms(first.service, "2") == ["follow_up"]
    first.close()
    second = build(settings, senders=recording_senders())
    try:
        assert sms(second.service, "Niemand nam op") == ["thanks"]
        assert [c.text for c in rows(second, Comment)] == ["Niemand nam op"]
    finally:
        second.close()


def test_invitation_is_idempotent_on_interaction_id(container: Container) -> None:
    """The CRM posting the same interaction twice gets the same invitation back."""
    a = container.service.create_invitation(
        NewInvitation(Channel.SMS, PHONE, flow_id="csat", interaction_id="crm-42")
    )
    b = container.service.create_invitation(
        NewInvitation(Channel.SMS, PHONE, flow_id="csat", interaction_id="crm-42")
    )
    assert a.public_id == b.public_id
    assert len(rows(container, Invitation)) == 1


@pytest.mark.parametrize(
    ("stage", "flow"), [("purchase", "nps"), ("complaint", "ces"), (None, "csat")]
)
def test_journey_stage_picks_the_flow(container: Container, stage: str | None, flow: str) -> None:
    """NPS after a purchase, CES after a complaint, the default otherwise."""
    invitation = container.service.create_invitation(
        NewInvitation(Channel.SMS, PHONE, journey_stage=stage, interaction_id=f"i-{stage}")
    )
    assert invitation.flow_id == flow


def test_contacts_are_keyed_by_pseudonym_not_phone_number(container: Container) -> None:
    """SMS and WhatsApp of one number share one HMAC key that does not contain the number."""
    container.service.create_invitation(NewInvitation(Channel.SMS, PHONE, flow_id="nps"))
    container.service.create_invitation(
        NewInvitation(Channel.WHATSAPP, f"whatsapp:{PHONE}", flow_id="nps")
    )
    contacts = rows(container, Contact)
    assert len({c.pseudonym for c in contacts}) == 1
    assert "612345678" not in contacts[0].pseudonym


@pytest.mark.parametrize(
    "senders", [{"sms": RecordingSender(fail_with=SendError("carrier said no", code="30003"))}]
)
def test_failed_send_is_recorded_with_its_reason(container: Container) -> None:
    """A send that fails leaves a failed invitation with the reason, not a silent drop."""
    invitation = container.service.create_invitation(NewInvitation(Channel.SMS, PHONE))
    result = asyncio.run(deliver(container, invitation.public_id))
    assert (result.status, result.status_reason) == ("failed", "carrier said no")


def test_help_keyword_gets_the_help_text(container: Container) -> None:
    """HELP mid-survey explains and keeps the survey open."""
    open_invitation(container)
    assert sms(container.service, "HELP") == [ReplyKind.HELP.value]
    assert sms(container.service, "8") == ["thanks"]


def test_an_answer_is_stored_while_a_long_report_is_still_reading(container: Container) -> None:
    """An export or a dashboard page that takes its time never holds up a customer's answer."""
    open_invitation(container)
    reading, release = threading.Event(), threading.Event()

    def long_report() -> None:
        with Session(container.db.engine) as session:
            session.exec(select(Response)).all()  # a read transaction is open from here
            reading.set()
            release.wait(10)

    async def scenario() -> list[str]:
        report = asyncio.ensure_future(container.db.report(long_report))
        try:
            assert await asyncio.to_thread(reading.wait, 10)
            inbound = Inbound(Channel.SMS, PHONE, "9", provider="twilio", event_key="SM-1")
            outcome = await asyncio.wait_for(
                container.db.run(container.service.receive, inbound), 5
            )
            assert len(rows(container, Response)) == 1  # stored while the report still reads
        finally:
            release.set()
            await report
        return [r.kind.value for r in outcome.replies]

    assert asyncio.run(scenario()) == ["thanks"]


def test_a_tapped_choice_off_the_scale_or_after_the_question_changes_nothing(
    container: Container,
) -> None:
    """A button press answers the question or does nothing: no re-prompt, never the comment."""
    invitation = open_invitation(container)
    service = container.service

    def tap(value: str, key: str) -> tuple[str, list[str]]:
        inbound = Inbound(
            Channel.SMS,
            PHONE,
            value,
            provider="telegram",
            event_key=key,
            invitation_id=invitation.public_id,
            choice=True,
        )
        outcome = service.receive(inbound)
        return outcome.outcome, [r.kind.value for r in outcome.replies]

    assert tap("11", "1") == ("bad_choice", [])  # a forged button: not on the 0-10 scale
    assert tap("3", "2")[1] == ["follow_up"]  # a detractor: asked why
    assert tap("9", "3") == ("stale_choice", [])  # an old button, while we wait for the comment
    assert [r.value for r in rows(container, Response)] == [3]
    assert rows(container, Comment) == []
    assert rows(container, Invitation)[0].status == "follow_up"


def test_a_tapped_choice_naming_someone_elses_survey_touches_nothing_of_ours(
    container: Container,
) -> None:
    """A forwarded button names another person's survey: our own open survey is left alone."""
    theirs = open_invitation(container, address="+31611111111")
    open_invitation(container)  # ours, open
    inbound = Inbound(
        Channel.SMS,
        PHONE,
        "9",
        provider="telegram",
        event_key="fwd-1",
        invitation_id=theirs.public_id,
        choice=True,
    )

    outcome = container.service.receive(inbound)

    assert (outcome.outcome, [r.kind.value for r in outcome.replies]) == (
        "foreign_choice",
        ["closed"],
    )
    assert rows(container, Response) == []
    assert rows(container, LateAnswerRecord) == []
    assert {i.status for i in rows(container, Invitation)} == {"open"}


def test_an_inbound_transaction_that_fails_half_way_leaves_nothing_behind(
    container: Container,
) -> None:
    """The hot path's transaction (plain SQL on the driver) rolls back as a whole."""
    store = container.service.store

    def event(key: str) -> dict[str, object]:
        return {
            "provider": "test",
            "event_key": key,
            "invitation_id": None,
            "outcome": "answer",
            "detail": None,
            "reply": [],
            "received_at": container.service.clock(),
        }

    def fails_half_way() -> None:
        with store.answers() as tx:
            tx.record_event(event("1"))
            raise RuntimeError("half way")

    with pytest.raises(RuntimeError, match="half way"):
        fails_half_way()
    assert rows(container, InboundEvent) == []

    with store.answers() as tx:  # the pooled connection is clean for the next one
        tx.record_event(event("2"))
    assert [e.event_key for e in rows(container, InboundEvent)] == ["2"]
