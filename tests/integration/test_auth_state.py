"""The failed-attempt counter and sessions on real SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bots.container import Container
from scoring.auth_state import Throttle, end_session, open_session, session_alive
from tests.conftest import utc

T0 = 1_800_000_000.0


def test_the_limit_blocks_until_the_window_ends_then_counting_starts_again(
    container: Container,
) -> None:
    """3 failures in 60 s block for the rest of the window; after it a failure counts as one."""
    engine, throttle = container.db.engine, Throttle(limit=3, window=60)
    assert throttle.record_failure(engine, "c", T0) is None
    assert throttle.record_failure(engine, "c", T0 + 10) is None
    assert throttle.record_failure(engine, "c", T0 + 20) == 40
    assert throttle.blocked_for(engine, "c", T0 + 59.5) == 1
    assert throttle.blocked_for(engine, "other", T0 + 30) is None
    assert throttle.blocked_for(engine, "c", T0 + 60) is None
    assert throttle.record_failure(engine, "c", T0 + 61) is None
    assert throttle.record_failure(engine, "c", T0 + 62) is None


def test_concurrent_failures_are_all_counted(container: Container) -> None:
    """Many instances failing at once for one client lose no count (one atomic upsert each)."""
    engine, throttle = container.db.engine, Throttle(limit=50, window=600)
    with ThreadPoolExecutor(max_workers=8) as pool:
        waits = list(pool.map(lambda _: throttle.record_failure(engine, "c", T0), range(49)))
    assert waits == [None] * 49
    assert throttle.record_failure(engine, "c", T0) == 600


def test_a_session_lives_until_it_ends_or_expires(container: Container) -> None:
    """A stored session is alive for its role until deleted or past its expiry."""
    engine, now = container.db.engine, utc(2026, 12, 1, 9)
    open_session(engine, "h1", "admin", now, now + timedelta(hours=12))
    assert session_alive(engine, "h1", "admin", now)
    assert not session_alive(engine, "h1", "viewer", now)
    assert not session_alive(engine, "h1", "admin", now + timedelta(hours=13))
    end_session(engine, "h1")
    assert not session_alive(engine, "h1", "admin", now)
