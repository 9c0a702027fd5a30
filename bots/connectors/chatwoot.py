"""The Chatwoot connector: the `conversation_resolved` webhook (and `conversation_status_changed`
to resolved), signed when the webhook has a secret.

Chatwoot signs `sha256=` + hex HMAC-SHA256(secret, "<timestamp>.<raw body>") in
X-Chatwoot-Signature, with X-Chatwoot-Timestamp and, when it has one, X-Chatwoot-Delivery
(the webhook's `secret` in Chatwoot's API reference). The payload is the conversation
(https://www.chatwoot.com/docs/product/others/webhook-events): `id` is the conversation's
display id, `meta.sender` the contact, `meta.assignee` the agent, `meta.team` the team.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import Request

from bots.connectors.core import Event, body_key, forbidden, switched_off
from bots.connectors.payloads import json_object, raw_body
from bots.connectors.signing import chatwoot_valid
from bots.settings import Settings
from flows.contact_mapping import (
    FieldMap,
    MappedContact,
    Unmappable,
    instant,
    lookup,
    map_event,
)

NAME = "chatwoot"
SIGNATURE_HEADER = "X-Chatwoot-Signature"
TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"
RESOLVED_EVENTS = {"conversation_resolved", "conversation_status_changed"}


async def read(request: Request, settings: Settings, mapping: FieldMap) -> Event:
    secret = settings.chatwoot_webhook_secret
    if secret is None:
        raise switched_off(NAME, "SURVEYBOT_CHATWOOT_WEBHOOK_SECRET")
    body = await raw_body(request)
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not chatwoot_valid(secret.get_secret_value(), timestamp, body, signature):
        raise forbidden(f"invalid {SIGNATURE_HEADER}, or {TIMESTAMP_HEADER} not within 5 minutes")
    payload = json_object(body)
    if payload is None:
        return Event(NAME, body_key(body), Unmappable("the body is not a JSON object"))
    event = str(payload.get("event") or "")
    conversation = payload.get("id")
    account = lookup(payload, "account.id") or lookup(payload, "messages.0.account_id")
    ref = f"{account}/{conversation}" if account is not None and conversation is not None else None
    if event not in RESOLVED_EVENTS or (
        event == "conversation_status_changed" and payload.get("status") != "resolved"
    ):
        reason = f"event '{event[:40]}' is not a resolved conversation"
        return Event(NAME, body_key(body), Unmappable(reason), ref)
    if not isinstance(conversation, (int, str)) or not str(conversation).strip():
        return Event(NAME, body_key(body), Unmappable("no conversation id in the event"))
    # One survey per resolution: Chatwoot's own resolve time tells two resolutions apart.
    key = f"conversation:{ref or conversation}:{payload.get('timestamp') or ''}"
    return Event(NAME, key, _with_last_incoming(map_event(payload, mapping), payload), ref)


# Chatwoot's message_type: 0 (or "incoming") is the contact's own message.
_INCOMING = (0, "incoming")


def _with_last_incoming(
    mapped: MappedContact | Unmappable, payload: dict[str, Any]
) -> MappedContact | Unmappable:
    """The contact's newest message opens WhatsApp's 24-hour window, as surveybot's own would."""
    if isinstance(mapped, Unmappable) or "last_customer_message_at" in mapped.chain:
        return mapped
    messages = payload.get("messages")
    moments = [
        moment
        for message in (messages if isinstance(messages, list) else [])
        if isinstance(message, dict) and message.get("message_type") in _INCOMING
        if (moment := instant(message.get("created_at"))) is not None
    ]
    if not moments:
        return mapped
    chain = {**mapped.chain, "last_customer_message_at": max(moments).isoformat()}
    return replace(mapped, chain=chain)
