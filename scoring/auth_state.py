"""Authentication state every instance shares: dashboard sessions and failed-attempt counts.

In the database, not in process memory: a signed-out session stops working on every instance
at once, and a client that fails on one instance is throttled on all of them. Neither table
holds a secret or an address: sessions are stored by a hash of their id, clients by an HMAC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Column, Field, SQLModel

from scoring.tables import UTCDateTime


class AdminSession(SQLModel, table=True):
    """A signed-in dashboard session; signing out deletes it."""

    __tablename__ = "admin_session"

    id_hash: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie's session id
    role: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class AuthFailure(SQLModel, table=True):
    """Failed authentication attempts of one client in its current window."""

    __tablename__ = "auth_failure"

    client: str = Field(primary_key=True, max_length=64)  # HMAC of the client's address
    window_start: int = Field(index=True)  # Unix seconds
    failures: int


_sessions = AdminSession.__table__  # type: ignore[attr-defined]
_failures = AuthFailure.__table__  # type: ignore[attr-defined]


# -- sessions -------------------------------------------------------------------------------


def open_session(
    engine: Engine, id_hash: str, role: str, now: datetime, expires_at: datetime
) -> None:
    """Store a new session; sessions that expired on their own are cleared on the way."""
    with engine.begin() as conn:
        conn.execute(_sessions.delete().where(_sessions.c.expires_at < now))
        conn.execute(
            _sessions.insert().values(
                id_hash=id_hash, role=role, created_at=now, expires_at=expires_at
            )
        )


def session_alive(engine: Engine, id_hash: str, role: str, now: datetime) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(_sessions.c.expires_at).where(
                _sessions.c.id_hash == id_hash, _sessions.c.role == role
            )
        ).scalar_one_or_none()
    return found is not None and found > now


def end_session(engine: Engine, id_hash: str) -> None:
    with engine.begin() as conn:
        conn.execute(_sessions.delete().where(_sessions.c.id_hash == id_hash))


# -- failed attempts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Throttle:
    """At most `limit` failed attempts per client in each `window` seconds."""

    limit: int
    window: int

    def blocked_for(self, engine: Engine, client: str, now: float) -> int | None:
        """Seconds until this client may try again, or None when it may try now."""
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(_failures.c.failures, _failures.c.window_start).where(
                    _failures.c.client == client
                )
            ).first()
        if row is None:
            return None
        return self._wait(row.failures, row.window_start, now)

    def record_failure(self, engine: Engine, client: str, now: float) -> int | None:
        """Count one failure, atomically on every instance; the wait if the limit is reached."""
        start = int(now)
        expired = _failures.c.window_start <= start - self.window
        insert = (
            postgresql.insert(_failures)
            if engine.dialect.name == "postgresql"
            else sqlite.insert(_failures)
        )
        statement = (
            insert.values(client=client, window_start=start, failures=1)
            .on_conflict_do_update(
                index_elements=[_failures.c.client],
                set_={
                    "failures": sa.case((expired, 1), else_=_failures.c.failures + 1),
                    "window_start": sa.case((expired, start), else_=_failures.c.window_start),
                },
            )
            .returning(_failures.c.failures, _failures.c.window_start)
        )
        with engine.begin() as conn:
            row = conn.execute(statement).one()
            if row.failures == 1:  # a new window: clear what older windows left behind
                conn.execute(
                    _failures.delete().where(_failures.c.window_start <= start - self.window)
                )
        return self._wait(row.failures, row.window_start, now)

    def _wait(self, failures: int, window_start: int, now: float) -> int | None:
        remaining = window_start + self.window - now
        if failures < self.limit or remaining <= 0:
            return None
        return max(1, math.ceil(remaining))
