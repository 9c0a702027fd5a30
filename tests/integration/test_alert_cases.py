"""`Container.cases`, the alert cases port the edges use, against real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bots.container import Container
from bots.dispatch import deliver
from flows.ports import Sender
from flows.service import Inbound, NewInvitation
from scoring.cases import CaseStatus
from scoring.channels import Channel
from tests.fakes import RecordingSender

PHONE = "+15550001111"


@pytest.fixture
def senders() -> dict[str, Sender]:
    return {"sms": RecordingSender()}


def _detractor(container: Container) -> None:
    invitation = container.service.create_invitation(
        NewInvitation(Channel.SMS, PHONE, flow_id="nps", agent="anna", team="blue")
    )
    asyncio.run(deliver(container, invitation.public_id))
    container.service.receive(Inbound(Channel.SMS, PHONE, "3"))


def test_a_case_is_listed_counted_delivered_and_closed_through_the_port(
    container: Container,
) -> None:
    cases = container.cases
    assert (cases.count_open(), cases.list_cases()) == (0, [])
    _detractor(container)
    now = datetime.now(UTC)
    [case] = cases.list_cases()
    assert (case["status"], case["value"], case["agent"], cases.count_open()) == (
        "open",
        3,
        "anna",
        1,
    )
    assert cases.list_cases(limit=1, response_id=case["response_id"]) == [case]
    assert cases.list_cases(CaseStatus.CLOSED) == []

    [alert] = cases.due_alerts("webhook", now, since=now - timedelta(hours=1))
    assert (alert.case_id, alert.value, alert.attempts) == (case["id"], 3, 0)
    cases.record_attempt(alert.event_id, "webhook", now, "HTTP 500")
    assert cases.due_alerts("webhook", now, since=now - timedelta(hours=1)) == []
    later = now + timedelta(minutes=1)
    [retry] = cases.due_alerts("webhook", later, since=now - timedelta(hours=1))
    assert retry.attempts == 1
    cases.record_attempt(alert.event_id, "webhook", later, None)
    assert (
        cases.due_alerts("webhook", later + timedelta(hours=1), since=now - timedelta(hours=1))
        == []
    )
    assert cases.list_cases()[0]["deliveries"] == {"webhook": "sent"}

    changed = cases.set_status(case["id"], CaseStatus.CLOSED, later)
    assert (changed.id, changed.status, changed.closed_at) == (case["id"], "closed", later)
    assert (cases.count_open(), len(cases.list_cases(CaseStatus.CLOSED))) == (0, 1)
    reopened = cases.set_status(case["id"], CaseStatus.OPEN, later)
    assert (reopened.closed_at, cases.count_open()) == (None, 1)
    with pytest.raises(LookupError):
        cases.set_status(case["id"] + 1000, CaseStatus.CLOSED, later)
