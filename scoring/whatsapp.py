"""WhatsApp's rules in storage: the 24-hour window, consent, Content SIDs and how questions went.

WhatsApp accepts a business's free-form or interactive message only within 24 hours of the
customer's last message to that sender; outside it only an approved template, and only to a
customer who agreed to hear from the business. Everything needed to decide which applies is
stored here, keyed by the person's pseudonym (never the number) and our sender.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from scoring.tables import (
    Contact,
    Invitation,
    InvitationStatus,
    JobStatus,
    OutboundMessage,
    SendJob,
    WhatsAppContent,
    WhatsAppPace,
    WhatsAppSend,
    WhatsAppWindow,
)

WINDOW = timedelta(hours=24)
# Templates Twilio or WhatsApp are still deciding on, or have stopped: none of them can be sent.
APPROVED = "approved"
Pseudonymise = Callable[[str, str], str]


@dataclass(frozen=True, slots=True)
class Content:
    purpose: str
    content_sid: str
    approval_status: str
    rejection_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SendContext:
    """What decides how one invitation's WhatsApp question may go out."""

    invitation_id: int
    last_customer_message_at: datetime | None
    opted_in: bool
    contents: dict[str, Content] = field(default_factory=dict)

    def window_open(self, now: datetime) -> bool:
        last = self.last_customer_message_at
        return last is not None and now - last < WINDOW


def record_inbound(
    engine: Engine, pseudonymise: Pseudonymise, address: str, sender: str, now: datetime
) -> None:
    """The customer wrote to our sender: the window is open for 24 hours from now."""
    pseudonym = pseudonymise("whatsapp", address)
    with Session(engine) as session:
        row = session.get(WhatsAppWindow, (pseudonym, sender))
        if row is None:
            session.add(WhatsAppWindow(pseudonym=pseudonym, sender=sender, last_inbound_at=now))
        elif row.last_inbound_at < now:
            row.last_inbound_at = now
        session.commit()


def close_window(engine: Engine, pseudonymise: Pseudonymise, address: str, sender: str) -> None:
    """WhatsApp said the window is closed (63016): whatever we saw, it is not open now."""
    pseudonym = pseudonymise("whatsapp", address)
    with Session(engine) as session:
        row = session.get(WhatsAppWindow, (pseudonym, sender))
        if row is not None:
            row.last_inbound_at = row.last_inbound_at - WINDOW
            session.commit()


def send_context(
    engine: Engine, pseudonymise: Pseudonymise, public_id: str, sender: str
) -> SendContext | None:
    """The window, consent and content for one invitation's question; None if it is gone.

    An invitation that says the customer opted in records that consent for this sender, so
    later invitations to the same person need not say it again.
    """
    with Session(engine, expire_on_commit=False) as session:
        invitation = session.exec(
            select(Invitation).where(Invitation.public_id == public_id)
        ).first()
        if invitation is None or invitation.id is None:
            return None
        contact = session.get(Contact, invitation.contact_id)
        if contact is None or not contact.address:
            return None
        pseudonym = pseudonymise("whatsapp", contact.address)
        window = session.get(WhatsAppWindow, (pseudonym, sender))
        if invitation.whatsapp_opt_in and (window is None or window.opted_in_at is None):
            now = invitation.created_at
            if window is None:
                # No message seen yet: an old inbound time keeps the window shut.
                window = WhatsAppWindow(
                    pseudonym=pseudonym, sender=sender, last_inbound_at=now - 2 * WINDOW
                )
                session.add(window)
            window.opted_in_at = now
            session.commit()
        seen = [t for t in (invitation.last_customer_message_at,) if t is not None]
        if window is not None:
            seen.append(window.last_inbound_at)
        contents = {
            c.purpose: Content(c.purpose, c.content_sid, c.approval_status, c.rejection_reason)
            for c in session.exec(
                select(WhatsAppContent).where(
                    WhatsAppContent.flow_id == invitation.flow_id,
                    WhatsAppContent.locale == invitation.locale,
                )
            ).all()
        }
        return SendContext(
            invitation.id,
            max(seen) if seen else None,
            invitation.whatsapp_opt_in or (window is not None and window.opted_in_at is not None),
            contents,
        )


def record_send(
    engine: Engine, provider_message_id: str, invitation_id: int, mode: str, now: datetime
) -> None:
    with Session(engine) as session:
        session.merge(
            WhatsAppSend(
                provider_message_id=provider_message_id,
                invitation_id=invitation_id,
                mode=mode,
                created_at=now,
            )
        )
        session.commit()


@dataclass(frozen=True, slots=True)
class SentQuestion:
    """A WhatsApp question as sent, found by its message SID (for a late 63016)."""

    invitation_id: int
    public_id: str
    flow_id: str
    locale: str
    status: str
    mode: str
    address: str
    is_current: bool  # still the invitation's question (not replaced by a template since)
    templates_sent: int


def sent_question(engine: Engine, provider_message_id: str) -> SentQuestion | None:
    with Session(engine) as session:
        send = session.get(WhatsAppSend, provider_message_id)
        if send is None:
            return None
        invitation = session.get(Invitation, send.invitation_id)
        contact = session.get(Contact, invitation.contact_id) if invitation else None
        if invitation is None or contact is None or not contact.address:
            return None
        templates = session.exec(
            select(WhatsAppSend).where(
                WhatsAppSend.invitation_id == send.invitation_id, WhatsAppSend.mode == "template"
            )
        ).all()
        return SentQuestion(
            send.invitation_id,
            invitation.public_id,
            invitation.flow_id,
            invitation.locale,
            invitation.status,
            send.mode,
            contact.address,
            invitation.provider_message_id == provider_message_id,
            len(templates),
        )


