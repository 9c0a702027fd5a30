"""Status callbacks: delivery of our messages and progress of our calls.

Twilio posts these out of order and sometimes twice, so a status only moves forward
(queued -> sent -> delivered; a final failure wins) and applying one twice changes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlmodel import select

from bots.container import Container
from bots.twilio import twiml
from bots.twilio.client import OPT_OUT_CODES
from bots.twilio.security import WEBHOOK_ERRORS, verified_webhook
from flows.ports import SendError
from scoring.db import Database
from scoring.tables import Invitation, InvitationStatus, OutboundMessage

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
NOT_ANSWERED = frozenset({"busy", "no-answer", "canceled", "failed"})

router = APIRouter(tags=["twilio"], responses=WEBHOOK_ERRORS)


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    sid: str
    status: str
    error_code: str | None
    is_call: bool


@dataclass(frozen=True, slots=True)
class StatusEffect:
    ours: bool  # False: a SID we never sent (another app on the same number)
    opted_out_invitation: str | None = None


def _moves_forward(old: str | None, new: str) -> bool:
    return old is None or _RANK.get(new, 0) >= _RANK.get(old, 0)


def apply_status(db: Database, update: StatusUpdate, now: datetime) -> StatusEffect:
    """Record a delivery/call status; close the survey when it can no longer be answered.

    Runs on the database thread, in one transaction of its own.
    """
    with db.session() as session, session.begin():
        message = session.exec(
            select(OutboundMessage).where(OutboundMessage.provider_message_id == update.sid)
        ).first()
        invitation = session.exec(
            select(Invitation).where(Invitation.provider_message_id == update.sid).with_for_update()
        ).first()
        if message is None and invitation is None:
            return StatusEffect(ours=False)
        if message is not None and _moves_forward(message.status, update.status):
            message.status = update.status[:16]
            message.error_code = update.error_code or message.error_code
            message.updated_at = now
            session.add(message)
        if invitation is None or not _moves_forward(invitation.delivery_status, update.status):
            return StatusEffect(ours=True)
        invitation.delivery_status = update.status[:16]
        opted_out = _close_if_unreachable(invitation, update, now)
        session.add(invitation)
        return StatusEffect(True, invitation.public_id if opted_out else None)


def _close_if_unreachable(invitation: Invitation, update: StatusUpdate, now: datetime) -> bool:
    """Close a survey nobody can answer any more; True when the carrier reports an opt-out."""
    waiting = invitation.status == InvitationStatus.OPEN
    if update.is_call:
        if update.status == "completed" and invitation.status == InvitationStatus.FOLLOW_UP:
            # Hung up instead of leaving a comment: the score stands, the survey is done.
            invitation.status, invitation.closed_at = InvitationStatus.COMPLETED, now
        elif update.status == "completed" and waiting:
            invitation.status, invitation.closed_at = InvitationStatus.UNANSWERED, now
            invitation.status_reason = "caller hung up before answering"
        elif update.status in NOT_ANSWERED and waiting:
            invitation.status, invitation.closed_at = InvitationStatus.FAILED, now
            invitation.status_reason = f"call {update.status}"
        return False
    if update.status not in NOT_DELIVERED:
        return False
    code = update.error_code
    if code is not None and code.isdigit() and int(code) in OPT_OUT_CODES:
        return waiting  # the service's opt-out also closes the survey
    if waiting:
        invitation.status, invitation.closed_at = InvitationStatus.FAILED, now
        invitation.status_reason = f"message {update.status} (Twilio error {code or 'none'})"
    return False


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
    effect = await db.run(apply_status, db, update, datetime.now(UTC))
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
