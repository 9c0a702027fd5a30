"""The send queue, fatigue rules, quiet hours, reminders and expiry, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bots.container import Container, build
from bots.settings import Settings
from bots.worker import Worker
from flows.ports import Outbound, Sender, SendError, SendResult
from flows.service import Inbound, NewInvitation
from scoring.channels import Channel
from scoring.tables import Invitation, LateAnswerRecord, OutboundMessage, Response, SendJob
from tests.conftest import make_settings
from tests.fakes import RecordingSender

PHONE = "+31612345678"
# Wednesday 25 November 2026, 10:00 in Amsterdam (09:00 UTC).
MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FlakySender(RecordingSender):
    """Fails with a transient error `failures` times, then delivers."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.calls = 0

    async def send(self, message: Outbound) -> SendResult:
        self.calls += 1
        if self.calls <= self.failures:
            raise SendError("upstream timed out", code="503")
        return await super().send(message)


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


def dispatching(
    database_url: str, clock: Clock, sender: Sender | None = None, **rules: object
) -> Iterator[Container]:
    settings: Settings = make_settings(database_url, **rules)
    container = build(settings, clock=clock, senders={"sms": sender or RecordingSender()})
    yield container
    container.close()


QUEUE_RULES: dict[str, Any] = {
    "send_window": "09:00-21:00",
    "cooldown_days": 30,
    "one_open_survey": True,
}


@pytest.fixture
def queue_with(database_url: str, clock: Clock) -> Iterator[Callable[[Sender], Container]]:
    """Builds a queue_container whose SMS sender is the one given."""
    with contextlib.ExitStack() as stack:

        def make(sender: Sender) -> Container:
            settings = make_settings(database_url, **QUEUE_RULES)
            container = build(settings, clock=clock, senders={"sms": sender})
            stack.callback(container.close)
            return container

        yield make


@pytest.fixture
def queue_container(database_url: str, clock: Clock) -> Iterator[Container]:
    yield from dispatching(database_url, clock, **QUEUE_RULES)


def invite(
    container: Container, interaction: str = "c-1", address: str = PHONE, **kw: object
) -> Invitation:
    return container.service.create_invitation(
        NewInvitation(Channel.SMS, address, flow_id="csat", interaction_id=interaction, **kw)  # type: ignore[arg-type]
    )


def rows(container: Container, model: type) -> list:  # type: ignore[type-arg]
    with Session(container.db.engine) as session:
        return list(session.exec(select(model)).all())


def work(container: Container) -> int:
    return asyncio.run(Worker(container, name="test").run_once())


def sent(container: Container) -> list[Outbound]:
    return container.senders["sms"].sent  # type: ignore[attr-defined,no-any-return]


def test_invitation_and_its_send_job_are_stored_together(queue_container: Container) -> None:
    """Creating an invitation queues exactly one send job for it."""
    invitation = invite(queue_container)
    [job] = rows(queue_container, SendJob)
    assert (job.invitation_id, job.kind, job.status) == (invitation.id, "invite", "queued")
    assert work(queue_container) == 1
    assert [m.invitation_id for m in sent(queue_container)] == [invitation.public_id]
    assert rows(queue_container, SendJob)[0].status == "done"
    assert work(queue_container) == 0


def test_late_evening_send_waits_for_the_morning_in_the_recipients_zone(
    queue_container: Container, clock: Clock
) -> None:
    """At 22:30 in Amsterdam nothing goes out; at 09:00 the next morning it does."""
    clock.now = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)  # 22:30 CET
    invite(queue_container)
    [job] = rows(queue_container, SendJob)
    assert job.due_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert work(queue_container) == 0
    clock.now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert work(queue_container) == 1
    assert len(sent(queue_container)) == 1


def test_quiet_hours_follow_the_phone_numbers_country(
    queue_container: Container, clock: Clock
) -> None:
    """10:00 in Amsterdam is 01:00 in Los Angeles: a US number waits for its own morning."""
    invite(queue_container, address="+14155550100")
    [job] = rows(queue_container, SendJob)
    assert job.due_at == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 09:00 PST


