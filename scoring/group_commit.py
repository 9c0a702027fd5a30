"""Group commit for SQLite's message path: answers waiting together share one COMMIT.

On SQLite every answer runs inline on the event loop (see scoring.db.Database). Under load,
several webhook requests reach their answer in the same turn of the loop; each used to open
its own transaction with BEGIN IMMEDIATE and end it with COMMIT, writing its pages to the WAL
on its own. Here the first answer of a turn opens one transaction on a connection kept for
this purpose, each answer runs inside a SAVEPOINT of it (so one that fails rolls back alone),
and a callback scheduled for the next turn commits them all at once. No request is answered
before the COMMIT that holds its answer: `Database.run` awaits it.

Only the loop's own thread takes part. While the group's transaction is open it holds SQLite's
write lock, so any other transaction that begins on that thread commits the group first (an
engine "begin" listener): the invitation and worker paths, and a retry's read of the stored
reply, see every answer before theirs and never wait on a lock their own thread holds. Other
threads (reports) read the last commit, as WAL readers always do.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


# The group of each engine, for transactions that bypass SQLAlchemy's "begin" event.
_groups: weakref.WeakKeyDictionary[Engine, GroupCommit] = weakref.WeakKeyDictionary()


def before_raw_transaction(engine: Engine) -> None:
    """Call before BEGIN on a driver connection of `engine`: commits an open group first.

    A transaction begun on the loop's thread while the group holds SQLite's write lock would
    otherwise wait out busy_timeout for a lock its own thread holds.
    """
    group = _groups.get(engine)
    if group is not None:
        group.before_transaction()


@contextmanager
def driver_transaction(engine: Engine) -> Iterator[Any]:
    """One transaction on a pooled driver connection; yields its cursor.

    Committed on success, rolled back on any error. On SQLite it begins IMMEDIATE, taking the
    write lock at once: a deferred BEGIN reads first and, if another process commits in
    between, fails at its first write (SQLITE_BUSY_SNAPSHOT); this waits its turn
    (busy_timeout) instead, after an open group on this thread has committed. On PostgreSQL
    psycopg begins at the first statement.
    """
    postgres = engine.dialect.name == "postgresql"
    if not postgres:
        before_raw_transaction(engine)
    pooled = engine.raw_connection()
    try:
        driver: Any = pooled.driver_connection
        cursor = driver.cursor()
        if not postgres:
            cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
            if postgres:
                driver.commit()
            else:
                cursor.execute("COMMIT")
        except BaseException:
            if postgres:
                driver.rollback()
            elif driver.in_transaction:
                cursor.execute("ROLLBACK")
            raise
    finally:
        pooled.close()  # back to the pool


class GroupCommitFailed(Exception):
    """The shared COMMIT failed: none of the answers in the group was stored."""


class GroupCommit:
    """One open transaction at a time on a dedicated connection, committed once per loop turn."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The event loop's thread that groups, once bind() names it. Work on any other thread
        # (a second loop in tests or an embedder, a CLI) runs its transactions as before.
        self._thread: int | None = None
        self._pooled: Any = None
        self._cursor: Any = None
        self._open = False
        self._savepoints = 0
        self._armed = False
        self._joined = False
        self._joined_failed = False
        self._waiters: list[asyncio.Future[None]] = []
        self.commits = 0  # transactions committed, and the answers they held: for /metrics
        self.answers = 0
        self._listener = self._before_other_begin  # one bound method, to remove it again
        event.listen(engine, "begin", self._listener, insert=True)
        _groups[engine] = self

    # -- Database.run's side ---------------------------------------------------------------

    def bind(self) -> None:
        """Group the answers of the calling thread's event loop (the server's, at start-up)."""
        self._thread = threading.get_ident()

    @contextmanager
    def armed(self) -> Iterator[None]:
        """While inline message-path work runs: the store's answers join the group."""
        if threading.get_ident() != self._thread:
            yield  # not the loop that groups: nothing is joined, nothing to wait for
            return
        self._armed, self._joined, self._joined_failed = True, False, False
        try:
            yield
        finally:
            self._armed = False

    def pending(self) -> asyncio.Future[None] | None:
        """The commit to wait for, if the work that just ran joined the group."""
        if not self._joined or threading.get_ident() != self._thread:
            return None
        self._joined = False
        if self._joined_failed:
            # A group this work joined was rolled back within the work itself.
            raise GroupCommitFailed("the answer's transaction was rolled back")
        if not self._open:
            return None  # already committed within the work itself (a retry's read)
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        return future

    def flush(self) -> None:
        """Commit the open group now (idempotent); wake everyone waiting for it."""
        if not self._open:
            return
        if self._savepoints:
            # Only reachable if an answer's own work began another transaction on this
            # thread; committing now would store half an answer. Leave it to the next turn.
            return
        waiters, self._waiters = self._waiters, []
        self._open = False
        error: BaseException | None = None
        try:
            self._cursor.execute("COMMIT")
            self.commits += 1
        except Exception as exc:  # every waiter must hear of it
            error = exc
            log.error(
                "group commit failed (%s): %d answers not stored", type(exc).__name__, len(waiters)
            )
            self._rollback()
            if self._joined:
                self._joined_failed = True
        for waiter in waiters:
            if waiter.done():
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(GroupCommitFailed(str(error)))

    def close(self) -> None:
        self.flush()
        if event.contains(self.engine, "begin", self._listener):
            event.remove(self.engine, "begin", self._listener)
        if _groups.get(self.engine) is self:
            del _groups[self.engine]
        if self._pooled is not None:
            self._pooled.close()
            self._pooled = self._cursor = None

    # -- the store's side ------------------------------------------------------------------

    def active(self) -> bool:
        """Should an answer transaction beginning now join the group?"""
        return self._armed and threading.get_ident() == self._thread

    @contextmanager
    def answer(self) -> Iterator[Any]:
        """One answer's SAVEPOINT inside the group's transaction; yields the driver cursor."""
        cursor = self._begin()
        self._joined = True
        cursor.execute("SAVEPOINT answer")
        self._savepoints += 1
        try:
            yield cursor
        except BaseException:
            self._savepoints -= 1
            self._undo(cursor)
            raise
        self._savepoints -= 1
        cursor.execute("RELEASE answer")
        self.answers += 1

    def _begin(self) -> Any:
        if self._cursor is None:
            self._pooled = self.engine.raw_connection()
            driver = self._pooled.driver_connection
            self._cursor = driver.cursor()
        if not self._open:
            # IMMEDIATE: take the write lock now (see SqlSurveyStore.answers).
            self._cursor.execute("BEGIN IMMEDIATE")
            self._open = True
            asyncio.get_running_loop().call_soon(self.flush)
        return self._cursor

    def _undo(self, cursor: Any) -> None:
        try:
            cursor.execute("ROLLBACK TO answer")
            cursor.execute("RELEASE answer")
        except Exception:  # the connection itself failed: drop the whole group
            log.error("savepoint rollback failed: the group's answers are rolled back")
            self._open = False
            self._rollback()
            self._joined_failed = True
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(GroupCommitFailed("savepoint rollback failed"))

    def _rollback(self) -> None:
        try:
            if self._pooled is not None and self._pooled.driver_connection.in_transaction:
                self._cursor.execute("ROLLBACK")
        except Exception:  # a broken connection: start again on a new one
            self._pooled.invalidate()
            self._pooled = self._cursor = None

    def before_transaction(self) -> None:
        """Another transaction begins: on the loop's thread, the open group commits first."""
        if self._open and threading.get_ident() == self._thread:
            self.flush()

    def _before_other_begin(self, _connection: Any) -> None:
        self.before_transaction()
