"""SQLite's WAL is checkpointed by a background thread, not by the commits of the server."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa

from scoring.db import Checkpointer, Database, make_engine


def rows_in_database_file(path: Path) -> int:
    """What the main file holds, ignoring the WAL (immutable=1 reads the file alone)."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])


def test_commits_reach_the_database_file_through_the_background_checkpointer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wal.db"
    db = Database(make_engine(f"sqlite:///{path}"))
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    db.start_checkpointer()
    try:
        with db.engine.begin() as conn:  # a server connection: no checkpoint on commit
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            conn.execute(sa.text("INSERT INTO t (v) VALUES (:v)"), [{"v": "x"}] * 50)
        deadline = time.monotonic() + 5
        while rows_in_database_file(path) < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rows_in_database_file(path) == 50
    finally:
        db.close()
    with db.engine.connect() as conn:  # after close, connections checkpoint as SQLite does
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000


def test_a_checkpoint_that_fails_is_reported_not_raised(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gone' / 'x.db'}")
    (tmp_path / "gone").rmdir()  # make_engine made the folder; the file can't be opened now
    assert Checkpointer(engine).checkpoint() is None
