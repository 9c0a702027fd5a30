"""WhatsApp messages in: the 24-hour window they open, and taps on our buttons and lists.

Twilio posts a tapped quick-reply button with `ButtonPayload` (its id) and `ButtonText`, a
picked list row with `ListId` (its id) and `ListTitle`; `Body` carries the visible text. The
ids are `flows.buttons` payloads, checked like Telegram's callback data: versioned, bound to
one invitation, and only ever answering a survey of the person who tapped. Anything else with a
payload (forged, another app's, an old version) stores nothing.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bots.container import Container
from bots.twilio.security import Webhook
from flows.buttons import decode, decode_band
from flows.ports import Outbound, SendError
from flows.render import Reply, ReplyKind
from flows.service import Inbound, InboundResult
from scoring import whatsapp as store
from scoring.channels import Channel
from scoring.storage import Pseudonymiser

log = logging.getLogger(__name__)

WHATSAPP_PREFIX = "whatsapp:"
TAP_FIELDS = ("ButtonPayload", "ListId")
_WHICH = {
    "nl": "Welk cijfer precies, van {low} tot {high}? Typ het cijfer.",
    "en": "Which score exactly, from {low} to {high}? Please type the number.",
}


def tap_payload(hook: Webhook) -> str | None:
    """The id behind a tapped button or list row, if this message is a tap."""
    for name in TAP_FIELDS:
        value = hook.params.text(name, 256)
        if value:
            return value
    return None


async def record_window(container: Container, hook: Webhook, inbound: Inbound) -> None:
    """Every WhatsApp message from a customer opens the 24-hour window on that sender."""
    sender = (hook.params.text("To", 80) or "").removeprefix(WHATSAPP_PREFIX)
    if not sender:
        return
    pseudonymise = Pseudonymiser(container.settings.secret())
    await container.db.run(
        store.record_inbound,
        container.db.engine,
        pseudonymise,
        inbound.address,
        sender,
        container.service.clock(),
    )


async def receive_tap(container: Container, inbound: Inbound, payload: str) -> InboundResult:
    """A tapped button or row: the score, the second step of a two-step question, or nothing."""
    service, db = container.service, container.db
    press = decode(payload)
    if press is not None:
        tapped = replace(
            inbound, text=str(press.value), invitation_id=press.invitation_id, choice=True
        )
        return await db.run(service.receive, tapped)
    band = decode_band(payload)
    if band is None:
        log.info("whatsapp tap with a payload we did not make: ignored, nothing stored")
        return InboundResult([], None, "bad_payload")
    first = replace(inbound, invitation_id=band.invitation_id, choice=True)
    result = await db.run(service.first_step, first)
    if result.outcome != "band" or result.duplicate or result.survey is None:
        return result
    survey = result.survey
    sender = container.senders.get(Channel.WHATSAPP)
    send_band = getattr(sender, "send_band", None)
    sent = send_band is not None and await send_band(
        inbound.address,
        survey.public_id,
        survey.flow_id,
        survey.locale,
        low=band.low,
        high=band.high,
    )
    if sent:
        return result
    # The second step's content is not synced: ask for the number in words instead.
    text = _WHICH.get(survey.locale, _WHICH["en"]).format(low=band.low, high=band.high)
    return replace(result, replies=[Reply(ReplyKind.REPROMPT, text)])


async def fall_back_to_template(container: Container, message_sid: str) -> bool:
    """A question sent in session came back 63016 (the window had closed): send the template.

    Once per invitation; True when this callback was handled here (the template went, or the
    invitation now records why it could not). A template's own 63016 is not retried.
    """
    from bots.twilio.whatsapp import WhatsAppSender  # noqa: PLC0415  (imports the client)

    db = container.db
    question = await db.run(store.sent_question, db.engine, message_sid)
    if (
        question is None
        or not question.is_current
        or question.mode == "template"
        or question.templates_sent
        or question.status != "open"
    ):
        return False
    sender = container.senders.get(Channel.WHATSAPP)
    if not isinstance(sender, WhatsAppSender):
        return False
    await db.run(
        store.close_window,
        db.engine,
        sender.pseudonymise,
        question.address,
        sender.sender,
    )
    outbound = Outbound(
        question.public_id,
        Channel.WHATSAPP,
        question.address,
        question.locale,
        question.flow_id,
        Reply(ReplyKind.QUESTION, ""),
    )
    try:
        result = await sender.send_template(outbound)
    except SendError as exc:
        log.info("63016 for %s and no template to fall back on: %s", question.public_id, exc)
        await db.run(container.service.mark_failed, question.public_id, exc)
        return True
    await db.run(
        store.replace_question,
        db.engine,
        question.invitation_id,
        result.provider_message_id or "",
        result.status,
        container.service.clock(),
    )
    log.info("63016 for %s: sent the approved template instead", question.public_id)
    return True
