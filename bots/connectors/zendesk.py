"""The Zendesk connector: a trigger's webhook on "ticket solved", signed by Zendesk.

Zendesk signs `base64(HMAC-SHA256(secret, timestamp + body))` in X-Zendesk-Webhook-Signature,
with the timestamp in X-Zendesk-Webhook-Signature-Timestamp
(https://developer.zendesk.com/documentation/webhooks/verifying/). A trigger's body is the JSON
template the README gives; the ticket id is the contact's interaction id and its home for the
write-back.
"""

from __future__ import annotations

from fastapi import Request

from bots.connectors.core import Event, body_key, forbidden, switched_off
from bots.connectors.payloads import json_object, raw_body
from bots.connectors.signing import zendesk_valid
from bots.settings import Settings
from flows.contact_mapping import FieldMap, Unmappable, lookup, map_event

NAME = "zendesk"
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"
# The trigger's own condition picks solved tickets; these say plainly that it did not (the
# placeholder may render in the account's language, so anything else is taken as solved).
NOT_SOLVED = {"new", "open", "pending", "hold", "on-hold"}


async def read(request: Request, settings: Settings, mapping: FieldMap) -> Event:
    secret = settings.zendesk_webhook_secret
    if secret is None:
        raise switched_off(NAME, "SURVEYBOT_ZENDESK_WEBHOOK_SECRET")
    body = await raw_body(request)
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not zendesk_valid(secret.get_secret_value(), timestamp, body, signature):
        raise forbidden(f"invalid {SIGNATURE_HEADER}")
    payload = json_object(body)
    if payload is None:
        return Event(NAME, body_key(body), Unmappable("the body is not a JSON object"))
    ticket = lookup(payload, "ticket_id") or lookup(payload, "ticket.id")
    ticket_id = str(ticket).strip() if isinstance(ticket, (str, int)) else ""
    # Zendesk keeps the invocation id across its retries of one call.
    once = request.headers.get(INVOCATION_HEADER, "") or body_key(body)
    if not ticket_id.isdigit():
        return Event(NAME, once, Unmappable("no ticket_id in the body (use the README's template)"))
    ticket_status = str(lookup(payload, "status") or lookup(payload, "ticket.status") or "")
    if ticket_status.strip().lower() in NOT_SOLVED:
        reason = f"ticket status is '{ticket_status[:32]}', not solved"
        return Event(NAME, once, Unmappable(reason), ticket_id)
    # One survey per solved ticket: a retry, or the ticket solved again after a reopen, is
    # the same event.
    return Event(NAME, f"ticket:{ticket_id}", map_event(payload, mapping), ticket_id)
