"""The composition root: build() wires everything, and nothing changes the container after it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bots.app import create_app
from bots.container import Container, build
from bots.twilio.senders import MessagingSender
from tests.conftest import make_settings
from tests.e2e.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, SMS_FROM
from tests.fakes import RecordingSender


@pytest.fixture
def twilio_container(tmp_path: Path) -> Iterator[Container]:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'surveybot.db'}",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_sms_from=SMS_FROM,
        twilio_api_base_url="http://127.0.0.1:9",
    )
    built = build(settings)
    yield built
    built.close()


def test_build_wires_the_configured_channels_senders(twilio_container: Container) -> None:
    """With Twilio set up, the SMS sender is there as soon as build() returns."""
    assert isinstance(twilio_container.senders["sms"], MessagingSender)
    assert twilio_container.channel("twilio") is not None
    assert twilio_container.api_worker is not twilio_container.worker


def test_the_app_uses_the_container_as_built(twilio_container: Container) -> None:
    """create_app() routes and starts what build() wired; it adds and replaces nothing."""
    senders = dict(twilio_container.senders)
    plugins = twilio_container.plugins
    create_app(container=twilio_container)
    assert dict(twilio_container.senders) == senders
    assert twilio_container.plugins == plugins


def test_the_container_is_read_only(twilio_container: Container) -> None:
    """Senders and parts cannot be swapped after build(); stand-ins go in through build()."""
    with pytest.raises(TypeError):
        twilio_container.senders["sms"] = RecordingSender()  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        twilio_container.service = twilio_container.service  # type: ignore[misc]


def test_stand_ins_replace_the_configured_senders_and_the_clock(tmp_path: Path) -> None:
    """build(settings, senders=..., clock=...) is the seam for tests and benchmarks."""
    stand_in = RecordingSender()
    moment = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    built = build(
        make_settings(f"sqlite:///{tmp_path / 'surveybot.db'}"),
        senders={"sms": stand_in},
        clock=lambda: moment,
    )
    try:
        assert built.senders["sms"] is stand_in
        assert built.service.clock() == moment
    finally:
        built.close()
