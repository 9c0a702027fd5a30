"""The survey service's rules against the in-memory store: no database, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots.twilio.status import StatusUpdate, decide
from flows.loader import load_bundled_flows
from flows.ports import SendResult
from flows.render import Renderer
from flows.service import Inbound, NewInvitation, SurveyService
from scoring.channels import Channel
from scoring.tables import Invitation, InvitationStatus
from tests.fake_store import FakeSurveyStore

PHONE = "+31612345678"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def store() -> FakeSurveyStore:
    return FakeSurveyStore()


@pytest.fixture
def service(store: FakeSurveyStore) -> SurveyService:
    return SurveyService(store, load_bundled_flows(), Renderer("Acme"), lambda: NOW)


def sent(service: SurveyService, flow_id: str = "nps", **kwargs: object) -> Invitation:
    """An invitation whose question went out by SMS."""
    values: dict[str, object] = {"channel": Channel.SMS, "address": PHONE, "flow_id": flow_id}
    new = NewInvitation(**(values | kwargs))  # type: ignore[arg-type]
    invitation = service.create_invitation(new)
    return service.mark_sent(invitation.public_id, SendResult("SM1", "queued"))


def sms(service: SurveyService, text: str, key: str | None = None) -> list[str]:
    provider = "twilio" if key else None
    result = service.receive(Inbound(Channel.SMS, PHONE, text, provider, key))
    return [reply.kind.value for reply in result.replies]


def status(service: SurveyService, invitation: Invitation) -> str:
    return service.get_invitation(invitation.public_id).status


def test_first_valid_answer_wins(service: SurveyService, store: FakeSurveyStore) -> None:
    """After the thanks, another number is told the survey closed and the first score stays."""
    invitation = sent(service)
    assert sms(service, "10") == ["thanks"]
    assert sms(service, "2") == ["closed"]
    assert [r["value"] for r in store.tables.responses.values()] == [10]
    assert [text for _, text in store.tables.late_answers] == ["2"]
    assert status(service, invitation) == InvitationStatus.COMPLETED


def test_unreadable_answers_are_reprompted_then_given_up(
    service: SurveyService, store: FakeSurveyStore
) -> None:
    """Two re-asks, then a polite close: the survey is unanswered and no score is stored."""
    invitation = sent(service)
    assert [sms(service, t)[0] for t in ("?", "7 of 8", "geen idee")] == [
        "reprompt",
        "reprompt",
        "give_up",
    ]
    assert status(service, invitation) == InvitationStatus.UNANSWERED
    assert store.tables.responses == {}


def test_stop_closes_every_open_survey_of_the_person_and_blocks_new_ones(
    service: SurveyService, store: FakeSurveyStore
) -> None:
    """STOP by SMS ends the WhatsApp survey of the same number too; a new invitation is refused."""
    whatsapp = sent(service, channel=Channel.WHATSAPP, address=f"whatsapp:{PHONE}")
    sent(service, interaction_id="sms")
    assert sms(service, "STOP") == ["opted_out"]
    assert status(service, whatsapp) == InvitationStatus.OPTED_OUT
    assert len(store.tables.opt_outs) == 1
    later = service.create_invitation(NewInvitation(Channel.SMS, PHONE, "nps", interaction_id="x"))
    assert later.status == InvitationStatus.OPTED_OUT
    assert (later.id, "invite") not in store.tables.jobs


def test_start_takes_the_person_off_the_opt_out_list(
    service: SurveyService, store: FakeSurveyStore
) -> None:
    """START after STOP answers 'opted in' and new invitations go out again."""
    sent(service)
    sms(service, "stop")
    assert sms(service, "START") == ["opted_in"]
    assert store.tables.opt_outs == {}
    assert sent(service, interaction_id="again").status == InvitationStatus.OPEN


def test_duplicate_provider_event_is_stored_once_and_replays_the_reply(
    service: SurveyService, store: FakeSurveyStore
) -> None:
    """A retried webhook with the same key changes nothing and gets the first reply again."""
    sent(service)
    first = service.receive(Inbound(Channel.SMS, PHONE, "3", "twilio", "SM9"))
    again = service.receive(Inbound(Channel.SMS, PHONE, "3", "twilio", "SM9"))
    assert (first.duplicate, again.duplicate) == (False, True)
    assert [r.text for r in again.replies] == [r.text for r in first.replies]
    assert [r["value"] for r in store.tables.responses.values()] == [3]
    assert store.tables.comments == {}
    assert len(store.tables.events) == 1


def test_a_detractor_score_opens_one_alert_case_and_its_comment_notes_it(
    service: SurveyService, store: FakeSurveyStore
) -> None:
    """An NPS detractor (0-6 alerts) opens a case; a promoter's 9 opens none."""
    invitation = sent(service)
    sms(service, "4")
    sms(service, "Te lang gewacht")
    sent(service, interaction_id="promoter", address="+31687654321")
    service.receive(Inbound(Channel.SMS, "+31687654321", "9"))
    assert store.tables.cases == store.tables.case_notes == [invitation.id]


def test_an_undelivered_question_closes_the_survey_and_a_late_sent_changes_nothing(
    service: SurveyService, store: FakeSurveyStore
) -> None:
    """Twilio's 'undelivered' fails the open survey; a 'sent' arriving after it is ignored."""
    invitation = sent(service)
    for status_name in ("undelivered", "sent"):
        update = StatusUpdate("SM1", status_name, "30003", is_call=False)
        assert service.record_delivery("SM1", decide(update)).ours
    assert status(service, invitation) == InvitationStatus.FAILED
    [message] = store.tables.outbound
    assert (message.status, message.error_code) == ("undelivered", "30003")
    assert not service.record_delivery("SM2", decide(update)).ours
