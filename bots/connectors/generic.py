"""The generic connector: any CRM posts the documented JSON, signed like our own webhooks."""

from __future__ import annotations

from fastapi import Request

from bots.connectors.core import Event, body_key, forbidden, switched_off
from bots.connectors.payloads import json_object, raw_body
from bots.connectors.signing import surveybot_valid
from bots.settings import Settings
from flows.contact_mapping import FieldMap, Unmappable, map_event

NAME = "generic"
SIGNATURE_HEADER = "X-Surveybot-Signature"
TIMESTAMP_HEADER = "X-Surveybot-Timestamp"


async def read(request: Request, settings: Settings, mapping: FieldMap) -> Event:
    secret = settings.generic_webhook_secret
    if secret is None:
        raise switched_off(NAME, "SURVEYBOT_GENERIC_WEBHOOK_SECRET")
    body = await raw_body(request)
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not surveybot_valid(secret.get_secret_value(), timestamp, body, signature):
        raise forbidden(
            f"invalid {SIGNATURE_HEADER}: sha256=HMAC-SHA256(secret, '<timestamp>.<body>') "
            f"with {TIMESTAMP_HEADER} within 5 minutes of now"
        )
    payload = json_object(body)
    if payload is None:
        return Event(NAME, body_key(body), Unmappable("the body is not a JSON object"))
    event_id = payload.get("event_id")
    key = str(event_id)[:128] if isinstance(event_id, (str, int)) and event_id else body_key(body)
    return Event(NAME, key, map_event(payload, mapping))
