"""Status callbacks: delivery of our messages and progress of our calls.

Twilio posts these out of order and sometimes twice, so a status only moves forward
(queued -> sent -> delivered; a final failure wins) and applying one twice changes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from fastapi import APIRouter, HTTPException, Request, Response, status

from bots.container import Container
from bots.twilio import twiml, whatsapp, whatsapp_inbound, whatsapp_status
from bots.twilio.client import OPT_OUT_CODES
from bots.twilio.security import WEBHOOK_ERRORS, verified_webhook
from flows.ports import SendError
from flows.service import DecideDelivery, DeliveryChange
from scoring.tables import InvitationStatus

log = logging.getLogger(__name__)

STATUS_PATH = "/webhooks/twilio/status"
# Twilio SIDs are a type prefix and 32 hex digits: SM/MM for messages, CA for calls.
_MESSAGE_SID = re.compile(r"(?:SM|MM)[0-9a-fA-F]{32}")
_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")

# How far along each status is; a lower rank never overwrites a higher one.
_RANK = {
    # messages
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
    "undelivered": 9,
    "failed": 9,
    # calls
    "initiated": 2,
    "ringing": 3,
    "in-progress": 4,
    "answered": 4,
    "completed": 9,
    "busy": 9,
    "no-answer": 9,
    "canceled": 9,
}
NOT_DELIVERED = frozenset({"undelivered", "failed"})
WINDOW_CLOSED = frozenset({"63016"})
WHATSAPP_REASONS = {
    "63016": whatsapp.OUTSIDE_WINDOW,
    "63003": whatsapp.NOT_A_USER,
    "63024": whatsapp.NOT_A_USER,
}
NOT_ANSWERED = frozenset({"busy", "no-answer", "canceled", "failed"})

router = APIRouter(tags=["twilio"], responses=WEBHOOK_ERRORS)


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    sid: str
    status: str
    error_code: str | None
    is_call: bool


def _moves_forward(old: str | None, new: str) -> bool:
    return old is None or _RANK.get(new, 0) >= _RANK.get(old, 0)


def decide(update: StatusUpdate) -> DecideDelivery:
    """Twilio's rules for one callback, for SurveyService.record_delivery."""

    def change(
        message_status: str | None, delivery_status: str | None, invitation_status: str | None
    ) -> DeliveryChange:
        new = update.status[:16]
        moved = message_status is not None and _moves_forward(message_status, update.status)
        message = new if moved else None
        if invitation_status is None or not _moves_forward(delivery_status, update.status):
            return DeliveryChange(message_status=message, message_error=update.error_code)
        closing = _close_if_unreachable(invitation_status, update)
        return replace(
            closing, message_status=message, message_error=update.error_code, delivery_status=new
        )

    return change


def _close_if_unreachable(invitation_status: str, update: StatusUpdate) -> DeliveryChange:
    """How a survey nobody can answer any more closes; `opted_out`: the carrier says STOP."""
    waiting = invitation_status == InvitationStatus.OPEN
    if update.is_call:
        if update.status == "completed" and invitation_status == InvitationStatus.FOLLOW_UP:
            # Hung up instead of leaving a comment: the score stands, the survey is done.
            return DeliveryChange(status=InvitationStatus.COMPLETED)
        if update.status == "completed" and waiting:
            return DeliveryChange(
                status=InvitationStatus.UNANSWERED, status_reason="caller hung up before answering"
            )
        if update.status in NOT_ANSWERED and waiting:
            return DeliveryChange(
                status=InvitationStatus.FAILED, status_reason=f"call {update.status}"
            )
        return DeliveryChange()
    if update.status not in NOT_DELIVERED:
        return DeliveryChange()
    code = update.error_code
    if code is not None and code.isdigit() and int(code) in OPT_OUT_CODES:
        return DeliveryChange(opted_out=waiting)  # the service's opt-out also closes the survey
    if waiting:
        # WhatsApp's refusals get the reason codes the funnel groups by.
        reason = WHATSAPP_REASONS.get(code or "") or (
            f"message {update.status} (Twilio error {code or 'none'})"
        )
        return DeliveryChange(status=InvitationStatus.FAILED, status_reason=reason)
    return DeliveryChange()


def _brief(update: StatusUpdate) -> tuple[str, str, str | None]:
    return update.sid, update.status, update.error_code


def status_update(request_params: dict[str, str]) -> StatusUpdate:
    """The status in a callback, or the 400 that says why (every SID copy must agree)."""
    call_sid = request_params.get("CallSid")
    message_sids = {request_params[n] for n in ("MessageSid", "SmsSid") if n in request_params}
    if len(message_sids) > 1:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid and SmsSid disagree")
    if message_sids:
        [sid] = message_sids
        value = request_params.get("MessageStatus") or request_params.get("SmsStatus")
        is_call, pattern = False, _MESSAGE_SID
    elif call_sid:
        value, sid, is_call, pattern = request_params.get("CallStatus"), call_sid, True, _CALL_SID
    else:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid or CallSid is required")
    if not pattern.fullmatch(sid):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the SID is malformed")
    value = (value or "").strip().lower()
    if value not in _RANK:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"unknown status '{value[:20]}'")
    error = (request_params.get("ErrorCode") or "").strip()[:16] or None
    return StatusUpdate(sid, value, error, is_call)


@router.post(STATUS_PATH, response_class=Response)
async def status_callback(request: Request) -> Response:
    """Status callback for our messages and calls: record delivery, close dead surveys."""
    container: Container = request.app.state.container
    hook = await verified_webhook(request, container.settings)
    update = status_update(hook.params)
    db = container.db
    if (
        not update.is_call
        and update.status in NOT_DELIVERED
        and update.error_code in WINDOW_CLOSED
        and await whatsapp_inbound.fall_back_to_template(container, update.sid)
    ):
        log.info(
            "twilio status %s %s (error %s): template sent instead",
            update.sid,
            update.status,
            update.error_code,
        )
    elif (
        not update.is_call
        and update.status in NOT_DELIVERED
        and await whatsapp_status.handle_refusal(container, update.sid, update.error_code)
    ):
        log.info("twilio status %s %s (error %s): handled", *_brief(update))
    effect = await db.run(container.service.record_delivery, update.sid, decide(update))
    if effect.opted_out_invitation is not None:
        # Error 21610: the person sent STOP to our number. The service's opt-out closes every
        # open survey of theirs and blocks every channel, exactly as a failed send would.
        error = SendError(
            "recipient has opted out (Twilio error 21610)",
            code=update.error_code,
            permanent=True,
            opted_out=True,
        )
        await db.run(container.service.mark_failed, effect.opted_out_invitation, error)
    log.info(
        "twilio status %s %s%s%s",
        update.sid,
        update.status,
        f" (error {update.error_code})" if update.error_code else "",
        "" if effect.ours else " (not ours, ignored)",
    )
    return Response(twiml.messages([]), media_type=twiml.MEDIA_TYPE)