def test_contact_surveyed_within_the_cooldown_is_throttled_and_recorded(
    queue_container: Container, clock: Clock
) -> None:
    """A second contact 10 days later is skipped as throttled, with the reason, not dropped."""
    invite(queue_container, "c-1")
    work(queue_container)
    queue_container.service.receive(Inbound(Channel.SMS, PHONE, "5"))
    clock.advance(days=10)
    second = invite(queue_container, "c-2")
    assert second.status == "throttled"
    assert second.status_reason == "surveyed within the last 30 days"
    assert len(rows(queue_container, SendJob)) == 1
    clock.advance(days=21)
    assert invite(queue_container, "c-3").status == "pending"


def test_cooldown_spans_channels(queue_container: Container) -> None:
    """An SMS survey yesterday also protects the same number on WhatsApp."""
    invite(queue_container, "c-1")
    work(queue_container)
    queue_container.service.receive(Inbound(Channel.SMS, PHONE, "4"))
    whatsapp = queue_container.service.create_invitation(
        NewInvitation(Channel.WHATSAPP, f"whatsapp:{PHONE}", flow_id="nps", interaction_id="w")
    )
    assert whatsapp.status == "throttled"


def test_only_one_open_survey_per_contact(database_url: str, clock: Clock) -> None:
    """While one survey is open, another for the same person is throttled."""
    for container in dispatching(database_url, clock, one_open_survey=True):
        assert invite(container, "a").status == "pending"
        second = invite(container, "b")
        assert (second.status, second.status_reason) == (
            "throttled",
            "another survey is still open for this contact",
        )


def test_sampling_sends_only_the_configured_share(database_url: str, clock: Clock) -> None:
    """With a 20% sample, about a fifth of 200 contacts are invited; the rest are recorded."""
    for container in dispatching(database_url, clock, sample_percent=20):
        statuses = [invite(container, f"i{n}", f"+316{n:08d}").status for n in range(200)]
        assert 20 <= statuses.count("pending") <= 60
        assert statuses.count("pending") + statuses.count("throttled") == 200


def test_send_delay_holds_the_message_after_the_interaction(
    database_url: str, clock: Clock
) -> None:
    """With a 10 minute delay, the survey goes out 10 minutes after the contact."""
    for container in dispatching(database_url, clock, send_delay_minutes=10):
        invite(container)
        assert work(container) == 0
        clock.advance(minutes=10)
        assert work(container) == 1


def test_transient_send_failure_is_retried_with_backoff(
    queue_with: Callable[[Sender], Container], clock: Clock
) -> None:
    """Two timeouts, then success: the customer gets one message and the survey opens."""
    queue_container = queue_with(FlakySender(failures=2))
    invitation = invite(queue_container)
    work(queue_container)
    [job] = rows(queue_container, SendJob)
    assert (job.status, job.attempts, job.last_error) == ("queued", 1, "upstream timed out")
    assert job.due_at == MORNING + timedelta(seconds=30)
    clock.advance(seconds=30)
    work(queue_container)
    clock.advance(seconds=60)
    work(queue_container)
    assert len(sent(queue_container)) == 1
    assert queue_container.service.get_invitation(invitation.public_id).status == "open"


def test_send_that_keeps_failing_is_recorded_as_failed_with_its_reason(
    queue_with: Callable[[Sender], Container], clock: Clock
) -> None:
    """After 3 tries the invitation fails with the provider's reason; nothing is left queued."""
    queue_container = queue_with(FlakySender(failures=99))
    invitation = invite(queue_container)
    for _ in range(3):
        work(queue_container)
        clock.advance(minutes=5)
    stored = queue_container.service.get_invitation(invitation.public_id)
    assert (stored.status, stored.status_reason) == ("failed", "upstream timed out")
    [job] = rows(queue_container, SendJob)
    assert (job.status, job.attempts) == ("failed", 3)


