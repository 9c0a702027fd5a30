"""A pending invitation says why it waits (send window, delay, retry) and when it goes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bots.container import Container
from flows.service import NewInvitation
from flows.waiting import WaitReason
from scoring.channels import Channel
from tests.conftest import VIEWER_TOKEN, LiveServer, viewer_headers
from tests.integration.test_dispatch import Clock, FlakySender, dispatching, invite, work

# Wednesday 25 November 2026, 22:30 in Amsterdam: after the 09:00-21:00 window.
EVENING = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam


@pytest.fixture
def evening(database_url: str) -> Iterator[Container]:
    yield from dispatching(database_url, Clock(EVENING), send_window="09:00-21:00")


def test_an_invitation_after_hours_waits_for_the_send_window_until_morning(
    evening: Container,
) -> None:
    """The API and the dashboard say: the send window, at 09:00 local time the next day."""
    invitation = invite(evening)
    with LiveServer(evening) as server:
        reply = httpx.get(
            f"{server.url}/api/v1/invitations/{invitation.public_id}", headers=viewer_headers()
        ).json()
        listed = httpx.get(
            f"{server.url}/api/v1/invitations?status=pending", headers=viewer_headers()
        ).json()
        with httpx.Client(base_url=server.url) as client:
            client.post("/admin/login", data={"token": VIEWER_TOKEN, "next": "/admin"})
            dutch = client.get("/admin/invitations?status=pending&lang=nl").text
            english = client.get("/admin/invitations?status=pending&lang=en").text
    assert reply["status"] == "pending"
    assert reply["waiting"]["reason"] == "send_window"
    assert datetime.fromisoformat(reply["waiting"]["until"]) == NEXT_MORNING
    assert [i["id"] for i in listed] == [invitation.public_id]
    assert listed[0]["waiting"]["reason"] == "send_window"
    assert "het verzendvenster" in dutch
    assert "26-11-2026 09:00" in dutch  # local time, day-month-year
    assert "the send window to open" in english
    assert "2026-11-26 09:00" in english


def test_a_send_delay_is_the_reason_until_it_has_passed(database_url: str) -> None:
    """With a 10-minute delay the invitation waits for the delay, due 10 minutes on."""
    clock = Clock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    for container in dispatching(database_url, clock, send_delay_minutes=10):
        invitation = invite(container)
        [wait] = container.service.waiting([invitation]).values()
        assert (wait.reason, wait.until) == (
            WaitReason.SEND_DELAY,
            clock.now + timedelta(minutes=10),
        )
        clock.advance(minutes=11)
        [wait] = container.service.waiting([invitation]).values()
        assert wait.reason is WaitReason.DUE


def test_a_failed_send_waits_for_its_retry_with_the_error_and_attempt(database_url: str) -> None:
    """After one transient failure: retry, attempt 1, the provider's error, 30 s later."""
    clock = Clock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    for container in dispatching(database_url, clock, FlakySender(failures=1)):
        invitation = invite(container)
        assert work(container) == 1
        [wait] = container.service.waiting([invitation]).values()
        assert (wait.reason, wait.attempts) == (WaitReason.RETRY, 1)
        assert "upstream timed out" in (wait.detail or "")
        assert wait.until == clock.now + timedelta(seconds=30)


def test_a_telegram_deep_link_waits_for_the_customer(container: Container) -> None:
    """No chat id yet: nothing is queued, it starts when the customer opens the link."""
    invitation = container.service.create_invitation(
        NewInvitation(Channel.TELEGRAM, "", flow_id="nps")
    )
    [wait] = container.service.waiting([invitation]).values()
    assert (wait.reason, wait.until) == (WaitReason.DEEP_LINK, None)
