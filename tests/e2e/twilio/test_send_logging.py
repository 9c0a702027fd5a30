"""What a send writes to the log: one line of ours per worker batch, not the library's chatter."""

from __future__ import annotations

import logging

import pytest

from bots.container import Container
from bots.worker import Worker
from flows.service import NewInvitation
from scoring.channels import Channel
from tests.e2e.twilio.conftest import Twilio
from tests.e2e.twilio.fake_twilio import FakeTwilioServer

SENT, REFUSED, DOWN = "+31612345001", "+31612345002", "+31612345003"


async def test_worker_logs_one_line_per_batch_and_twilio_stays_quiet(
    twilio: Twilio,
    container: Container,
    fake_twilio: FakeTwilioServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One sent, one refused for good, one to retry: one INFO line with the counts, no number."""
    fake_twilio.fake.refuse[REFUSED] = (400, 21211, "The 'To' number is not a valid phone number.")
    fake_twilio.fake.refuse[DOWN] = (503, 20503, "Service unavailable")
    for address in (SENT, REFUSED, DOWN):
        # Stored with its queued send, as the API stores it; the worker sends it.
        container.service.create_invitation(NewInvitation(Channel.SMS, address, flow_id="nps"))
    caplog.set_level(logging.DEBUG)

    await Worker(container).run_once()

    assert len(fake_twilio.fake.of_kind("Messages")) >= 3
    assert [r.name for r in caplog.records if r.name.startswith("twilio")] == []
    batch = [r for r in caplog.records if r.name == "bots.worker"]
    assert [(r.levelname, r.getMessage()) for r in batch] == [
        ("INFO", "send batch: 1 sent, 1 failed, 1 retried, 0 deferred, 0 skipped")
    ]
    for number in (SENT, REFUSED, DOWN):
        assert number.removeprefix("+") not in batch[0].getMessage()
