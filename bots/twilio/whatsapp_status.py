"""WhatsApp refusals that arrive in a status callback, after Twilio accepted the send.

63018 / 131056 (rate limits) pass: the question goes back in the send queue with its backoff,
pending again, and is sent anew; only when the attempts are used up does the failure stand.
63003 / 63024 (the number has no WhatsApp): for a flow with `sms_fallback`, the question goes
by SMS to the same number instead (the invitation says so in `status_reason`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from bots.container import Container
from bots.dispatch import deliver
from bots.twilio.whatsapp import NOT_A_USER_CODES, RATE_LIMIT_CODES, SENT_BY_SMS, WhatsAppSender
from scoring import whatsapp as store
from scoring.channels import Channel
from scoring.tables import InvitationStatus

log = logging.getLogger(__name__)


def _code(error_code: str | None) -> int | None:
    return int(error_code) if error_code is not None and error_code.isdigit() else None


async def handle_refusal(container: Container, message_sid: str, error_code: str | None) -> bool:
    """True when this failed callback was taken care of here (retried or sent by SMS)."""
    code = _code(error_code)
    if code in RATE_LIMIT_CODES:
        return await _retry_later(container, message_sid, code)
    if code in NOT_A_USER_CODES:
        return await _by_sms(container, message_sid)
    return False


async def _retry_later(container: Container, message_sid: str, code: int) -> bool:
    service, db = container.service, container.db
    question = await db.run(store.sent_question, db.engine, message_sid)
    flow = service.flows.get(question.flow_id) if question is not None else None
    if question is None or flow is None or not question.is_current:
        return False  # the failure stands, as Twilio reported it
    policy = service.policy.for_flow(flow)
    now = service.clock()

    def retry_at(attempts: int) -> datetime | None:
        return policy.retry_time(now, attempts) if attempts < policy.attempts else None

    requeued = await db.run(
        store.requeue,
        db.engine,
        message_sid,
        now,
        retry_at,
        f"rate limited (Twilio error {code})",
    )
    if requeued:
        log.info("invitation %s rate limited (%s): back in the queue", question.public_id, code)
    return requeued


async def _by_sms(container: Container, message_sid: str) -> bool:
    db = container.db
    question = await db.run(store.sent_question, db.engine, message_sid)
    sender = container.senders.get(Channel.WHATSAPP)
    if (
        question is None
        or not question.is_current
        or question.status != InvitationStatus.OPEN
        or not isinstance(sender, WhatsAppSender)
        or not sender.wants_sms(question.flow_id)
    ):
        return False
    moved = await db.run(
        store.move_to_sms,
        db.engine,
        question.public_id,
        SENT_BY_SMS,
        container.service.clock(),
    )
    if not moved:
        return False
    invitation = await deliver(container, question.public_id)
    log.info(
        "invitation %s has no WhatsApp: by SMS instead (%s)", question.public_id, invitation.status
    )
    return True
