"""Fixtures for the connectors: the live app with every connector on, the Twilio fake it sends
the surveys through, and fakes of the platforms' APIs and of a push receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select
from twilio.request_validator import RequestValidator

from bots.container import Container
from bots.settings import Settings
from scoring.connector_tables import ConnectorEvent, ResponsePush
from scoring.tables import Invitation
from tests.e2e.connectors.fake_platforms import (
    CHATWOOT_TOKEN,
    ZENDESK_EMAIL,
    ZENDESK_TOKEN,
    FakeServer,
)
from tests.e2e.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, twilio_settings
from tests.e2e.twilio.fake_twilio import FakeTwilioServer

GENERIC_SECRET = "gen-9fK2mQx7Lp4Zr8Vt1Wc6Nb3Hs"
ZENDESK_SECRET = "dGhpcyBpcyBhIHplbmRlc2sgc2lnbmluZyBzZWNyZXQ="
CHATWOOT_SECRET = "cw-hook-secret-Tz5Jq8Md2Xa7"
PUSH_SECRET = "push-4Rb8Ny2Kq6Wm9Zt3Lc7Vd1Hx"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilioServer]:
    with FakeTwilioServer() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[FakeServer]:
    with FakeServer("receiver") as server:
        yield server


@pytest.fixture
def zendesk_api() -> Iterator[FakeServer]:
    with FakeServer("zendesk") as server:
        yield server


@pytest.fixture
def chatwoot_api() -> Iterator[FakeServer]:
    with FakeServer("chatwoot") as server:
        yield server


def connector_settings(database_url: str, twilio_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "generic_webhook_secret": GENERIC_SECRET,
        "zendesk_webhook_secret": ZENDESK_SECRET,
        "chatwoot_webhook_secret": CHATWOOT_SECRET,
        "flex_connector": True,
    }
    values.update(overrides)
    return twilio_settings(database_url, twilio_url, **values)


@pytest.fixture
def settings(database_url: str, fake_twilio: FakeTwilioServer) -> Settings:
    return connector_settings(database_url, fake_twilio.url)


@pytest.fixture
def http(live_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


# -- signing as each platform does --------------------------------------------------------------


def post_generic(
    http: httpx.Client, payload: dict[str, Any], *, secret: str = GENERIC_SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Surveybot-Timestamp": stamp,
        "X-Surveybot-Signature": f"sha256={mac}",
    }
    return http.post("/webhooks/connectors/generic", content=body, headers=headers)


def post_zendesk(
    http: httpx.Client, payload: dict[str, Any], *, secret: str = ZENDESK_SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    stamp = "2026-12-01T12:30:00Z"
    mac = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Id": "01HZX8M2W3Q4",
        "X-Zendesk-Webhook-Invocation-Id": "8350205573524",
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": base64.b64encode(mac).decode(),
    }
    return http.post("/webhooks/zendesk", content=body, headers=headers)


def post_chatwoot(
    http: httpx.Client, payload: dict[str, Any], *, secret: str = CHATWOOT_SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Chatwoot-Timestamp": stamp,
        "X-Chatwoot-Signature": f"sha256={mac}",
        "X-Chatwoot-Delivery": "d3b07384-d9a0-4c9b-8f3a-1b2c3d4e5f60",
    }
    return http.post("/webhooks/chatwoot", content=body, headers=headers)


def post_taskrouter(
    http: httpx.Client, params: dict[str, str], *, token: str = AUTH_TOKEN
) -> httpx.Response:
    path = "/webhooks/flex/taskrouter"
    signature = RequestValidator(token).compute_signature(PUBLIC_URL + path, params)
    return http.post(path, data=params, headers={"X-Twilio-Signature": signature})


# -- what is stored ------------------------------------------------------------------------------


def invitations(container: Container) -> list[Invitation]:
    with Session(container.db.engine) as session:
        return list(session.exec(select(Invitation).order_by(col(Invitation.id))).all())


def connector_events(container: Container) -> list[ConnectorEvent]:
    with Session(container.db.engine) as session:
        return list(session.exec(select(ConnectorEvent).order_by(col(ConnectorEvent.id))).all())


def pushes(container: Container) -> list[ResponsePush]:
    with Session(container.db.engine) as session:
        return list(session.exec(select(ResponsePush).order_by(col(ResponsePush.id))).all())


__all__ = [
    "ACCOUNT_SID",
    "CHATWOOT_TOKEN",
    "PUSH_SECRET",
    "ZENDESK_EMAIL",
    "ZENDESK_TOKEN",
]
