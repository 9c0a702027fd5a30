"""Detractor alerts as cases: a case per alerting response, and an outbox of alert events.

The case and its alert event are written in the survey's own transaction, next to the
response, so an alert can never be lost between "score stored" and "alert queued". Sending
happens later, from a loop that retries each target (webhook, Telegram) until it succeeds;
every attempt's outcome is kept on an `AlertDelivery` row per event and target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Column, Field, Session, SQLModel, col, select

from scoring.db import Database
from scoring.raw_sql import RawSql
from scoring.tables import Comment, Response, UTCDateTime

CASE_TARGET = timedelta(hours=48)  # a team lead should have contacted the customer by then


class CaseStatus(StrEnum):
    OPEN = "open"
    CONTACTED = "contacted"
    CLOSED = "closed"


class AlertKind(StrEnum):
    SCORE = "score"  # the alerting score came in
    COMMENT = "comment"  # the follow-up comment came in afterwards


class DeliveryStatus(StrEnum):
    RETRYING = "retrying"
    SENT = "sent"


class AlertCase(SQLModel, table=True):
    """One alerting response and what the team did about it."""

    __tablename__ = "alert_case"
    __table_args__ = (sa.Index("ix_alert_case_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", unique=True)
    flow_id: str = Field(max_length=40)
    value: int
    agent: str | None = Field(default=None, max_length=128)
    team: str | None = Field(default=None, max_length=128)
    status: str = Field(default=CaseStatus.OPEN, max_length=16)
    note: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class AlertEvent(SQLModel, table=True):
    """The outbox: something to tell the team about a case."""

    __tablename__ = "alert_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="alert_case.id", index=True)
    kind: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class AlertDelivery(SQLModel, table=True):
    """One target's delivery state for one event; absent means 'not tried yet'."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "target", name="uq_alert_delivery_event_target"),
        sa.Index("ix_alert_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="alert_event.id")
    target: str = Field(max_length=16)
    status: str = Field(max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=255)
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


# -- hooks called inside the survey transaction ------------------------------------------------


def in_band(value: int, alert_min: int | None, alert_max: int | None) -> bool:
    """True when the raw value lies in the flow's alert band (an unset bound is open)."""
    if alert_min is None and alert_max is None:
        return False
    low = alert_min if alert_min is not None else value
    high = alert_max if alert_max is not None else value
    return low <= value <= high


def open_case_if_alerting(
    raw: RawSql,
    invitation_id: int,
    value: int,
    *,
    alert_min: int | None,
    alert_max: int | None,
    now: datetime,
) -> int | None:
    """Open a case and queue its alert when the just-stored score is in the alert band.

    Runs in the survey's transaction, after the response insert, so the case and its outbox
    row commit (or roll back) together with the response.
    """
    if not in_band(value, alert_min, alert_max):
        return None
    opened = raw.one(
        "open_case",
        {
            "iid": invitation_id,
            "status": CaseStatus.OPEN.value,
            "now": now,
            "due": now + CASE_TARGET,
        },
    )
    if opened is None:
        return None
    case_id = int(opened[0])
    raw.execute("add_alert_event", {"case_id": case_id, "kind": AlertKind.SCORE.value, "now": now})
    return case_id


def note_comment(raw: RawSql, invitation_id: int, now: datetime) -> None:
    """A follow-up comment arrived: tell the team again, now with the customer's words."""
    params = {"iid": invitation_id, "kind": AlertKind.COMMENT.value, "now": now}
    raw.execute("add_comment_alert_event", params)


# -- the delivery loop's reads and writes ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """Everything an alert message carries."""

    event_id: int
    kind: str
    case_id: int
    case_status: str
    response_id: int
    flow_id: str
    value: int
    scale_min: int
    scale_max: int
    agent: str | None
    team: str | None
    channel: str
    comment: str | None
    answered_at: datetime
    due_at: datetime
    attempts: int


def due_alerts(
    session: Session, target: str, now: datetime, *, since: datetime, limit: int = 50
) -> list[PendingAlert]:
    """Events not yet delivered to `target` whose next attempt is due, oldest first.

    `since` keeps a newly configured target from replaying the whole history.
    """
    d = AlertDelivery
    query = (
        sa.select(AlertEvent, AlertCase, Response, Comment, d)
        .join(AlertCase, col(AlertCase.id) == AlertEvent.case_id)
        .join(Response, col(Response.id) == AlertCase.response_id)
        .outerjoin(Comment, col(Comment.response_id) == Response.id)
        .outerjoin(d, sa.and_(col(d.event_id) == AlertEvent.id, col(d.target) == target))
        .where(
            col(AlertEvent.created_at) >= since,
            sa.or_(
                col(d.id).is_(None),
                sa.and_(col(d.status) != DeliveryStatus.SENT, col(d.next_attempt_at) <= now),
            ),
        )
        .order_by(col(AlertEvent.id))
        .limit(limit)
    )
    pending = []
    for event, case, response, comment, delivery in session.execute(query).all():
        assert event.id is not None  # noqa: S101
        assert case.id is not None  # noqa: S101
        assert response.id is not None  # noqa: S101
        pending.append(
            PendingAlert(
                event_id=event.id,
                kind=event.kind,
                case_id=case.id,
                case_status=case.status,
                response_id=response.id,
                flow_id=response.flow_id,
                value=response.value,
                scale_min=response.scale_min,
                scale_max=response.scale_max,
                agent=response.agent,
                team=response.team,
                channel=response.channel,
                comment=comment.text if comment is not None else None,
                answered_at=response.answered_at,
                due_at=case.due_at,
                attempts=delivery.attempts if delivery is not None else 0,
            )
        )
    return pending


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s ... capped at 10 minutes: retried for as long as it takes."""
    return timedelta(seconds=min(600, 2**attempts))


def record_attempt(
    session: Session, event_id: int, target: str, now: datetime, error: str | None
) -> AlertDelivery:
    """Store one attempt's outcome; a failure schedules the next attempt."""
    delivery = session.exec(
        select(AlertDelivery).where(
            AlertDelivery.event_id == event_id, AlertDelivery.target == target
        )
    ).first()
    if delivery is None:
        delivery = AlertDelivery(event_id=event_id, target=target, status=DeliveryStatus.RETRYING)
    delivery.attempts += 1
    if error is None:
        delivery.status, delivery.sent_at, delivery.next_attempt_at = DeliveryStatus.SENT, now, None
        delivery.last_error = None
    else:
        delivery.status = DeliveryStatus.RETRYING
        delivery.last_error = error[:255]
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    session.add(delivery)
    return delivery


# -- the dashboard's reads and writes ----------------------------------------------------------


def set_status(session: Session, case_id: int, status: CaseStatus, now: datetime) -> AlertCase:
    """Move a case along; closing stamps closed_at, reopening clears it."""
    case = session.get(AlertCase, case_id)
    if case is None:
        raise LookupError(f"no case {case_id}")
    case.status = status
    case.updated_at = now
    case.closed_at = now if status is CaseStatus.CLOSED else None
    session.add(case)
    return case


def list_cases(
    session: Session,
    status: CaseStatus | None = None,
    limit: int = 100,
    offset: int = 0,
    *,
    response_id: int | None = None,
) -> list[dict[str, Any]]:
    """Cases, newest first, with the response behind each and the alert delivery state."""
    query = (
        select(AlertCase, Response, Comment)
        .join(Response, col(Response.id) == AlertCase.response_id)
        .outerjoin(Comment, col(Comment.response_id) == Response.id)
        .order_by(col(AlertCase.created_at).desc(), col(AlertCase.id).desc())
        .limit(limit)
        .offset(offset)
    )
    if status is not None:
        query = query.where(AlertCase.status == status)
    if response_id is not None:
        query = query.where(AlertCase.response_id == response_id)
    rows = session.exec(query).all()
    states = _delivery_states(session, [c.id for c, _, _ in rows if c.id is not None])
    return [
        {
            "id": case.id,
            "status": case.status,
            "flow": case.flow_id,
            "value": case.value,
            "scale_max": response.scale_max,
            "agent": case.agent,
            "team": case.team,
            "channel": response.channel,
            "response_id": case.response_id,
            "comment": comment.text if comment is not None else None,
            "created_at": case.created_at,
            "due_at": case.due_at,
            "closed_at": case.closed_at,
            "deliveries": states.get(case.id or 0, {}),
        }
        for case, response, comment in rows
    ]


def _delivery_states(session: Session, case_ids: list[int]) -> dict[int, dict[str, str]]:
    if not case_ids:
        return {}
    rows = session.exec(
        select(AlertEvent.case_id, AlertDelivery.target, AlertDelivery.status)
        .join(AlertDelivery, col(AlertDelivery.event_id) == AlertEvent.id)
        .where(col(AlertEvent.case_id).in_(case_ids))
        .order_by(col(AlertEvent.id))
    ).all()
    states: dict[int, dict[str, str]] = {}
    for case_id, target, status in rows:
        states.setdefault(case_id, {})[target] = status
    return states


def count_open(session: Session) -> int:
    return session.exec(
        select(sa.func.count()).select_from(AlertCase).where(AlertCase.status != CaseStatus.CLOSED)
    ).one()


# -- the adapter the edges use -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A case's state right after a status change."""

    id: int
    status: str
    closed_at: datetime | None


class SqlAlertCases:
    """`flows.cases.AlertCases` in SQL: the functions above, each in a session of its own.

    The methods share the functions' names; inside them those names are the module's functions.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def list_cases(
        self, status: CaseStatus | None = None, *, limit: int = 100, response_id: int | None = None
    ) -> list[dict[str, Any]]:
        with self.db.session() as session:
            return list_cases(session, status, limit=limit, response_id=response_id)

    def count_open(self) -> int:
        with self.db.session() as session:
            return count_open(session)

    def set_status(self, case_id: int, status: CaseStatus, now: datetime) -> CaseChange:
        with self.db.session() as session, session.begin():
            case = set_status(session, case_id, status, now)
            assert case.id is not None  # noqa: S101
            return CaseChange(case.id, case.status, case.closed_at)

    def due_alerts(self, target: str, now: datetime, *, since: datetime) -> list[PendingAlert]:
        with self.db.session() as session:
            return due_alerts(session, target, now, since=since)

    def record_attempt(self, event_id: int, target: str, now: datetime, error: str | None) -> None:
        with self.db.session() as session, session.begin():
            record_attempt(session, event_id, target, now, error)
