"""A channel registered from a test works through the real API, with no core list edited."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import httpx
import pytest

from bots.container import Container
from flows.ports import Sender
from scoring.channels import CHANNELS, E164_PHONE, Channel, ChannelSpec
from tests.conftest import LiveServer, admin_headers
from tests.fakes import RecordingSender

PIGEON = ChannelSpec(Channel("pigeon"), E164_PHONE, messaging=True)
LIVE = ChannelSpec(Channel("hotline"), E164_PHONE)


@pytest.fixture
def test_channels() -> Iterator[None]:
    for spec in (PIGEON, LIVE):
        CHANNELS.register(spec)
    yield
    for spec in (PIGEON, LIVE):
        CHANNELS.unregister(spec.name)


@pytest.fixture
def senders() -> dict[str, Sender]:
    """The container is built with a recording sender on each channel these tests use."""
    return {name: RecordingSender() for name in ("pigeon", "hotline", "sms", "voice", "telegram")}


def post(server: LiveServer, body: Mapping[str, object]) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/invitations", json=body, headers=admin_headers(), timeout=10
    )


@pytest.mark.usefixtures("test_channels")
def test_an_invitation_on_a_registered_channel_goes_out_through_its_sender(
    container: Container, live_server: LiveServer
) -> None:
    """The API takes the new channel, its sender sends, and messaging expiry applies to it."""
    sender = container.senders["pigeon"]
    assert isinstance(sender, RecordingSender)
    response = post(live_server, {"channel": "pigeon", "address": "+31612345678"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["channel"], body["status"], body["deep_link_token"]) == ("pigeon", "open", None)
    assert body["expires_at"] is not None
    [sent] = sender.sent
    assert sent.address == "+31612345678"
    live = post(live_server, {"channel": "hotline", "address": "+31612345679"}).json()
    assert (live["status"], live["expires_at"]) == ("open", None)


def test_a_channel_nobody_registered_is_refused_with_the_known_ones(
    live_server: LiveServer,
) -> None:
    """An unknown or live-only channel gets a 422 naming the channels an invitation can use."""
    for channel in ("pigeon", "console"):
        response = post(live_server, {"channel": channel, "address": "+31612345678"})
        assert response.status_code == 422
        [problem] = response.json()["detail"]
        assert problem["loc"] == ["body", "channel"]
        assert "must be one of sms, whatsapp, voice, telegram" in problem["msg"]


def test_each_channel_checks_its_own_kind_of_address(
    container: Container, live_server: LiveServer
) -> None:
    """A Telegram chat id is digits (or absent: a deep link); a phone channel needs E.164."""
    refused = [
        ({"channel": "telegram", "address": "@someone"}, "a Telegram address is a numeric chat id"),
        ({"channel": "sms", "address": "0612345678"}, "E.164 form"),
        ({"channel": "voice"}, "E.164 form"),
    ]
    for body, message in refused:
        response = post(live_server, body)
        assert response.status_code == 422, body
        assert message in response.text
    for body in ({"channel": "telegram"}, {"channel": "telegram", "address": "-1001234"}):
        assert post(live_server, body).status_code == 201, body
