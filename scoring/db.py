"""Database engines and sessions: SQLite (WAL) embedded, PostgreSQL shared."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scoring.group_commit import GroupCommit

T = TypeVar("T")

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 0.25  # seconds between background WAL checkpoints (see Checkpointer)


def normalise_url(url: str) -> str:
    """Accept the URLs people paste: `postgresql://` means psycopg 3 here."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin, so SAVEPOINTs work.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; NORMAL is durable across application crashes in
    # WAL mode and is the setting the benchmarks' baselines use too.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _on_sqlite_begin(connection: sa.Connection) -> None:
    # Straight to the driver: this runs once per transaction, on the webhook hot path.
    connection.connection.driver_connection.execute("BEGIN")  # type: ignore[union-attr]


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a database error must not put a phone number or chat id in the logs.
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False}, hide_parameters=True
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return sa.create_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True
    )


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """An engine, and the two ways web handlers run blocking database work.

    `run` is the message path: webhooks, sends, the worker; short transactions on indexed rows.
    On SQLite it runs inline, on the event loop's thread. A statement there takes microseconds,
    far less than handing each call to a thread and back: the two threads then pass the GIL to
    and fro at every statement, which measured at 40% less throughput on the Telegram webhook
    benchmark. The process's SQLite work is one after another either way (one writer at a time).
    The catch is that the loop waits while another *process* holds SQLite's write lock (up to
    busy_timeout); the embedded default is meant for one `surveybot serve`, which owns the file.

    `report` is for reads that may scan many rows (metrics, exports, admin pages): always on a
    thread, so a slow report never holds up an answer. On SQLite, WAL lets that reader run
    beside the writer.

    On PostgreSQL the message path runs on a pool of threads (each statement is a network round
    trip, worth waiting for off the loop), and reports on a pool of their own, so that a few
    slow exports cannot take every thread the answers need.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.inline = is_sqlite(engine)
        self._reports = ThreadPoolExecutor(
            max_workers=1 if self.inline else 4, thread_name_prefix="surveybot-report"
        )
        self._messages = (
            None
            if self.inline
            else ThreadPoolExecutor(max_workers=8, thread_name_prefix="surveybot-db")
        )
        self._checkpointer: Checkpointer | None = None
        # SQLite: answers that run in the same turn of the loop share one COMMIT.
        self.group: GroupCommit | None = GroupCommit(engine) if self.inline else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Short message-path work: inline on SQLite, on a thread on PostgreSQL."""
        if self._messages is None:
            group = self.group
            if group is None:
                return fn(*args, **kwargs)
            with group.armed():
                result = fn(*args, **kwargs)
            committed = group.pending()
            if committed is not None:
                await committed  # answered only once its answer is committed
            return result
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._messages, partial(fn, *args, **kwargs))

    async def report(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Work that may scan many rows: always on a thread, never on the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reports, partial(fn, *args, **kwargs))

    def start_group_commit(self) -> None:
        """On SQLite, let the calling event loop's answers share COMMITs (scoring.group_commit).

        The server calls it at start-up, on its loop's thread; without it every answer commits
        on its own, as it does for the CLI and any other thread or loop.
        """
        if self.group is not None:
            self.group.bind()

    def start_checkpointer(self) -> None:
        """On SQLite, move WAL checkpoints off the commits (see Checkpointer); idempotent."""
        if self.inline and self._checkpointer is None:
            self._checkpointer = Checkpointer(self.engine)
            self._checkpointer.start()

    def close(self) -> None:
        if self.group is not None:
            self.group.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        for executor in (self._messages, self._reports):
            if executor is not None:
                executor.shutdown(wait=True)
        self.engine.dispose()


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


class Checkpointer:
    """Checkpoints SQLite's WAL from a background thread instead of inside commits.

    By default the commit that takes the WAL past 1,000 pages copies them into the database
    file and syncs it, there and then: on the message path that is the event loop, stalled for
    the copy and the fsync. Here the server's connections stop checkpointing on commit, and
    this thread runs a PASSIVE checkpoint (it never blocks a writer) every CHECKPOINT_EVERY
    seconds, with the GIL released while SQLite copies and syncs. Other processes on the same
    file (the CLI, the poller) keep SQLite's default, so the WAL is checkpointed either way.
    """

    def __init__(self, engine: Engine, every: float = CHECKPOINT_EVERY) -> None:
        self.engine = engine
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="surveybot-checkpoint", daemon=True)

    def start(self) -> None:
        event.listen(self.engine, "connect", _no_autocheckpoint)
        self.engine.dispose()  # pooled connections reconnect with the setting
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        event.remove(self.engine, "connect", _no_autocheckpoint)
        self.checkpoint()  # leave a short WAL behind

    def checkpoint(self) -> tuple[int, int, int] | None:
        """(busy, WAL frames, frames copied), as SQLite reports them; None if it failed."""
        try:
            with self.engine.connect() as conn:
                row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
                return int(row[0]), int(row[1]), int(row[2])
        except sa.exc.SQLAlchemyError as exc:
            log.warning("WAL checkpoint failed: %s", type(exc).__name__)
            return None

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.checkpoint()