def test_one_reminder_goes_to_an_unanswered_survey(database_url: str, clock: Clock) -> None:
    """After 24 h without an answer the question is sent once more, marked as a reminder."""
    for container in dispatching(database_url, clock, reminder_hours=24):
        invite(container)
        work(container)
        clock.advance(hours=24)
        assert work(container) == 1
        _question, reminder = sent(container)
        assert reminder.reply.text.startswith("Herinnering: Hoe tevreden ben je")
        assert [m.kind for m in rows(container, OutboundMessage)] == ["question", "reminder"]
        clock.advance(hours=24)
        assert work(container) == 0


def test_answered_survey_gets_no_reminder(database_url: str, clock: Clock) -> None:
    """An answer before the reminder is due cancels it."""
    for container in dispatching(database_url, clock, reminder_hours=24):
        invite(container)
        work(container)
        container.service.receive(Inbound(Channel.SMS, PHONE, "4"))
        clock.advance(hours=24)
        work(container)
        assert len(sent(container)) == 1


def test_expired_survey_answer_is_kept_as_late_not_as_a_score(
    queue_container: Container, clock: Clock
) -> None:
    """After the 3-day window the survey expires; a late '5' gets 'closed' and is kept as late."""
    invitation = invite(queue_container)
    work(queue_container)
    clock.advance(days=3, minutes=1)
    worker = Worker(queue_container, name="housekeeper")
    asyncio.run(worker.run_once())
    asyncio.run(worker._housekeeping())
    assert queue_container.service.get_invitation(invitation.public_id).status == "expired"
    outcome = queue_container.service.receive(Inbound(Channel.SMS, PHONE, "5"))
    assert outcome.outcome == "late"
    assert "gesloten" in outcome.replies[0].text
    assert rows(queue_container, Response) == []
    assert [late.raw_text for late in rows(queue_container, LateAnswerRecord)] == ["5"]


def test_opt_out_after_queueing_stops_the_send(queue_container: Container, clock: Clock) -> None:
    """A STOP that arrives before a deferred send cancels it."""
    clock.now = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)
    invitation = invite(queue_container)
    queue_container.service.receive(Inbound(Channel.SMS, PHONE, "STOP"))
    clock.now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    work(queue_container)
    assert sent(queue_container) == []
    assert queue_container.service.get_invitation(invitation.public_id).status == "opted_out"


def test_a_reminder_job_taken_again_after_a_crash_sends_nothing_twice(
    database_url: str, clock: Clock
) -> None:
    """A worker that died after the reminder went out leaves its job; the next one sends nothing."""
    for container in dispatching(database_url, clock, reminder_hours=24):
        invite(container)
        work(container)
        clock.advance(hours=24)
        work(container)
        with Session(container.db.engine) as session:
            job = session.exec(select(SendJob).where(SendJob.kind == "reminder")).one()
            job.status = "queued"  # as if the worker died before marking it done
            session.add(job)
            session.commit()
        assert work(container) == 1
        assert len(sent(container)) == 2


class BrokenSender(RecordingSender):
    """Fails with an error no one planned for."""

    async def send(self, message: Outbound) -> SendResult:  # noqa: ARG002
        raise RuntimeError("bug in a sender")


def test_an_unexpected_send_error_fails_the_invitation_in_the_end(
    queue_with: Callable[[Sender], Container], clock: Clock
) -> None:
    """After the last try the invitation is failed, so it blocks no later survey."""
    queue_container = queue_with(BrokenSender())
    invitation = invite(queue_container)
    for _ in range(3):
        work(queue_container)
        clock.advance(minutes=5)
    stored = queue_container.service.get_invitation(invitation.public_id)
    assert (stored.status, stored.status_reason) == ("failed", "internal error: RuntimeError")


def test_waiting_for_the_morning_uses_up_no_attempt(
    queue_container: Container, clock: Clock
) -> None:
    """A job the worker defers to the send window keeps all its tries."""
    invite(queue_container)
    clock.now = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)  # due now, but 22:30 in Amsterdam
    with Session(queue_container.db.engine) as session:
        job = session.exec(select(SendJob)).one()
        job.due_at = clock.now
        session.add(job)
        session.commit()
    work(queue_container)
    [job] = rows(queue_container, SendJob)
    assert (job.status, job.attempts) == ("queued", 0)
