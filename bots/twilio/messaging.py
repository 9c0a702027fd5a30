"""The Messaging webhook: SMS and WhatsApp answers in, TwiML `<Message>` replies out."""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, HTTPException, Request, Response, status

from bots.container import Container
from bots.twilio import twiml, whatsapp_inbound
from bots.twilio.security import WEBHOOK_ERRORS, FormParams, Webhook, verified_webhook
from flows.service import Inbound
from scoring.channels import Channel

log = logging.getLogger(__name__)

MESSAGING_PATH = "/webhooks/twilio/messaging"
WHATSAPP_PREFIX = "whatsapp:"
MAX_BODY_CHARS = 1600  # Twilio's own cap on an inbound message body
# SM... for SMS and WhatsApp, MM... for MMS: the prefix and 32 hex digits.
_MESSAGE_SID = re.compile(r"(?:SM|MM)[0-9a-fA-F]{32}")
SID_NAMES = ("MessageSid", "SmsMessageSid", "SmsSid")

router = APIRouter(tags=["twilio"], responses=WEBHOOK_ERRORS)


def inbound_message(hook: Webhook) -> Inbound:
    """The answer in a messaging webhook, or the 400 that says what is missing."""
    params = hook.params
    sender = params.text("From", 80)
    if not sender:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "From is required")
    channel = Channel.WHATSAPP if sender.startswith(WHATSAPP_PREFIX) else Channel.SMS
    address = sender.removeprefix(WHATSAPP_PREFIX)
    # The SID is the key of a retry. Never the unsigned I-Twilio-Idempotency-Token instead: a
    # captured request can fold its SIDs into a neighbouring value and keep a valid signature
    # (Twilio signs names and values without separators), then replay with fresh tokens.
    key = message_sid(params)
    return Inbound(
        channel, address, params.text("Body", MAX_BODY_CHARS), provider="twilio", event_key=key
    )


def message_sid(params: FormParams) -> str:
    """The message's SID, or the 400 that says why: every copy Twilio sends must agree."""
    given = {params[name] for name in SID_NAMES if name in params}
    if not given:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid is required")
    if len(given) > 1:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid and SmsSid disagree")
    [sid] = given
    if not _MESSAGE_SID.fullmatch(sid):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid is malformed")
    return sid


@router.post(MESSAGING_PATH, response_class=Response)
async def messaging_webhook(request: Request) -> Response:
    """Twilio Messaging webhook (SMS and WhatsApp): store the answer, reply with TwiML."""
    container: Container = request.app.state.container
    hook = await verified_webhook(request, container.settings)
    inbound = inbound_message(hook)
    payload = None
    if inbound.channel == Channel.WHATSAPP:
        await whatsapp_inbound.record_window(container, hook, inbound)
        payload = whatsapp_inbound.tap_payload(hook)
    if payload is not None:
        outcome = await whatsapp_inbound.receive_tap(container, inbound, payload)
    else:
        outcome = await container.db.run(container.service.receive, inbound)
    log.info(
        "twilio %s message %s: %s%s",
        inbound.channel,
        inbound.event_key,
        outcome.outcome,
        " (retry, stored reply replayed)" if outcome.duplicate else "",
    )
    if hook.params.get("OptOutType"):
        # Twilio's Advanced Opt-Out already answered this keyword itself and drops our TwiML;
        # we recorded it above so that every channel honours it.
        return Response(twiml.messages([]), media_type=twiml.MEDIA_TYPE)
    return Response(twiml.messages(r.text for r in outcome.replies), media_type=twiml.MEDIA_TYPE)
