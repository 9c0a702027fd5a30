"""Erasure and retention: remove a person's personal data, keep their anonymous scores.

What is personal here: a contact's address (phone number or chat id), the free text people
type (comments, late answers, the raw text of a score), the replies we stored per inbound event
and any provider error text that may quote the number. What stays: the score rows with their
flow, scale, channel and agent/team metadata, so reports keep counting them, and the opt-out
list, which holds only the pseudonym and must outlive erasure or we would message them again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import scoring.cases  # noqa: F401  (registers alert_case, whose notes are erased too)
from scoring.channels import CHANNELS, Channel
from scoring.tables import OPEN_STATUSES, InvitationStatus, JobStatus

ERASED = "[erased]"
ERASED_REASON = "contact erased"
CHUNK = 500  # contacts per transaction in the retention job: bounded locks and parameter lists

_T = SQLModel.metadata.tables
contact_t, invitation_t, response_t = _T["contact"], _T["invitation"], _T["response"]
comment_t, late_t, event_t = _T["comment"], _T["lateanswer"], _T["inboundevent"]
job_t, case_t, deferred_t = _T["sendjob"], _T["alert_case"], _T["deferred_call"]

# Phone numbers and chat ids as they show up in text: E.164 with optional single separators
# (also URL-encoded: %2B31%206..., or + for a space in a query string) and bare runs of 7+ digits
# (chat ids, numbers without +). A digit run glued to letters, dots or hyphens on either side is
# left alone: UUIDs (12345678-...), hashes, SIDs, decimals, versions.
_PHONE = re.compile(
    r"(?:\+|%2[bB])\d(?:(?:[ .+-]|%20)?\d){6,14}"
    r"|(?<![\w.-])-?\d{7,}(?![\w.-])"
)


def mask_numbers(text: str) -> str:
    """Replace every phone number or chat id in `text` by stars and its last two digits."""
    return _PHONE.sub(_mask, text)


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "***" + digits[-2:]


@dataclass(frozen=True, slots=True)
class ErasureCounts:
    """How many rows each step changed; zero everywhere means there was nothing (left) to do."""

    contacts: int = 0
    invitations_closed: int = 0
    responses: int = 0  # raw text replaced, the score kept
    comments: int = 0
    late_answers: int = 0
    inbound_events: int = 0
    send_jobs_cancelled: int = 0
    case_notes: int = 0

    def __add__(self, other: ErasureCounts) -> ErasureCounts:
        return ErasureCounts(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())


def infer_channel(address: str) -> Channel:
    """The channel an address belongs to when none is given: a number is a phone, else a chat.

    Every phone channel shares one identity, so the first phone channel (`sms`) stands for SMS,
    WhatsApp and voice alike. A bare digit string is a chat id (the first other channel,
    Telegram); a phone number needs its leading `+`.
    """
    phone = address.startswith(("+", "whatsapp:", "tel:"))
    return CHANNELS.first(phone=phone).name


def erase_address(
    engine: Engine,
    pseudonymise: Callable[[str, str], str],
    address: str,
    now: datetime,
    channel: str | None = None,
) -> ErasureCounts | None:
    """Erase the person behind `address` on every channel; None when no contact is known.

    Matching is by pseudonym, so erasing `whatsapp:+31612345678` also erases the SMS and voice
    contacts of that number. Idempotent: a second call finds the contacts and changes nothing.
    """
    address = address.strip()
    chosen = CHANNELS.channel(channel) if channel else infer_channel(address)
    pseudonym = pseudonymise(chosen, address.removeprefix("tel:"))
    with engine.begin() as conn:
        ids = list(
            conn.execute(
                sa.select(contact_t.c.id).where(contact_t.c.pseudonym == pseudonym)
            ).scalars()
        )
        if not ids:
            return None
        return erase_contacts(conn, ids, now)


def erase_contacts(conn: Connection, contact_ids: Sequence[int], now: datetime) -> ErasureCounts:
    """Remove the personal data of these contacts and everything they wrote, in `conn`'s tx."""
    invitations = sa.select(invitation_t.c.id).where(invitation_t.c.contact_id.in_(contact_ids))
    responses = sa.select(response_t.c.id).where(response_t.c.invitation_id.in_(invitations))
    closed = _close_open_invitations(conn, contact_ids, now)
    _mask_reasons(conn, contact_ids)
    # Calls still waiting to be made to these addresses (a thanks, an edit) go with them.
    addressed = sa.select(contact_t.c.address).where(
        contact_t.c.id.in_(contact_ids), contact_t.c.address.is_not(None)
    )
    conn.execute(deferred_t.delete().where(deferred_t.c.address.in_(addressed)))
    counts = ErasureCounts(
        contacts=conn.execute(
            contact_t.update()
            .where(contact_t.c.id.in_(contact_ids), contact_t.c.address.is_not(None))
            .values(address=None, erased_at=now)
        ).rowcount,
        invitations_closed=closed,
        responses=conn.execute(
            response_t.update()
            .where(response_t.c.invitation_id.in_(invitations), response_t.c.raw_text != ERASED)
            .values(raw_text=ERASED)
        ).rowcount,
        comments=conn.execute(
            comment_t.delete().where(comment_t.c.response_id.in_(responses))
        ).rowcount,
        late_answers=conn.execute(
            late_t.delete().where(late_t.c.invitation_id.in_(invitations))
        ).rowcount,
        inbound_events=_blank_replies(conn, event_t.c.invitation_id.in_(invitations)),
        send_jobs_cancelled=conn.execute(
            job_t.update()
            .where(job_t.c.invitation_id.in_(invitations), job_t.c.status == JobStatus.QUEUED)
            .values(status=JobStatus.CANCELLED, last_error=ERASED_REASON, updated_at=now)
        ).rowcount,
        case_notes=conn.execute(
            case_t.update()
            .where(case_t.c.response_id.in_(responses), case_t.c.note.is_not(None))
            .values(note=None)
        ).rowcount,
    )
    # Provider errors of jobs that already ran may quote the number.
    conn.execute(
        job_t.update()
        .where(
            job_t.c.invitation_id.in_(invitations),
            job_t.c.last_error.is_not(None),
            job_t.c.last_error != ERASED_REASON,
        )
        .values(last_error=ERASED_REASON)
    )
    return counts


