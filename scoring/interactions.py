"""What is stored about one interaction: its invitations, their send jobs, messages and answer.

Read-only, for "why wasn't this customer surveyed?" (`flows.why` turns it into the rules that
applied). It carries no address or pseudonym: the lookup is by the contact centre's own id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from scoring.tables import Invitation, OutboundMessage, Response, SendJob


@dataclass(frozen=True, slots=True)
class SentMessage:
    kind: str
    status: str
    error_code: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Job:
    kind: str
    status: str
    due_at: datetime
    attempts: int
    last_error: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    """One invitation of the interaction, with everything that happened to it."""

    invitation: Invitation
    jobs: list[Job] = field(default_factory=list)
    messages: list[SentMessage] = field(default_factory=list)
    answered_at: datetime | None = None
    value: int | None = None


def interaction_records(engine: Engine, interaction_id: str) -> list[InvitationRecord]:
    """Every invitation made for this interaction id (one per flow and contact), oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        invitations = session.exec(
            select(Invitation)
            .where(Invitation.interaction_id == interaction_id)
            .order_by(col(Invitation.created_at), col(Invitation.id))
        ).all()
        ids = [i.id for i in invitations if i.id is not None]
        if not ids:
            return []
        jobs = session.exec(
            select(SendJob).where(col(SendJob.invitation_id).in_(ids)).order_by(col(SendJob.id))
        ).all()
        messages = session.exec(
            select(OutboundMessage)
            .where(col(OutboundMessage.invitation_id).in_(ids))
            .order_by(col(OutboundMessage.id))
        ).all()
        responses = session.exec(select(Response).where(col(Response.invitation_id).in_(ids))).all()
        session.expunge_all()
    answers = {r.invitation_id: r for r in responses}
    records = []
    for invitation in invitations:
        answer = answers.get(invitation.id or 0)
        records.append(
            InvitationRecord(
                invitation,
                [
                    Job(j.kind, j.status, j.due_at, j.attempts, j.last_error, j.updated_at)
                    for j in jobs
                    if j.invitation_id == invitation.id
                ],
                [
                    SentMessage(m.kind, m.status, m.error_code, m.created_at, m.updated_at)
                    for m in messages
                    if m.invitation_id == invitation.id
                ],
                answer.answered_at if answer else None,
                answer.value if answer else None,
            )
        )
    return records