def replace_question(
    engine: Engine, invitation_id: int, provider_message_id: str, status: str, now: datetime
) -> None:
    """The question went out again as the template: status callbacks now follow the new SID."""
    with Session(engine) as session:
        invitation = session.get(Invitation, invitation_id)
        if invitation is None:
            return
        invitation.provider_message_id = provider_message_id
        invitation.delivery_status = status
        session.add(
            OutboundMessage(
                invitation_id=invitation_id,
                contact_id=invitation.contact_id,
                channel=invitation.channel,
                kind="question",
                provider_message_id=provider_message_id,
                status=status,
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()


# -- Content resources -------------------------------------------------------------------------


def contents(engine: Engine) -> list[WhatsAppContent]:
    with Session(engine, expire_on_commit=False) as session:
        query = select(WhatsAppContent).order_by(
            col(WhatsAppContent.flow_id), col(WhatsAppContent.locale), col(WhatsAppContent.purpose)
        )
        return list(session.exec(query).all())


def save_content(
    engine: Engine,
    *,
    flow_id: str,
    locale: str,
    purpose: str,
    content_sid: str,
    approval_status: str,
    now: datetime,
    definition_hash: str | None = None,
    rejection_reason: str | None = None,
    source: str = "sync",
) -> None:
    """Store (or replace) the Content SID and its approval for one flow, locale and purpose."""
    with Session(engine) as session:
        row = session.exec(
            select(WhatsAppContent).where(
                WhatsAppContent.flow_id == flow_id,
                WhatsAppContent.locale == locale,
                WhatsAppContent.purpose == purpose,
            )
        ).first()
        if row is None:
            row = WhatsAppContent(
                flow_id=flow_id,
                locale=locale,
                purpose=purpose,
                content_sid=content_sid,
                updated_at=now,
            )
        row.content_sid = content_sid
        row.approval_status = approval_status
        row.rejection_reason = (rejection_reason or None) and rejection_reason[:255]
        row.definition_hash = definition_hash
        row.source = source
        row.updated_at = now
        session.add(row)
        session.commit()


# -- After a refusal in a status callback ------------------------------------------------------


def move_to_sms(engine: Engine, public_id: str, reason: str, now: datetime) -> bool:
    """The number has no WhatsApp: the invitation becomes an SMS one, pending, to the same number.

    The answer then comes back by SMS and finds it; `status_reason` keeps why it moved. False
    when the invitation or its number is gone.
    """
    with Session(engine) as session:
        invitation = session.exec(
            select(Invitation).where(Invitation.public_id == public_id).with_for_update()
        ).first()
        contact = session.get(Contact, invitation.contact_id) if invitation else None
        if invitation is None or contact is None or not contact.address:
            return False
        sms = session.exec(
            select(Contact).where(Contact.channel == "sms", Contact.address == contact.address)
        ).first()
        if sms is None:
            # One person, one pseudonym on every phone channel: opt-outs and fatigue still hold.
            sms = Contact(
                channel="sms",
                address=contact.address,
                pseudonym=contact.pseudonym,
                timezone=contact.timezone,
                created_at=now,
            )
            session.add(sms)
            session.flush()
        assert sms.id is not None  # noqa: S101
        invitation.channel = "sms"
        invitation.contact_id = sms.id
        invitation.status = InvitationStatus.PENDING
        invitation.provider_message_id = None
        invitation.delivery_status = None
        invitation.status_reason = reason
        session.commit()
        return True


def requeue(
    engine: Engine,
    provider_message_id: str,
    now: datetime,
    retry_at: Callable[[int], datetime | None],
    why: str,
) -> bool:
    """A rate-limited question (63018 / 131056 after the send): back in the queue, pending.

    `retry_at(attempts)` is the queue's backoff, or None when the attempts are used up (then
    nothing changes and the caller lets the failure stand). One transaction: the invitation
    and its job move together, or not at all.
    """
    with Session(engine) as session:
        invitation = session.exec(
            select(Invitation)
            .where(Invitation.provider_message_id == provider_message_id)
            .with_for_update()
        ).first()
        if invitation is None or invitation.status != InvitationStatus.OPEN:
            return False
        job = session.exec(
            select(SendJob).where(SendJob.invitation_id == invitation.id, SendJob.kind == "invite")
        ).first()
        due = retry_at(job.attempts) if job is not None else None
        if job is None or due is None:
            return False
        job.status = JobStatus.QUEUED
        job.due_at = due
        job.locked_until = None
        job.locked_by = None
        job.last_error = why[:255]
        job.updated_at = now
        invitation.status = InvitationStatus.PENDING
        invitation.provider_message_id = None
        invitation.delivery_status = None
        invitation.sent_at = None
        session.commit()
        return True


# -- The pair rate ------------------------------------------------------------------------------


def reserve_slot(engine: Engine, pseudonym: str, sender: str, now: float, gap: float) -> float:
    """The earliest time (epoch s) this person may get our next message; the slot is taken.

    One atomic UPDATE ... RETURNING on the person's row: two workers asking at once get
    slots `gap` apart, whichever process they run in.
    """
    table = WhatsAppPace.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(
            insert(table)
            .values(pseudonym=pseudonym, sender=sender, next_at=now)
            .on_conflict_do_nothing()
        )
        start = sa.case((table.c.next_at > now, table.c.next_at), else_=sa.literal(now))
        slot_end = conn.execute(
            table.update()
            .where(table.c.pseudonym == pseudonym, table.c.sender == sender)
            .values(next_at=start + gap)
            .returning(table.c.next_at)
        ).scalar_one()
    return float(slot_end) - gap