def _close_open_invitations(conn: Connection, contact_ids: Sequence[int], now: datetime) -> int:
    # A survey whose contact is gone cannot be answered; left open, a pending Telegram deep link
    # on an address-less contact could even be claimed by another chat.
    return conn.execute(
        invitation_t.update()
        .where(
            invitation_t.c.contact_id.in_(contact_ids),
            invitation_t.c.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .values(status=InvitationStatus.EXPIRED, status_reason=ERASED_REASON, closed_at=now)
    ).rowcount


def _mask_reasons(conn: Connection, contact_ids: Sequence[int]) -> None:
    # Reasons like "contact opted out" are worth keeping; provider errors may quote the number.
    rows = conn.execute(
        sa.select(invitation_t.c.id, invitation_t.c.status_reason).where(
            invitation_t.c.contact_id.in_(contact_ids), invitation_t.c.status_reason.is_not(None)
        )
    ).all()
    for invitation_id, reason in rows:
        masked = mask_numbers(reason)
        if masked != reason:
            conn.execute(
                invitation_t.update()
                .where(invitation_t.c.id == invitation_id)
                .values(status_reason=masked)
            )


def _blank_replies(conn: Connection, condition: sa.ColumnElement[bool]) -> int:
    # JSON has no equality operator on PostgreSQL; its text form is what we wrote, so compare that.
    return conn.execute(
        event_t.update()
        .where(
            condition,
            event_t.c.reply.is_not(None),
            sa.cast(event_t.c.reply, sa.Text) != "[]",
        )
        .values(reply=[])
    ).rowcount


def expired_contact_ids(conn: Connection, cutoff: datetime, limit: int) -> list[int]:
    """Contacts with an address whose newest invitation (or creation) is before `cutoff`."""
    recent = sa.exists().where(
        invitation_t.c.contact_id == contact_t.c.id, invitation_t.c.created_at >= cutoff
    )
    query = (
        sa.select(contact_t.c.id)
        .where(contact_t.c.address.is_not(None), contact_t.c.created_at < cutoff, ~recent)
        .order_by(contact_t.c.id)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def purge_expired_personal_data(engine: Engine, now: datetime, days: int) -> ErasureCounts:
    """The retention job: erase what is older than `days`; safe to run often and concurrently.

    Erases contacts not invited since the cutoff, then the free text older than the cutoff of
    everyone else (comments, late answers, raw score text, stored replies). Contacts are done in
    chunks of CHUNK, each chunk its own transaction, so a large first run does not hold locks
    for long; a chunk that another instance already did simply changes nothing.
    """
    if days < 1:
        raise ValueError("retention must be at least one day")
    cutoff = now - timedelta(days=days)
    total = ErasureCounts()
    while True:
        with engine.begin() as conn:
            ids = expired_contact_ids(conn, cutoff, CHUNK)
            if ids:
                total += erase_contacts(conn, ids, now)
        if len(ids) < CHUNK:
            break
    with engine.begin() as conn:
        total += _purge_old_text(conn, cutoff)
    return total


def _purge_old_text(conn: Connection, cutoff: datetime) -> ErasureCounts:
    return ErasureCounts(
        responses=conn.execute(
            response_t.update()
            .where(response_t.c.answered_at < cutoff, response_t.c.raw_text != ERASED)
            .values(raw_text=ERASED)
        ).rowcount,
        comments=conn.execute(comment_t.delete().where(comment_t.c.created_at < cutoff)).rowcount,
        late_answers=conn.execute(late_t.delete().where(late_t.c.received_at < cutoff)).rowcount,
        inbound_events=_blank_replies(conn, event_t.c.received_at < cutoff),
    )


def format_counts(counts: ErasureCounts, keys: Iterable[str] | None = None) -> str:
    """`contacts=1 comments=2 ...` for logs and the command line."""
    values = counts.as_dict()
    return " ".join(f"{key}={values[key]}" for key in (keys or values))
