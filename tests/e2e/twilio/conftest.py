"""Fixtures for the Twilio channel: a fake Twilio REST API, and a 'Twilio' that posts signed
webhooks to the live server, shaped like the real ones."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import httpx
import pytest
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from bots.container import Container
from bots.settings import Settings
from tests.conftest import LiveServer, admin_headers, make_settings
from tests.e2e.twilio.fake_twilio import FakeTwilio, FakeTwilioServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-twilio-auth-token-0123456789"
PUBLIC_URL = "https://surveys.example.com"
SMS_FROM = "+3197010000001"
WHATSAPP_FROM = "+3197010000002"
VOICE_FROM = "+3197010000003"
CUSTOMER = "+31612345678"
CUSTOMER_EN = "+447700900123"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilioServer]:
    with FakeTwilioServer() as server:
        yield server


def twilio_settings(database_url: str, api_base_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_api_base_url": api_base_url,
        "twilio_content_base_url": api_base_url,
        # WhatsApp's pair rate has its own test; elsewhere it would only make tests wait.
        "twilio_whatsapp_pair_seconds": 0,
        "twilio_sms_from": SMS_FROM,
        "twilio_whatsapp_from": WHATSAPP_FROM,
        "twilio_voice_from": VOICE_FROM,
        # Behind a proxy: Twilio signs the public URL, not the loopback one we listen on.
        "public_url": PUBLIC_URL,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


@pytest.fixture
def settings(database_url: str, fake_twilio: FakeTwilioServer) -> Settings:
    return twilio_settings(database_url, fake_twilio.url)


def sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


class Twilio:
    """Plays Twilio's part: signed webhooks to the live server, and our REST calls received."""

    def __init__(
        self, server: LiveServer, fake: FakeTwilio, public_url: str | None = PUBLIC_URL
    ) -> None:
        self.server = server
        self.fake = fake
        self.public_url = public_url
        self.http = httpx.Client(base_url=server.url, timeout=10)
        self.validator = RequestValidator(AUTH_TOKEN)
        self._n = itertools.count(1)

    def close(self) -> None:
        self.http.close()

    # -- signing and posting ---------------------------------------------------------------

    def signed_url(self, path_and_query: str) -> str:
        return (self.public_url or self.server.url) + path_and_query

    def post(
        self,
        path_and_query: str,
        params: dict[str, str],
        *,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        if signature is None:
            signature = self.validator.compute_signature(self.signed_url(path_and_query), params)
        all_headers = {"X-Twilio-Signature": signature, **(headers or {})}
        return self.http.post(path_and_query, data=params, headers=all_headers)

    def twiml(self, response: httpx.Response) -> ET.Element:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        root = ET.fromstring(response.text)  # noqa: S314  (our own server's reply)
        assert root.tag == "Response"
        return root

    # -- messaging -------------------------------------------------------------------------

    def message_params(
        self, text: str, *, sender: str = CUSTOMER, whatsapp: bool = False, **extra: str
    ) -> dict[str, str]:
        message_sid = sid("SM")
        params = {
            "ToCountry": "NL",
            "ToState": "",
            "SmsMessageSid": message_sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": message_sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": text,
            "FromCountry": "NL",
            "To": SMS_FROM,
            "ToZip": "",
            "NumSegments": "1",
            "ReferralNumMedia": "0",
            "MessageSid": message_sid,
            "AccountSid": ACCOUNT_SID,
            "From": sender,
            "ApiVersion": "2010-04-01",
        }
        if whatsapp:
            for name in ("ToCountry", "ToState", "ToCity", "FromZip", "FromState", "FromCity"):
                del params[name]
            del params["FromCountry"], params["ToZip"]
            params |= {
                "From": f"whatsapp:{sender}",
                "To": f"whatsapp:{WHATSAPP_FROM}",
                "ProfileName": "Sam",
                "WaId": sender.removeprefix("+"),
                "MessageType": "text",
                "ChannelMetadata": '{"type":"whatsapp","data":{"context":{}}}',
            }
            # The customer wrote to our sender: WhatsApp opens the 24-hour window.
            self.fake.inbound(sender, WHATSAPP_FROM)
        params.update(extra)
        return params

    def deliver_statuses(self) -> list[httpx.Response]:
        """Post the status callbacks Twilio owes us (WhatsApp's refusals come this way)."""
        answers = []
        for owed in self.fake.take_statuses():
            params = {
                "AccountSid": ACCOUNT_SID,
                "ApiVersion": "2010-04-01",
                "MessageSid": owed.sid,
                "SmsSid": owed.sid,
                "MessageStatus": owed.status,
                "SmsStatus": owed.status,
                "To": owed.to,
                "From": owed.sender,
                "ChannelPrefix": "whatsapp",
                **({"ErrorCode": owed.error_code} if owed.error_code else {}),
            }
            path = urlsplit(owed.callback).path
            answers.append(self.post(path, params))
        return answers

    def send_sms(self, text: str, **kwargs: Any) -> httpx.Response:
        return self.post("/webhooks/twilio/messaging", self.message_params(text, **kwargs))

    def sms_replies(self, text: str, **kwargs: Any) -> list[str]:
        """What the customer reads back: the text of every <Message>."""
        root = self.twiml(self.send_sms(text, **kwargs))
        return [m.text or "" for m in root.findall("Message")]

    # -- voice -----------------------------------------------------------------------------

    def call_params(
        self, call_sid: str, *, caller: str = CUSTOMER, direction: str = "inbound", **extra: str
    ) -> dict[str, str]:
        customer_is_to = direction.startswith("outbound")
        ours, theirs = VOICE_FROM, caller
        params = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": call_sid,
            "CallStatus": "in-progress",
            "Called": theirs if customer_is_to else ours,
            "Caller": ours if customer_is_to else theirs,
            "Direction": direction,
            "From": ours if customer_is_to else theirs,
            "To": theirs if customer_is_to else ours,
            "CallerCountry": "NL",
            "ToCountry": "NL",
        }
        params.update(extra)
        return params

    def follow(self, url: str, params: dict[str, str]) -> httpx.Response:
        """Post to a URL from our own TwiML, as Twilio would (absolute or relative)."""
        parts = urlsplit(url)
        return self.post(f"{parts.path}?{parts.query}", params)

    def gather_result(
        self,
        gather: ET.Element,
        call_sid: str,
        *,
        digits: str | None = None,
        speech: str | None = None,
        caller: str = CUSTOMER,
        direction: str = "inbound",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        extra: dict[str, str] = {"msg": "Gather End"}
        if digits is not None:
            extra |= {"Digits": digits, "FinishedOnKey": ""}
        if speech is not None:
            extra |= {"SpeechResult": speech, "Confidence": "0.92", "Language": "nl-NL"}
        params = self.call_params(call_sid, caller=caller, direction=direction, **extra)
        parts = urlsplit(gather.attrib["action"])
        path = f"{parts.path}?{parts.query}"
        if headers:
            return self.post(path, params, headers=headers)
        return self.post(path, params)


@pytest.fixture
def twilio(live_server: LiveServer, fake_twilio: FakeTwilioServer) -> Iterator[Twilio]:
    sim = Twilio(live_server, fake_twilio.fake)
    yield sim
    sim.close()


def create_invitation(twilio: Twilio, **body: object) -> dict[str, Any]:
    """The contact centre's side: POST /api/v1/invitations; returns the invitation JSON."""
    response = twilio.http.post("/api/v1/invitations", json=body, headers=admin_headers())
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def rows(container: Container, model: type[Any], **where: object) -> list[Any]:
    with Session(container.db.engine) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(session.exec(query).all())
