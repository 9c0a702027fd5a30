"""The outbound send queue: jobs written with their invitation, claimed by any number of workers.

On PostgreSQL a claim is `SELECT ... FOR UPDATE SKIP LOCKED`, so workers on many machines
never take the same job; a claimed job carries a lease, and a job whose worker died is taken
again once the lease runs out. SQLite runs one worker, so the same statements serialise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from scoring.tables import InvitationStatus, JobStatus

_T = SQLModel.metadata.tables
job_t, invitation_t, contact_t = _T["sendjob"], _T["invitation"], _T["contact"]


@dataclass(frozen=True, slots=True)
class QueuedSend:
    """An invitation's send job, as the queue holds it."""

    status: str
    due_at: datetime
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    invitation_id: int
    kind: str
    attempts: int  # including this one
    interrupted: bool  # a previous claim's lease ran out: that worker may have sent it
    public_id: str
    flow_id: str
    channel: str
    address: str | None
    timezone: str | None
    invitation_status: str


def enqueue(
    conn: Connection, invitation_id: int, kind: str, due_at: datetime, now: datetime
) -> None:
    conn.execute(
        job_t.insert().values(
            invitation_id=invitation_id,
            kind=kind,
            status=JobStatus.QUEUED.value,
            attempts=0,
            due_at=due_at,
            created_at=now,
            updated_at=now,
        )
    )


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(job_t.c.status == JobStatus.QUEUED.value, job_t.c.due_at <= now),
        sa.and_(job_t.c.status == JobStatus.SENDING.value, job_t.c.locked_until < now),
    )


def claim(
    engine: Engine,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    job_id: int | None = None,
) -> list[ClaimedJob]:
    """Take up to `limit` due jobs (or just `job_id`) for this worker, in one transaction."""
    query = (
        sa.select(
            job_t.c.id,
            job_t.c.invitation_id,
            job_t.c.kind,
            job_t.c.attempts,
            job_t.c.status,
            invitation_t.c.public_id,
            invitation_t.c.flow_id,
            invitation_t.c.channel,
            contact_t.c.address,
            contact_t.c.timezone,
            invitation_t.c.status.label("invitation_status"),
        )
        .select_from(
            job_t.join(invitation_t, invitation_t.c.id == job_t.c.invitation_id).join(
                contact_t, contact_t.c.id == invitation_t.c.contact_id
            )
        )
        .where(_due(now))
        .order_by(job_t.c.due_at, job_t.c.id)
        .limit(limit)
        .with_for_update(of=job_t, skip_locked=True)
    )
    if job_id is not None:
        query = query.where(job_t.c.id == job_id)
    with engine.begin() as conn:
        rows = conn.execute(query).all()
        if not rows:
            return []
        conn.execute(
            job_t.update()
            .where(job_t.c.id.in_([r.id for r in rows]))
            .values(
                status=JobStatus.SENDING.value,
                attempts=job_t.c.attempts + 1,
                locked_until=now + lease,
                locked_by=worker,
                updated_at=now,
            )
        )
    return [
        ClaimedJob(
            id=r.id,
            invitation_id=r.invitation_id,
            kind=r.kind,
            attempts=r.attempts + 1,
            interrupted=r.status == JobStatus.SENDING.value,
            public_id=r.public_id,
            flow_id=r.flow_id,
            channel=r.channel,
            address=r.address,
            timezone=r.timezone,
            invitation_status=r.invitation_status,
        )
        for r in rows
    ]


def job_for(engine: Engine, invitation_id: int, kind: str = "invite") -> int | None:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(job_t.c.id).where(
                job_t.c.invitation_id == invitation_id, job_t.c.kind == kind
            )
        ).scalar_one_or_none()


def finish(
    engine: Engine, job_id: int, status: JobStatus, now: datetime, error: str | None = None
) -> None:
    with engine.begin() as conn:
        conn.execute(
            job_t.update()
            .where(job_t.c.id == job_id)
            .values(status=status.value, locked_until=None, updated_at=now, last_error=error)
        )


def finish_many(engine: Engine, job_ids: list[int], now: datetime) -> None:
    """Mark a batch of sent jobs done, in one transaction."""
    with engine.begin() as conn:
        conn.execute(
            job_t.update()
            .where(job_t.c.id.in_(job_ids))
            .values(status=JobStatus.DONE.value, locked_until=None, updated_at=now)
        )


def reschedule(
    engine: Engine,
    job_id: int,
    due_at: datetime,
    now: datetime,
    error: str | None = None,
    *,
    refund: bool = False,
) -> None:
    """Put a job back in the queue for later (quiet hours, or a retry after a failure).

    `refund` gives back the attempt the claim counted: waiting for the morning is no failure.
    """
    with engine.begin() as conn:
        conn.execute(
            job_t.update()
            .where(job_t.c.id == job_id)
            .values(
                attempts=job_t.c.attempts - (1 if refund else 0),
                status=JobStatus.QUEUED.value,
                due_at=due_at,
                locked_until=None,
                locked_by=None,
                updated_at=now,
                last_error=error,
            )
        )


def expire_overdue(engine: Engine, now: datetime) -> int:
    """Close surveys past their expiry: unanswered ones expire, answered ones complete."""
    with engine.begin() as conn:
        expired = conn.execute(
            invitation_t.update()
            .where(
                invitation_t.c.status == InvitationStatus.OPEN.value,
                invitation_t.c.expires_at <= now,
            )
            .values(status=InvitationStatus.EXPIRED.value, closed_at=now)
        ).rowcount
        conn.execute(
            invitation_t.update()
            .where(
                invitation_t.c.status == InvitationStatus.FOLLOW_UP.value,
                invitation_t.c.expires_at <= now,
            )
            .values(status=InvitationStatus.COMPLETED.value, closed_at=now)
        )
    return int(expired)


def invite_jobs(conn: Connection, invitation_ids: list[int]) -> dict[int, QueuedSend]:
    """The invite send job of each invitation: status, due time, attempts, last error."""
    if not invitation_ids:
        return {}
    rows = conn.execute(
        sa.select(
            job_t.c.invitation_id,
            job_t.c.status,
            job_t.c.due_at,
            job_t.c.attempts,
            job_t.c.last_error,
        ).where(job_t.c.invitation_id.in_(invitation_ids), job_t.c.kind == "invite")
    ).all()
    return {
        row.invitation_id: QueuedSend(row.status, row.due_at, row.attempts, row.last_error)
        for row in rows
    }
