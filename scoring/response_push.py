"""The outbox of responses to push back to the contact: queued with the response, claimed with a
lease, retried with backoff, and kept as dead letters when a target refuses for good.

Rows are written by the answer transaction (`queue_push` in scoring.raw_sql), one per target,
so a score is never stored without its pushes and never pushed twice to one target. A response
waits while its follow-up question is open (so the comment travels with the score), at most
`hold` after the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import scoring.connector_tables  # noqa: F401  (registers response_push)
from scoring.connector_tables import PushStatus
from scoring.tables import InvitationStatus

_T = SQLModel.metadata.tables
push_t, response_t, invitation_t, comment_t = (
    _T["response_push"],
    _T["response"],
    _T["invitation"],
    _T["comment"],
)
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PushedResponse:
    """One claimed push, with what the payload needs."""

    push_id: int
    target: str
    attempts: int  # including this one
    interrupted: bool  # a previous claim's lease ran out: that worker may have sent it
    response_id: int
    invitation_id: int
    invitation_public_id: str
    flow_id: str
    metric: str
    value: int
    scale_min: int
    scale_max: int
    channel: str
    locale: str
    answered_at: datetime
    interaction_id: str | None
    agent: str | None
    team: str | None
    queue: str | None
    journey_stage: str | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class PushRow:
    """A push as the dashboard lists it."""

    id: int
    response_id: int
    target: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime


def retry_delay(attempts: int) -> timedelta:
    """30 s, doubling, at most an hour."""
    delay: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, LAST_RETRY)


def claim(
    engine: Engine, *, now: datetime, lease: timedelta, hold: timedelta, limit: int
) -> list[PushedResponse]:
    """Take up to `limit` due pushes whose response is complete (or waited `hold`)."""
    due = sa.or_(
        sa.and_(push_t.c.status == PushStatus.QUEUED.value, push_t.c.next_attempt_at <= now),
        sa.and_(push_t.c.status == PushStatus.SENDING.value, push_t.c.locked_until < now),
    )
    complete = sa.or_(
        invitation_t.c.status != InvitationStatus.FOLLOW_UP.value,
        response_t.c.answered_at <= now - hold,
    )
    query = (
        sa.select(
            push_t.c.id,
            push_t.c.target,
            push_t.c.attempts,
            push_t.c.status,
            response_t.c.id.label("response_id"),
            invitation_t.c.id.label("invitation_id"),
            invitation_t.c.public_id,
            response_t.c.flow_id,
            response_t.c.metric,
            response_t.c.value,
            response_t.c.scale_min,
            response_t.c.scale_max,
            response_t.c.channel,
            response_t.c.locale,
            response_t.c.answered_at,
            invitation_t.c.interaction_id,
            response_t.c.agent,
            response_t.c.team,
            response_t.c.queue,
            response_t.c.journey_stage,
            comment_t.c.text.label("comment"),
        )
        .select_from(
            push_t.join(response_t, response_t.c.id == push_t.c.response_id)
            .join(invitation_t, invitation_t.c.id == response_t.c.invitation_id)
            .outerjoin(comment_t, comment_t.c.response_id == response_t.c.id)
        )
        .where(due, complete)
        .order_by(push_t.c.next_attempt_at, push_t.c.id)
        .limit(limit)
        .with_for_update(of=push_t, skip_locked=True)
    )
    with engine.begin() as conn:
        rows = conn.execute(query).all()
        if not rows:
            return []
        conn.execute(
            push_t.update()
            .where(push_t.c.id.in_([r.id for r in rows]))
            .values(
                status=PushStatus.SENDING.value,
                attempts=push_t.c.attempts + 1,
                locked_until=now + lease,
            )
        )
    return [
        PushedResponse(
            push_id=r.id,
            target=r.target,
            attempts=r.attempts + 1,
            interrupted=r.status == PushStatus.SENDING.value,
            response_id=r.response_id,
            invitation_id=r.invitation_id,
            invitation_public_id=r.public_id,
            flow_id=r.flow_id,
            metric=r.metric,
            value=r.value,
            scale_min=r.scale_min,
            scale_max=r.scale_max,
            channel=r.channel,
            locale=r.locale,
            answered_at=r.answered_at,
            interaction_id=r.interaction_id,
            agent=r.agent,
            team=r.team,
            queue=r.queue,
            journey_stage=r.journey_stage,
            comment=r.comment,
        )
        for r in rows
    ]


def _finish(engine: Engine, push_id: int, **values: object) -> None:
    with engine.begin() as conn:
        conn.execute(
            push_t.update()
            .where(push_t.c.id == push_id, push_t.c.status == PushStatus.SENDING.value)
            .values(locked_until=None, **values)
        )


def mark_sent(engine: Engine, push_id: int, now: datetime) -> None:
    _finish(engine, push_id, status=PushStatus.SENT.value, sent_at=now, last_error=None)


def mark_skipped(engine: Engine, push_id: int, why: str) -> None:
    _finish(engine, push_id, status=PushStatus.SKIPPED.value, last_error=why[:255])


def mark_failed(
    engine: Engine, push_id: int, *, attempts: int, max_attempts: int, why: str, now: datetime
) -> str:
    """Back off for another try, or make it a dead letter; returns the new status."""
    if attempts >= max_attempts:
        _finish(engine, push_id, status=PushStatus.DEAD.value, last_error=why[:255])
        return PushStatus.DEAD.value
    _finish(
        engine,
        push_id,
        status=PushStatus.QUEUED.value,
        next_attempt_at=now + retry_delay(attempts),
        last_error=why[:255],
    )
    return PushStatus.QUEUED.value


def listed(engine: Engine, statuses: tuple[str, ...], limit: int = 200) -> list[PushRow]:
    """Pushes in these statuses, newest first (the dashboard's dead letters)."""
    query = (
        sa.select(
            push_t.c.id,
            push_t.c.response_id,
            push_t.c.target,
            push_t.c.status,
            push_t.c.attempts,
            push_t.c.last_error,
            push_t.c.next_attempt_at,
            push_t.c.created_at,
        )
        .where(push_t.c.status.in_(statuses))
        .order_by(push_t.c.created_at.desc(), push_t.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [PushRow(*row) for row in conn.execute(query).all()]


def retry_dead(engine: Engine, push_id: int, now: datetime) -> bool:
    """Queue a dead letter again, with a fresh count of attempts; False if it is not dead."""
    with engine.begin() as conn:
        changed = conn.execute(
            push_t.update()
            .where(push_t.c.id == push_id, push_t.c.status == PushStatus.DEAD.value)
            .values(status=PushStatus.QUEUED.value, attempts=0, next_attempt_at=now)
        ).rowcount
    return bool(changed)
