"""The few Telegram-only database steps: binding a deep link, a button press, a blocked bot.

Synchronous, like the service: run them through `container.db.run(...)`. Each is one
transaction, inside the tables and store methods the core already has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import select

from bots.telegram.actions import ButtonsFor
from bots.telegram.keyboards import already_answered
from flows.buttons import ButtonPress
from flows.models import Flow
from flows.render import Reply, ReplyKind
from flows.service import BAD_CHOICE, STALE_CHOICE, Inbound, Outcome, SurveyService
from scoring.channels import Channel
from scoring.storage import DuplicateEvent, SurveyTransaction
from scoring.tables import Contact, Invitation, InvitationStatus

PROVIDER = "telegram"
TELEGRAM = Channel.TELEGRAM.value


def inbound(
    chat_id: str,
    text: str,
    update_id: int,
    invitation_id: str | None = None,
    *,
    choice: bool = False,
) -> Inbound:
    """A Telegram update as the core sees it; update_id is the idempotency key."""
    return Inbound(
        Channel.TELEGRAM,
        chat_id,
        text,
        provider=PROVIDER,
        event_key=str(update_id),
        invitation_id=invitation_id,
        choice=choice,
        buttons=True,
    )


def plain_start(service: SurveyService, chat_id: str, update_id: int) -> Outcome:
    """`/start` without a token: opts a stopped chat back in, else the help text.

    The opt-out confirmation says "send START", and Telegram's Start button sends `/start`.
    For anyone else it is a new chat saying hello, and an opt-in reply would puzzle them.
    """
    with service.store.core_transaction() as tx:
        stopped = tx.is_opted_out(tx.pseudonymise(TELEGRAM, chat_id))
    return service.receive(inbound(chat_id, "START" if stopped else "/help", update_id))


# -- deep links --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartResult:
    """`bound`: this chat now owns the invitation, send its question; else `replies` say why not."""

    bound: str | None = None
    replies: list[Reply] = field(default_factory=list)
    invitation_id: str | None = None
    flow_id: str | None = None
    duplicate: bool = False


def start_deep_link(
    service: SurveyService, token: str, chat_id: str, update_id: int
) -> StartResult:
    """`/start <token>`: bind the invitation made for a deep link to the chat that opened it.

    The token is single-use: only a pending invitation still on its placeholder contact (no
    address) can be bound, once. The same chat opening the link again gets its question again;
    any other chat is told the link was used, and learns nothing about the invitation.
    """
    now = service.clock()
    try:
        with service.store.transaction() as tx:
            contact = tx.contact(TELEGRAM, chat_id, now)
            invitation = tx.session.exec(
                select(Invitation)
                .where(Invitation.deep_link_token == token, Invitation.channel == TELEGRAM)
                .with_for_update()
            ).first()
            result = _start(service, tx, invitation, contact, now)
            # Last, as the service does: a redelivered /start fails here and undoes the binding.
            tx.record_event(
                {
                    "provider": PROVIDER,
                    "event_key": str(update_id),
                    "invitation_id": invitation.id if invitation is not None else None,
                    "outcome": "deep_link" if result.bound else "deep_link_refused",
                    "detail": None,
                    "reply": [r.as_dict() for r in result.replies],
                    "received_at": now,
                }
            )
            return result
    except DuplicateEvent:
        return StartResult(duplicate=True)


def _start(
    service: SurveyService,
    tx: SurveyTransaction,
    invitation: Invitation | None,
    contact: Contact,
    now: datetime,
) -> StartResult:
    if invitation is None:
        locale = service.default_locale
        return StartResult(replies=[service.render.system(ReplyKind.NO_SURVEY, locale)])
    locale = invitation.locale
    if invitation.contact_id == contact.id:
        if invitation.status != InvitationStatus.OPEN:
            return StartResult(replies=[service.render.closed(locale)])
        flow = service.flow(invitation.flow_id)
        question = service.render.question(flow, Channel.TELEGRAM, locale)
        return StartResult(replies=[question], invitation_id=invitation.public_id, flow_id=flow.id)
    holder = tx.session.get(Contact, invitation.contact_id)
    if holder is not None and holder.address:  # bound to the chat that opened it first
        return StartResult(replies=[service.render.system(ReplyKind.LINK_USED, locale)])
    if invitation.status != InvitationStatus.PENDING:
        return StartResult(replies=[service.render.closed(locale)])
    assert contact.id is not None  # noqa: S101
    invitation.contact_id = contact.id
    tx.session.add(invitation)
    if tx.is_opted_out(contact.pseudonym):
        invitation.status = InvitationStatus.OPTED_OUT
        invitation.status_reason = "contact opted out"
        invitation.closed_at = now
        return StartResult(replies=[service.render.opted_out(locale)])
    return StartResult(bound=invitation.public_id, invitation_id=invitation.public_id)


# -- button presses ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PressResult:
    """What a button press did. `scored`: the press was the answer, show it on the question."""

    outcome: Outcome | None = None
    flow: Flow | None = None
    locale: str = "nl"
    scored: bool = False
    notice: str | None = None  # a polite word on the tapped button; nothing stored


def press_button(
    service: SurveyService, press: ButtonPress, chat_id: str, update_id: int
) -> PressResult:
    """A tap on a score button: the answer, or a polite word when that question is done.

    One transaction in the service. The press names its survey, but only a survey of this chat
    is ever found by it: a button is never trusted to name someone else's. A redelivered tap
    gets what the first one got.
    """
    outcome = service.receive(
        inbound(chat_id, str(press.value), update_id, press.invitation_id, choice=True)
    )
    survey = outcome.survey
    flow = service.flows.get(survey.flow_id) if survey is not None else None
    locale = survey.locale if survey is not None else service.default_locale
    if outcome.outcome == STALE_CHOICE:
        return PressResult(flow=flow, locale=locale, notice=already_answered(locale))
    if outcome.outcome == BAD_CHOICE:
        return PressResult(flow=flow, locale=locale)
    return PressResult(outcome, flow, locale, scored="ScoreRecorded" in outcome.events)


# -- live buttons ----------------------------------------------------------------------------


def record_buttons(service: SurveyService, buttons: ButtonsFor, message_id: int) -> None:
    """A message with a survey's answer buttons went out (a re-prompt): keep its id."""
    now = service.clock()
    with service.store.transaction() as tx:
        invitation = tx.invitation(buttons.invitation_id)
        if invitation is None or invitation.id is None:
            return
        tx.record_outbound(
            invitation_id=invitation.id,
            contact_id=invitation.contact_id,
            channel=TELEGRAM,
            kind=buttons.kind,
            status="sent",
            provider_message_id=str(message_id),
            buttons_live=True,
            now=now,
        )


# -- blocked bots ------------------------------------------------------------------------------


def record_blocked(service: SurveyService, chat_id: str) -> int:
    """403 "bot was blocked by the user" counts as STOP: opt out, close open surveys."""
    now = service.clock()
    with service.store.core_transaction() as tx:
        return tx.opt_out(tx.pseudonymise(TELEGRAM, chat_id), TELEGRAM, now)
