"""Every Twilio webhook is signed by Twilio and from our account, or it is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bots.app import create_app
from bots.container import Container, build
from bots.settings import ConfigError
from scoring.tables import InboundEvent, Invitation, Response
from tests.conftest import LiveServer
from tests.e2e.twilio.conftest import (
    ACCOUNT_SID,
    Twilio,
    create_invitation,
    rows,
    sid,
    twilio_settings,
)
from tests.e2e.twilio.fake_twilio import FakeTwilioServer

CUSTOMER = "+31612345678"


def test_bad_signature_is_403_and_nothing_is_stored(twilio: Twilio, container: Container) -> None:
    """A body changed after signing, or no signature at all: 403, no event, no score."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat")
    signed = twilio.message_params("5")
    signature = twilio.validator.compute_signature(
        twilio.signed_url("/webhooks/twilio/messaging"), signed
    )
    tampered = signed | {"Body": "1"}

    forged = twilio.post("/webhooks/twilio/messaging", tampered, signature=signature)
    unsigned = twilio.http.post("/webhooks/twilio/messaging", data=signed)

    assert forged.status_code == 403
    assert forged.json()["detail"] == "invalid X-Twilio-Signature"
    assert unsigned.status_code == 403
    assert rows(container, InboundEvent) == []
    assert rows(container, Response) == []


def test_signature_over_the_wrong_url_is_refused(twilio: Twilio, container: Container) -> None:
    """Signed for another query string (another flow): refused, no invitation made."""
    params = twilio.call_params(sid("CA"))
    signature = twilio.validator.compute_signature(
        twilio.signed_url("/webhooks/twilio/voice?flow=csat"), params
    )
    response = twilio.post("/webhooks/twilio/voice?flow=nps", params, signature=signature)
    assert response.status_code == 403
    assert rows(container, Invitation) == []


def test_wrong_account_sid_is_403_even_when_signed(twilio: Twilio, container: Container) -> None:
    """A correctly signed request from another account is still not ours."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="csat")
    other = "AC" + "f" * 32
    assert other != ACCOUNT_SID
    response = twilio.post(
        "/webhooks/twilio/messaging", twilio.message_params("5") | {"AccountSid": other}
    )
    assert response.status_code == 403
    assert "AccountSid" in response.json()["detail"]
    assert rows(container, Response) == []


@pytest.fixture
def direct_server(
    database_url: str, fake_twilio: FakeTwilioServer
) -> Iterator[tuple[Twilio, Container]]:
    """No SURVEYBOT_PUBLIC_URL: Twilio signs the URL the request arrives on."""
    built = build(twilio_settings(database_url, fake_twilio.url, public_url=None))
    with LiveServer(built) as server:
        sim = Twilio(server, fake_twilio.fake, public_url=None)
        yield sim, built
        sim.close()
    built.close()


def test_without_public_url_the_request_url_is_what_is_signed(
    direct_server: tuple[Twilio, Container],
) -> None:
    """Signed over the loopback URL, the webhook is accepted and Gather actions are relative."""
    twilio, _container = direct_server
    root = twilio.twiml(twilio.post("/webhooks/twilio/voice", twilio.call_params(sid("CA"))))
    [gather] = root.findall("Gather")
    assert gather.attrib["action"].startswith("/webhooks/twilio/voice/gather?")


def test_development_mode_accepts_unsigned_requests_with_a_warning(
    database_url: str, fake_twilio: FakeTwilioServer, caplog: pytest.LogCaptureFixture
) -> None:
    """TWILIO_SKIP_SIGNATURE (dev only) lets unsigned webhooks in and says so loudly."""
    settings = twilio_settings(
        database_url, fake_twilio.url, twilio_auth_token=None, twilio_skip_signature=True
    )
    assert any("NOT authenticated" in note for note in settings.warnings())
    built = build(settings)
    with LiveServer(built) as server:
        sim = Twilio(server, fake_twilio.fake)
        response = sim.http.post("/webhooks/twilio/messaging", data=sim.message_params("hallo"))
        sim.close()
    built.close()
    assert response.status_code == 200
    assert "geen vraag voor je open" in response.text


def test_account_without_auth_token_refuses_to_start(
    database_url: str, fake_twilio: FakeTwilioServer
) -> None:
    """TWILIO_ACCOUNT_SID without TWILIO_AUTH_TOKEN is a configuration error, not open doors."""
    settings = twilio_settings(database_url, fake_twilio.url, twilio_auth_token=None)
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app(container=build(settings))  # build() wires the channels, so it refuses


def test_garbage_signature_header_is_403_not_500(twilio: Twilio, container: Container) -> None:
    """A signature with non-ASCII bytes is simply wrong: 403, nothing stored."""
    response = twilio.http.post(
        "/webhooks/twilio/messaging",
        data=twilio.message_params("5"),
        headers={"X-Twilio-Signature": "é".encode("latin-1")},  # type: ignore[arg-type]
    )
    assert response.status_code == 403
    assert rows(container, InboundEvent) == []
