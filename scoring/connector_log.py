"""The platform events the connectors took: one row per (connector, event id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import scoring.connector_tables  # noqa: F401  (registers connector_event)

_T = SQLModel.metadata.tables
event_t, invitation_t = _T["connector_event"], _T["invitation"]


@dataclass(frozen=True, slots=True)
class TakenEvent:
    """What became of one platform event, as stored (and answered again on a retry)."""

    outcome: str
    reason: str | None
    invitation_id: str | None  # the invitation's public id
    invitation_status: str | None


def taken(engine: Engine, connector: str, event_key: str) -> TakenEvent | None:
    """The stored outcome of this event, or None when it is new."""
    query = (
        sa.select(
            event_t.c.outcome,
            event_t.c.reason,
            invitation_t.c.public_id,
            invitation_t.c.status,
        )
        .select_from(event_t.outerjoin(invitation_t, invitation_t.c.id == event_t.c.invitation_id))
        .where(event_t.c.connector == connector, event_t.c.event_key == event_key)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return TakenEvent(row[0], row[1], row[2], row[3]) if row else None


def record(
    engine: Engine,
    *,
    connector: str,
    event_key: str,
    outcome: str,
    now: datetime,
    invitation_id: int | None = None,
    reason: str | None = None,
    external_ref: str | None = None,
) -> bool:
    """Store the event's outcome; False when another request stored this event first."""
    try:
        with engine.begin() as conn:
            conn.execute(
                event_t.insert().values(
                    connector=connector,
                    event_key=event_key[:128],
                    invitation_id=invitation_id,
                    outcome=outcome,
                    reason=reason[:255] if reason else None,
                    external_ref=external_ref[:128] if external_ref else None,
                    received_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def source_of(engine: Engine, invitation_id: int, connector: str) -> str | None:
    """Where the invitation's contact lives on that platform (its external ref), if it came
    from there."""
    query = (
        sa.select(event_t.c.external_ref)
        .where(event_t.c.invitation_id == invitation_id, event_t.c.connector == connector)
        .order_by(event_t.c.id)
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar_one_or_none()
