"""Deferred provider calls: written in an answer's transaction, claimed and made after it.

A channel's drainer claims the oldest call of each address (never a later one while an
earlier one waits, so one chat's calls keep their order), under a lease, and settles a batch
in one commit: made calls are deleted, a call the provider asked to retry later gets its new
due time. On PostgreSQL the claim skips rows another process holds (SKIP LOCKED); a claim whose
process died runs out with its lease and is taken again, marked `interrupted`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

call_t = SQLModel.metadata.tables["deferred_call"]


@dataclass(frozen=True, slots=True)
class ClaimedCall:
    id: int
    address: str
    method: str
    payload: dict[str, Any]
    expires_at: datetime | None
    attempts: int  # including this one
    interrupted: bool  # an earlier claim's lease ran out: that process may have made the call


def claim(
    engine: Engine,
    channel: str,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    done: Sequence[int] = (),
    later: Mapping[int, datetime] | None = None,
) -> list[ClaimedCall]:
    """Lease up to `limit` due calls, the oldest of each address, in one transaction.

    `done` and `later` settle the previous round's calls first, in the same commit: a busy
    drainer pays one transaction per round, and a chat's next call is claimable at once.
    """
    if limit <= 0 and not (done or later):
        return []
    with engine.begin() as conn:
        _settle(conn, done, later or {}, ())
        if limit <= 0:
            return []
        return _claim(conn, channel, worker=worker, now=now, lease=lease, limit=limit)


def _claim(
    conn: Connection, channel: str, *, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[ClaimedCall]:
    earlier = call_t.alias("earlier")
    waits_behind = (
        sa.exists()
        .where(
            earlier.c.channel == call_t.c.channel,
            earlier.c.address == call_t.c.address,
            earlier.c.id < call_t.c.id,
        )
        .correlate(call_t)
    )
    query = (
        sa.select(
            call_t.c.id,
            call_t.c.address,
            call_t.c.method,
            call_t.c.payload,
            call_t.c.expires_at,
            call_t.c.attempts,
            call_t.c.locked_by,
        )
        .where(
            call_t.c.channel == channel,
            call_t.c.due_at <= now,
            sa.or_(call_t.c.locked_until.is_(None), call_t.c.locked_until < now),
            ~waits_behind,
        )
        .order_by(call_t.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=call_t)
    rows = conn.execute(query).all()
    if not rows:
        return []
    conn.execute(
        call_t.update()
        .where(call_t.c.id.in_([r.id for r in rows]))
        .values(locked_until=now + lease, locked_by=worker[:64], attempts=call_t.c.attempts + 1)
    )
    return [
        ClaimedCall(
            r.id,
            r.address,
            r.method,
            dict(r.payload or {}),
            r.expires_at,
            r.attempts + 1,
            r.locked_by is not None,
        )
        for r in rows
    ]


def settle(
    engine: Engine,
    done: Sequence[int],
    later: Mapping[int, datetime] | None = None,
    released: Sequence[int] = (),
) -> None:
    """One commit for a batch: delete the calls done, reschedule `later`, unlock `released`."""
    later = later or {}
    if not (done or later or released):
        return
    with engine.begin() as conn:
        _settle(conn, done, later, released)


def _settle(
    conn: Connection,
    done: Sequence[int],
    later: Mapping[int, datetime],
    released: Sequence[int],
) -> None:
    if done:
        conn.execute(call_t.delete().where(call_t.c.id.in_(list(done))))
    for call_id, due in later.items():
        conn.execute(
            call_t.update()
            .where(call_t.c.id == call_id)
            .values(due_at=due, locked_until=None, locked_by=None)
        )
    if released:
        # Never started (shut down while waiting its turn): made by the next drainer.
        conn.execute(
            call_t.update()
            .where(call_t.c.id.in_(list(released)))
            .values(locked_until=None, locked_by=None, attempts=call_t.c.attempts - 1)
        )


def pending(engine: Engine, channel: str) -> int:
    """How many calls wait (claimed or not): zero once everything planned was made."""
    with engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(call_t).where(call_t.c.channel == channel)
        ).scalar_one()
    return int(count)
