"""Deferred provider calls: written in an answer's transaction, claimed and made after it.

A channel's drainer claims the oldest call of each address (never a later one while an
earlier one waits, so one chat's calls keep their order), under a lease, and settles a batch
in one commit: made calls are deleted, a call the provider asked to retry later gets its new
due time. On PostgreSQL the claim skips rows another process holds (SKIP LOCKED); a claim whose
process died runs out with its lease and is taken again, marked `interrupted`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from scoring.group_commit import driver_transaction
from scoring.raw_sql import Codec, dialect_sql

call_t = SQLModel.metadata.tables["deferred_call"]

# Plain SQL on the driver's cursor, as the answer path (scoring.raw_sql): a busy drainer runs a
# claim every round, and through SQLAlchemy its bookkeeping cost more than the statements.
_CLAIMABLE = (
    "SELECT c.id, c.address, c.method, c.payload, c.expires_at, c.attempts, c.locked_by "
    "FROM deferred_call c WHERE c.channel = :channel AND c.due_at <= :now "
    "AND (c.locked_until IS NULL OR c.locked_until < :now) "
    # Never a later call of an address while an earlier one waits: a chat's calls keep order.
    "AND NOT EXISTS (SELECT 1 FROM deferred_call e WHERE e.channel = c.channel "
    "AND e.address = c.address AND e.id < c.id) "
    "ORDER BY c.id LIMIT :limit"
)
STATEMENTS: dict[str, str] = {
    "claimable": _CLAIMABLE,
    # PostgreSQL: rows another drainer holds are skipped, not waited for.
    "claimable_locked": _CLAIMABLE + " FOR UPDATE OF c SKIP LOCKED",
    "lease": "UPDATE deferred_call SET locked_until = :until, locked_by = :worker, "
    "attempts = attempts + 1 WHERE id = :id",
    "made": "DELETE FROM deferred_call WHERE id = :id",
    "later": "UPDATE deferred_call SET due_at = :due, locked_until = NULL, locked_by = NULL "
    "WHERE id = :id",
    # Never started (shut down while waiting its turn): made by the next drainer.
    "release": "UPDATE deferred_call SET locked_until = NULL, locked_by = NULL, "
    "attempts = attempts - 1 WHERE id = :id",
}


def statement(name: str, postgres: bool) -> str:
    """A statement as this dialect runs it (`:name` style): the claim locks on PostgreSQL."""
    if name == "claimable" and postgres:
        name = "claimable_locked"
    return STATEMENTS[name]


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
    with _transaction(engine) as tx:
        tx.settle(done, later or {}, ())
        if limit <= 0:
            return []
        return tx.claim(channel, worker=worker, now=now, lease=lease, limit=limit)


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
    with _transaction(engine) as tx:
        tx.settle(done, later, released)


class _Calls:
    """The statements of one drainer transaction, on the driver's cursor."""

    def __init__(self, cursor: Any, postgres: bool, codec: Codec) -> None:
        self._cursor = cursor
        self._postgres = postgres
        self._codec = codec

    def _sql(self, name: str) -> str:
        return dialect_sql(statement(name, self._postgres), self._postgres)

    def claim(
        self, channel: str, *, worker: str, now: datetime, lease: timedelta, limit: int
    ) -> list[ClaimedCall]:
        stamp = self._codec.timestamp_in
        self._cursor.execute(
            self._sql("claimable"), {"channel": channel, "now": stamp(now), "limit": limit}
        )
        rows = self._cursor.fetchall()
        if not rows:
            return []
        until, name = stamp(now + lease), worker[:64]
        self._cursor.executemany(
            self._sql("lease"), [{"until": until, "worker": name, "id": r[0]} for r in rows]
        )
        json_out, stamp_out = self._codec.json_out, self._codec.timestamp_out
        return [
            ClaimedCall(
                int(call_id),
                address,
                method,
                dict(json_out(payload) or {}),
                None if expires_at is None else stamp_out(expires_at),
                int(attempts) + 1,
                locked_by is not None,
            )
            for call_id, address, method, payload, expires_at, attempts, locked_by in rows
        ]

    def settle(
        self, done: Sequence[int], later: Mapping[int, datetime], released: Sequence[int]
    ) -> None:
        if done:
            self._cursor.executemany(self._sql("made"), [{"id": i} for i in done])
        if later:
            stamp = self._codec.timestamp_in
            self._cursor.executemany(
                self._sql("later"), [{"id": i, "due": stamp(due)} for i, due in later.items()]
            )
        if released:
            self._cursor.executemany(self._sql("release"), [{"id": i} for i in released])


@contextmanager
def _transaction(engine: Engine) -> Iterator[_Calls]:
    """One transaction on the pooled driver connection: committed, or rolled back on error."""
    with driver_transaction(engine) as cursor:
        yield _Calls(cursor, engine.dialect.name == "postgresql", Codec.of(engine.dialect))


def pending(engine: Engine, channel: str) -> int:
    """How many calls wait (claimed or not): zero once everything planned was made."""
    with engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(call_t).where(call_t.c.channel == channel)
        ).scalar_one()
    return int(count)
